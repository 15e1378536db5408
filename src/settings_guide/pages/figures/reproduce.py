"""A manifest entry -> the diffusers code that makes the same image. Pure: text in, text out.

The code is built from what the figure run recorded (its exact call, model, commit, pipeline
class, scheduler, dtype and seeds), never from the setting files: it is what actually ran.
tests/figures/test_reproduce.py executes it against the tiny models and compares the pixels.
"""

from __future__ import annotations

import json
from typing import Any

from ...figures.spec import CANNY_THRESHOLDS, TUPLE_ARGUMENTS

TORCH_DTYPES = {"bf16": "torch.bfloat16", "fp16": "torch.float16", "fp32": "torch.float32"}
# How figures/run.py names devices (device_name) -> what ``.to()`` takes; any other name is a CUDA GPU's.
DEVICES = {"CPU": None, "Apple MPS": "mps"}
# The runner asks for floats so that it can refuse NaN or black images; a reader wants the PIL image,
# which diffusers rounds from the same floats exactly as the runner does (figures/images.py, to_8bit).
RUNNER_ONLY = frozenset({"output_type", "image", "ip_adapter_image", "num_images_per_prompt"})
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
    """Code that loads the model (and any adapter) as the run did and calls it with the recorded arguments
    and seed; a refined image first runs its recorded first stage.

    ``input_image``: where the snippet loads its input or reference image from (the site's copy).
    """
    call: dict[str, Any] = entry["call"]
    inputs = entry.get("inputs") or {}
    adapter, applied = inputs.get("adapter"), inputs.get("applied") or {}
    pipeline, scheduler = entry["pipeline"], entry.get("scheduler")
    device = DEVICES.get(entry.get("device", "CPU"), "cuda")
    seeds = entry.get("batch_seeds") or [entry["seed"]]
    versions = entry.get("versions") or {}
    first = entry.get("first_stage")
    loads_image = "image" in call or "ip_adapter_image" in call
    classes = {pipeline, *([scheduler] if scheduler else []), *([first["pipeline"]] if first else [])}
    if adapter and adapter["kind"] in ADAPTER_CLASSES:
        classes.add(ADAPTER_CLASSES[adapter["kind"]])

    # 1. What it reproduces, and what the last bits depend on.
    made_with = ", ".join(f"{name} {versions[name]}" for name in ("diffusers", "torch") if name in versions)
    lines = [
        f"# Makes {entry['file'].rsplit('/', 1)[-1]}: {entry.get('label') or entry['model']}, "
        f"{entry['dtype']}, on {entry.get('device', 'CPU')}" + (f" with {made_with}" if made_with else "") + ".",
        "# Other versions, dtypes or devices can change the last bits of the pixels.",
    ]
    if "control" in applied:
        lines += ["import cv2", "import numpy as np"]
    lines += ["import torch", f"from diffusers import {', '.join(sorted(classes))}"]
    if loads_image:
        lines.append("from diffusers.utils import load_image")
    if "control" in applied or inputs.get("recipe") == "hires-fix":
        lines.append("from PIL import Image")
    if adapter and adapter["kind"] == "ip-adapter":
        lines.append("from transformers import CLIPVisionModelWithProjection")
    # 2. A refined image starts from its first stage's latents: that model and call, as recorded.
    if first:
        lines += ["", *_load(first, "base", device)]
        lines += ["", "latents = base("]
        lines += [f"    {name}={_literal(name, value)}," for name, value in first["call"].items()]
        lines += [f'    generator=torch.Generator("cpu").manual_seed({first["seed"]}),', ").images"]
    # 3. The model at the commit the run loaded, with its adapter.
    lines += [""]
    if adapter and adapter["kind"] == "controlnet":
        lines += [
            "controlnet = ControlNetModel.from_pretrained(",
            f"    {python_literal(adapter['model'])}, revision={python_literal(adapter['revision'])}, "
            f"torch_dtype={TORCH_DTYPES[entry['dtype']]}",
            ")",
        ]
    lines += _load(entry, "pipe", device, controlnet=bool(adapter and adapter["kind"] == "controlnet"))
    lines += _adapter_lines(adapter, applied, entry["dtype"])
    if _adapter_before_device(entry) and device:
        lines.append(f"pipe = pipe.to({python_literal(device)})")
    # 4. The scheduler swap, built from the model's own scheduler config as the run builds it.
    if scheduler:
        lines.append(f"pipe.scheduler = {scheduler}.from_config(pipe.scheduler.config)")
    if loads_image:
        location = input_image if input_image is not None else call.get("image") or call.get("ip_adapter_image")
        lines.append(f"{INPUT_VARIABLE} = load_image({python_literal(location)})")
    if inputs.get("recipe") == "hires-fix":  # the hires fix's enlargement, as figures/adapters.py makes it
        lines.append(
            f"{INPUT_VARIABLE} = {INPUT_VARIABLE}.resize(({entry['width']}, {entry['height']}), Image.Resampling.LANCZOS)"
        )
    if "control" in applied:
        low, high = CANNY_THRESHOLDS
        lines.append(f"edges = cv2.Canny(np.asarray({INPUT_VARIABLE}), {low}, {high})")
        lines.append(f"{INPUT_VARIABLE} = Image.fromarray(np.stack([edges] * 3, axis=-1))  # the control image")
    # 5. The call: every recorded argument, then the generator of each image of the run's call.
    lines += ["", "image = pipe("]
    lines += [f"    {name}={_literal(name, value)}," for name, value in call.items() if name not in RUNNER_ONLY]
    if "image" in call:
        lines.append(f"    image={INPUT_VARIABLE},")
    if "ip_adapter_image" in call:
        lines.append(f"    ip_adapter_image={INPUT_VARIABLE},")
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


ADAPTER_CLASSES = {"controlnet": "ControlNetModel", "vae": "AutoencoderKL"}


def _load(record: dict, name: str, device: str | None, controlnet: bool = False) -> list[str]:
    """``name = Pipeline.from_pretrained(model, revision=..., torch_dtype=...)``, moved to the device."""
    on_device = bool(device) and not _adapter_before_device(record)
    return [
        f"{name} = {record['pipeline']}.from_pretrained(",
        f"    {python_literal(record['model'])},",
        # A local folder's "revision" is a fingerprint of its config files, not something to load.
        *([f"    revision={python_literal(record['revision'])},"] if not _is_local(record) else []),
        *(["    controlnet=controlnet,"] if controlnet else []),
        f"    torch_dtype={TORCH_DTYPES[record['dtype']]},",
        ")" + (f".to({python_literal(device)})" if on_device else ""),
    ]


def _adapter_before_device(record: dict) -> bool:
    """A LoRA, IP-Adapter or VAE is put on the pipeline before it moves to the device."""
    adapter = (record.get("inputs") or {}).get("adapter")
    return bool(adapter) and adapter["kind"] in ("lora", "ip-adapter", "vae")


def _adapter_lines(adapter: dict | None, applied: dict, dtype: str) -> list[str]:
    """What figures/adapters.py does to the loaded pipeline, as code."""
    if not adapter:
        return []
    model, revision = python_literal(adapter["model"]), python_literal(adapter["revision"])
    if adapter["kind"] == "lora":
        name = python_literal(adapter["name"])
        return [
            f"pipe.load_lora_weights({model}, weight_name={python_literal(adapter['weight_name'])}, "
            f"revision={revision}, adapter_name={name})",
            f"pipe.set_adapters([{name}], adapter_weights=[{python_literal(float(applied['lora_scale']))}])",
        ]
    if adapter["kind"] == "ip-adapter":
        subfolder = adapter["subfolder"]
        return [
            "# load_ip_adapter alone would read the image encoder from the Hub's main branch: pin it.",
            "pipe.register_modules(image_encoder=CLIPVisionModelWithProjection.from_pretrained(",
            f"    {model}, subfolder={python_literal(subfolder + '/image_encoder')}, revision={revision}, "
            f"dtype={TORCH_DTYPES[dtype]}",
            "))",
            f"pipe.load_ip_adapter({model}, subfolder={python_literal(subfolder)}, "
            f"weight_name={python_literal(adapter['weight_name'])}, revision={revision})",
            f"pipe.set_ip_adapter_scale({python_literal(float(applied['ip_adapter_scale']))})",
        ]
    if adapter["kind"] == "vae":
        return [
            f"pipe.register_modules(vae=AutoencoderKL.from_pretrained({model}, revision={revision}, "
            f"torch_dtype={TORCH_DTYPES[dtype]}))"
        ]
    return []


def _literal(name: str, value: Any) -> str:
    if name in TUPLE_ARGUMENTS and isinstance(value, list):
        return "(" + ", ".join(python_literal(item) for item in value) + ")"
    return python_literal(value)


def _is_local(entry: dict) -> bool:
    return str(entry.get("revision", "")).startswith("local:")
