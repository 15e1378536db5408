"""Which weight files the project loads: safetensors only.

Pickled formats (PyTorch's ``.bin``, ``.pt``, ``.ckpt``, ...) run whatever code they hold when they are
loaded, and the figure run loads them on the GPU runner, which holds HF_TOKEN. Safetensors files hold
tensors and nothing else. A leaf module: the schema refuses a pickled `weight_name` with it, and the
run refuses a model whose weights are pickled only.
"""

from __future__ import annotations

SAFE_SUFFIX = ".safetensors"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
CONVERT_HINT = "a repository without one can be converted at https://huggingface.co/spaces/safetensors/convert"


def is_pickled(name: str) -> bool:
    """A weight file in a pickled format (loading it can run code)."""
    return name.lower().endswith(PICKLE_SUFFIXES)


def weight_file_problem(name: str) -> str | None:
    """Why the run will not load the weight file ``name``, and what to name instead; None for a safetensors file."""
    if name.endswith(SAFE_SUFFIX):
        return None
    if is_pickled(name):
        return (
            f"`{name}` is a pickled weight file: loading one runs any code it holds, on the figures runner that "
            f"holds HF_TOKEN; name the repository's {SAFE_SUFFIX} file instead ({CONVERT_HINT})"
        )
    return (
        f"the figure run loads {SAFE_SUFFIX} weight files only, got `{name}`; name the repository's {SAFE_SUFFIX} file"
    )
