"""A manifest entry -> the diffusers code that makes the same image. Pure: text in, text out.

The code is built from what the figure run recorded (its exact call, model, commit, pipeline
class, scheduler, dtype and seeds), never from the setting files: it is what actually ran.
tests/figures/test_reproduce.py executes it against the tiny models and compares the pixels.
"""

from __future__ import annotations

import json
from typing import Any

TORCH_DTYPES = {"bf16": "torch.bfloat16", "fp16": "torch.float16", "fp32": "torch.float32"}
# How figures/run.py names devices (device_name) -> what ``.to()`` takes; any other name is a CUDA GPU's.
DEVICES = {"CPU": None, "Apple MPS": "mps"}
# The runner asks for floats so that it can refuse NaN or black images; a reader wants the PIL image,
# which diffusers rounds from the same floats exactly as the runner does (figures/images.py, to_8bit).
RUNNER_ONLY = frozenset({"output_type", "image"})
INPUT_VARIABLE = "init_image"


def python_literal(value: Any) -> str:
    """``value`` (from the manifest's JSON) as Python source; text always as one double-quoted literal.

    Contributor text (prompts) becomes a string literal and nothing else: JSON escaping covers
    quotes, backslashes and line breaks, and any other invisible or bidirectional-control
    character is written as an escape, so the code shows exactly what it runs.
    """
    if isinstance(value, str):
        quoted = json.dumps(value, ensure_ascii=False)
        return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} {value!r} as Python")


def diffusers_snippet(entry: dict, input_image: str | None = None) -> str:
    """Code that loads the model as the run did and calls it with the recorded arguments and seed.

    ``input_image``: where an image-to-image snippet loads its input from (the site's copy).
    """
    call: dict[str, Any] = entry["call"]
    pipeline, scheduler = entry["pipeline"], entry.get("scheduler")
    device = DEVICES.get(entry.get("device", "CPU"), "cuda")
    seeds = entry.get("batch_seeds") or [entry["seed"]]
    versions = entry.get("versions") or {}
    imports = ", ".join(sorted({pipeline, *([scheduler] if scheduler else [])}))

    # 1. What it reproduces, and what the last bits depend on.
    made_with = ", ".join(f"{name} {versions[name]}" for name in ("diffusers", "torch") if name in versions)
    lines = [
        f"# Makes {entry['file'].rsplit('/', 1)[-1]}: {entry.get('label') or entry['model']}, "
        f"{entry['dtype']}, on {entry.get('device', 'CPU')}" + (f" with {made_with}" if made_with else "") + ".",
        "# Other versions, dtypes or devices can change the last bits of the pixels.",
        "import torch",
        f"from diffusers import {imports}",
    ]
    if "image" in call:
        lines.append("from diffusers.utils import load_image")
    # 2. The model at the commit the run loaded.
    lines += [
        "",
        f"pipe = {pipeline}.from_pretrained(",
        f"    {python_literal(entry['model'])},",
        # A local folder's "revision" is a fingerprint of its config files, not something to load.
        *([f"    revision={python_literal(entry['revision'])},"] if not _is_local(entry) else []),
        f"    torch_dtype={TORCH_DTYPES[entry['dtype']]},",
        ")" + (f".to({python_literal(device)})" if device else ""),
    ]
    # 3. The scheduler swap, built from the model's own scheduler config as the run builds it.
    if scheduler:
        lines.append(f"pipe.scheduler = {scheduler}.from_config(pipe.scheduler.config)")
    if "image" in call:
        location = input_image if input_image is not None else call["image"]
        lines.append(f"{INPUT_VARIABLE} = load_image({python_literal(location)})")
    # 4. The call: every recorded argument, then the generator of each image of the run's call.
    lines += ["", "image = pipe("]
    lines += [f"    {name}={python_literal(value)}," for name, value in call.items() if name not in RUNNER_ONLY]
    if "image" in call:
        lines.append(f"    image={INPUT_VARIABLE},")
    if len(seeds) == 1:
        lines.append(f'    generator=torch.Generator("cpu").manual_seed({seeds[0]}),')
        lines.append(").images[0]")
    else:
        # One call made these images together; batching can change the last bits, so do the same.
        lines.append(f"    num_images_per_prompt={len(seeds)},")
        lines.append(f'    generator=[torch.Generator("cpu").manual_seed(seed) for seed in {python_literal(seeds)}],')
        lines.append(f").images[{seeds.index(entry['seed'])}]  # seed {entry['seed']}: one call made all {len(seeds)}")
    lines.append(f"image.save({python_literal(entry['file'].rsplit('/', 1)[-1].rsplit('.', 1)[0] + '.png')})")
    return "\n".join(lines) + "\n"


def _is_local(entry: dict) -> bool:
    return str(entry.get("revision", "")).startswith("local:")
