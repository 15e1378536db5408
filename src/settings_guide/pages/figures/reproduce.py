"""A manifest entry -> the diffusers code that makes the same image. Pure: text in, text out.

The code is built from what the figure run recorded (its exact call, model, commit, pipeline
class, scheduler, dtype and seeds), never from the setting files: it is what actually ran.
tests/figures/test_reproduce.py executes it against the tiny models and compares the pixels.
"""

from __future__ import annotations

from typing import Any

from ... import kinds
from ...figures.spec import TUPLE_ARGUMENTS
from ...python_code import TORCH_DTYPE_CODE, python_literal

# How figures/run names devices (device_name) -> what ``.to()`` takes; any other name is a CUDA GPU's.
DEVICES = {"CPU": None, "Apple MPS": "mps"}
# The runner asks for floats so that it can refuse NaN or black images; a reader wants the PIL image,
# which diffusers rounds from the same floats exactly as the runner does (figures/run/images.py, to_8bit).
RUNNER_ONLY = frozenset({"output_type", "num_images_per_prompt"})
INPUT_VARIABLE = "init_image"


def diffusers_snippet(entry: dict, input_image: str | None = None) -> str:
    """Code that loads the model (and any adapter) as the run did and calls it with the recorded arguments
    and seed; a refined image first runs its recorded first stage. Each kind adds its own lines.

    ``input_image``: where the snippet loads its input or reference image from (the site's copy).
    """
    call: dict[str, Any] = entry["call"]
    found = kinds.of_entry(entry)
    pipeline, scheduler = entry["pipeline"], entry.get("scheduler")
    device = DEVICES.get(entry.get("device", "CPU"), "cuda")
    seeds = entry.get("batch_seeds") or [entry["seed"]]
    versions = entry.get("versions") or {}
    first = entry.get("first_stage")
    images = [name for name in kinds.image_arguments() if name in call]  # the input image's argument, if any
    classes = {pipeline, *([scheduler] if scheduler else []), *([first["pipeline"]] if first else [])}
    classes |= {name for kind in found for name in kind.code_classes(entry)}

    def each(hook: str, *args) -> list[str]:
        return list(dict.fromkeys(line for kind in found for line in getattr(kind, hook)(entry, *args)))

    # 1. What it reproduces, and what the last bits depend on.
    made_with = ", ".join(f"{name} {versions[name]}" for name in ("diffusers", "torch") if name in versions)
    lines = [
        f"# Makes {entry['file'].rsplit('/', 1)[-1]}: {entry.get('label') or entry['model']}, "
        f"{entry['dtype']}, on {entry.get('device', 'CPU')}" + (f" with {made_with}" if made_with else "") + ".",
        "# Other versions, dtypes or devices can change the last bits of the pixels.",
    ]
    lines += each("code_imports_before")
    lines += ["import torch", f"from diffusers import {', '.join(sorted(classes))}"]
    if images:
        lines.append("from diffusers.utils import load_image")
    lines += each("code_imports")
    # 2. A refined image starts from its first stage's latents: that model and call, as recorded.
    if first:
        lines += ["", *_load(first, "base", device)]
        lines += ["", "latents = base("]
        lines += [f"    {name}={_literal(name, value)}," for name, value in first["call"].items()]
        lines += [f'    generator=torch.Generator("cpu").manual_seed({first["seed"]}),', ").images"]
    # 3. The model at the commit the run loaded, with its adapter.
    lines += [""]
    lines += each("code_before_load")
    lines += _load(entry, "pipe", device, each("code_load_arguments"))
    lines += each("code_after_load")
    if _adapter_before_device(entry) and device:
        lines.append(f"pipe = pipe.to({python_literal(device)})")
    # 4. The scheduler swap, built from the model's own scheduler config as the run builds it.
    if scheduler:
        lines.append(f"pipe.scheduler = {scheduler}.from_config(pipe.scheduler.config)")
    if images:
        location = input_image if input_image is not None else call[images[0]]
        lines.append(f"{INPUT_VARIABLE} = load_image({python_literal(location)})")
    lines += each("code_input", INPUT_VARIABLE)  # as the kind prepares it: enlarged, its edges, ...
    # 5. The call: every recorded argument, then the generator of each image of the run's call.
    lines += ["", "image = pipe("]
    lines += [
        f"    {name}={_literal(name, value)},"
        for name, value in call.items()
        if name not in RUNNER_ONLY and name not in images
    ]
    lines += [f"    {name}={INPUT_VARIABLE}," for name in images]
    if first:
        lines.append("    image=latents,")
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


def _load(record: dict, name: str, device: str | None, arguments: list[str] = ()) -> list[str]:
    """``name = Pipeline.from_pretrained(model, revision=..., torch_dtype=...)``, moved to the device."""
    on_device = bool(device) and not _adapter_before_device(record)
    return [
        f"{name} = {record['pipeline']}.from_pretrained(",
        f"    {python_literal(record['model'])},",
        # A local folder's "revision" is a fingerprint of its config files, not something to load.
        *([f"    revision={python_literal(record['revision'])},"] if not _is_local(record) else []),
        *arguments,
        f"    torch_dtype={TORCH_DTYPE_CODE[record['dtype']]},",
        ")" + (f".to({python_literal(device)})" if on_device else ""),
    ]


def _adapter_before_device(record: dict) -> bool:
    """An adapter of a kind that loads onto the pipeline before it moves to the device (a LoRA, a VAE, ...)."""
    adapter = kinds.get(((record.get("inputs") or {}).get("adapter") or {}).get("kind"))
    return adapter is not None and adapter.loads_before_device


def _literal(name: str, value: Any) -> str:
    if name in TUPLE_ARGUMENTS and isinstance(value, list):
        return "(" + ", ".join(python_literal(item) for item in value) + ")"
    return python_literal(value)


def _is_local(entry: dict) -> bool:
    return str(entry.get("revision", "")).startswith("local:")
