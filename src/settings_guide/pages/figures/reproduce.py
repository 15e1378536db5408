"""Manifest entries -> the diffusers code that makes the same images. Pure: text in, text out.

The code is built from what the figure run recorded (its exact call, model, commit, pipeline
class, scheduler, dtype and seeds), never from the setting files: it is what actually ran.
A model's images share their set-up (imports, the model at its commit, its adapter), so a page shows
that once and, per image, only the lines that differ; each image's lines set everything they change
from scratch (a scheduler from the model's own config, an adapter's weight), so the images can be
made one after the other in any order. tests/figures/test_reproduce.py executes the code as the
page shows it against the tiny models and compares the bytes with the run's files.
"""

from __future__ import annotations

from dataclasses import dataclass
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
# The name the set-up keeps the model's own scheduler under, when its images use different ones.
OWN_SCHEDULER = "own_scheduler"

Block = tuple[str, ...]  # one statement (or a comment and its statement): lines that belong together


@dataclass(frozen=True)
class Recorded:
    """One image as its code is written: its entry, where the code loads its input image from, and the
    entry whose call made its pixels when that is another one (a saved format's lossless source image)."""

    entry: dict
    input_image: str | None = None
    made_from: dict | None = None

    @property
    def record(self) -> dict:
        """The entry that holds the call: the image's own, or its source's."""
        return self.made_from or self.entry


@dataclass(frozen=True)
class ModelCode:
    """One model's images as code: what they all share, run once, then each image's own lines, in order."""

    setup: str
    images: tuple[str, ...]


def diffusers_snippet(entry: dict, input_image: str | None = None, made_from: dict | None = None) -> str:
    """The whole code for one image: the set-up and its own lines, as one script."""
    code = reproduce_code([Recorded(entry, input_image, made_from)])
    return code.setup + "\n" + code.images[0]


def reproduce_code(images: list[Recorded]) -> ModelCode:
    """The code of one model's images: the set-up they share (when the model loads the same way for all of
    them) and, per image, only what differs: its scheduler, its adapter's weight, its call and its file."""
    several = len({_scheduler_of(image.record) for image in images}) > 1  # each image sets its own
    parts = [_parts(image, several) for image in images]
    imports = tuple(dict.fromkeys(line for part in parts for line in part[0]))
    head = _text([tuple(_header(images)), imports]) + "\n"
    prepared = [part[1] for part in parts]
    own = [part[2] for part in parts]
    if any(blocks != prepared[0] for blocks in prepared):
        # Loaded differently (another dtype or VAE): each image loads its own model.
        return ModelCode(head, tuple(_text(p) + "\n" + _text(o) for p, o in zip(prepared, own, strict=True)))
    shared = 0
    while len(own) > 1 and all(len(blocks) > shared + 1 and blocks[shared] == own[0][shared] for blocks in own):
        shared += 1  # the same call for every image (a saved format): it runs once too
    setup = head + _text(prepared[0]) + ("\n" + _text(own[0][:shared]) if shared else "")
    return ModelCode(setup, tuple(_text(blocks[shared:]) for blocks in own))


def _scheduler_of(record: dict) -> tuple[str | None, tuple]:
    """The scheduler an image swapped in and the config fields it changed, as the run recorded them."""
    return record.get("scheduler"), tuple(sorted((record.get("scheduler_config") or {}).items()))


def _parts(image: Recorded, several: bool) -> tuple[list[str], list[Block], list[Block]]:
    """(imports, the set-up's statements, the image's own statements) of one image."""
    entry, record = image.entry, image.record
    call: dict[str, Any] = record["call"]
    found = kinds.of_entry(record)
    pipeline, scheduler = record["pipeline"], record.get("scheduler")
    device = DEVICES.get(record.get("device", "CPU"), "cuda")
    seeds = record.get("batch_seeds") or [record["seed"]]
    first = record.get("first_stage")
    inputs = [name for name in kinds.image_arguments() if name in call]  # the input image's argument, if any
    classes = {pipeline, *([scheduler] if scheduler else []), *([first["pipeline"]] if first else [])}
    classes |= {name for kind in found for name in kind.code_classes(record)}

    def each(hook: str, *args) -> list[str]:
        return list(dict.fromkeys(line for kind in found for line in getattr(kind, hook)(record, *args)))

    # 1. Imports.
    imports = each("code_imports_before") + ["import torch", f"from diffusers import {', '.join(sorted(classes))}"]
    imports += ["from diffusers.utils import load_image"] if inputs else []
    imports += each("code_imports")
    # 2. The set-up: the input image as the kind prepares it (enlarged, its edges, ...), a refined image's
    #    first-stage model, then the model at the commit the run loaded, with its adapter, on its device.
    setup: list[Block] = []
    if device is None and record.get("threads"):  # a CPU's float sums depend on how many threads split them
        setup.append((f"torch.set_num_threads({int(record['threads'])})  # as the figure run had",))
    if inputs:
        location = image.input_image if image.input_image is not None else call[inputs[0]]
        setup.append((f"{INPUT_VARIABLE} = load_image({python_literal(location)})",))
        setup += [(line,) for line in each("code_input", INPUT_VARIABLE)]
    if first:
        setup.append(tuple(_load(first, "base", device)))
    if before := each("code_before_load"):
        setup.append(tuple(before))
    setup.append(tuple(_load(record, "pipe", device, each("code_load_arguments"))))
    if after := each("code_after_load"):
        setup.append(tuple(after))
    if _adapter_before_device(record) and device:
        setup.append((f"pipe = pipe.to({python_literal(device)})",))
    # 3. The scheduler, built from the model's own config as the run builds it.
    own: list[Block] = []
    fields = "".join(f", {name}={python_literal(value)}" for name, value in _scheduler_of(record)[1])
    if several:
        setup.append((f"{OWN_SCHEDULER} = pipe.scheduler  # the model's own: each image starts from it",))
        cls = scheduler or f"type({OWN_SCHEDULER})"
        swap = f"{cls}.from_config({OWN_SCHEDULER}.config{fields})" if scheduler or fields else OWN_SCHEDULER
        own.append((f"pipe.scheduler = {swap}",))
    elif scheduler or fields:
        cls = scheduler or "type(pipe.scheduler)"
        setup.append((f"pipe.scheduler = {cls}.from_config(pipe.scheduler.config{fields})",))
    # 4. The image's own lines: its compared value, its first stage, the call with every recorded argument
    #    and the generator of each image of the run's call, then its file.
    if applied := each("code_apply"):
        own.append(tuple(applied))
    if first:
        stage = ["latents = base("]
        stage += [f"    {name}={_literal(name, value)}," for name, value in first["call"].items()]
        own.append((*stage, f'    generator=torch.Generator("cpu").manual_seed({first["seed"]}),', ").images"))
    own.append(tuple(_call(record, call, inputs, seeds, bool(first), each("code_call_arguments"))))
    if after := each("code_after_call", INPUT_VARIABLE):
        own.append(tuple(after))
    # A kind of the image itself (a saved format) may save it its own way.
    saved = [line for kind in kinds.of_entry(entry) for line in kind.code_save(entry)]
    own.append(tuple(saved or [_save(entry)]))
    return imports, setup, own


def _header(images: list[Recorded]) -> list[str]:
    """What the code reproduces, and what the last bits of its pixels depend on."""

    def every(values) -> str:
        return " and ".join(dict.fromkeys(str(value) for value in values if value))

    records = [image.record for image in images]
    versions = [
        f"{name} {every((record.get('versions') or {}).get(name) for record in records)}"
        for name in ("diffusers", "torch")
        if any((record.get("versions") or {}).get(name) for record in records)
    ]
    made = f"{every(r.get('label') or r.get('model') for r in records)}, {every(r.get('dtype') for r in records)}"
    made += f", on {every(r.get('device', 'CPU') for r in records)}"
    return [
        f"# {made}" + (f" with {', '.join(versions)}" if versions else "") + ", as the figure run made these images.",
        "# Other versions, dtypes or devices can change the last bits of the pixels.",
    ]


def _call(record: dict, call: dict, inputs: list[str], seeds: list[int], refined: bool, own: list[str]) -> list[str]:
    lines = ["image = pipe("]
    lines += [
        f"    {name}={_literal(name, value)},"
        for name, value in call.items()
        if name not in RUNNER_ONLY and name not in inputs
    ]
    lines += [f"    {name}={INPUT_VARIABLE}," for name in inputs]
    lines += own  # what a kind hands the call itself (an inpainting mask)
    if refined:
        lines.append("    image=latents,")
    if len(seeds) == 1:
        return [*lines, f'    generator=torch.Generator("cpu").manual_seed({seeds[0]}),', ").images[0]"]
    # One call made these images together; batching can change the last bits, so do the same.
    return [
        *lines,
        f"    num_images_per_prompt={len(seeds)},",
        f'    generator=[torch.Generator("cpu").manual_seed(seed) for seed in {python_literal(seeds)}],',
        f").images[{seeds.index(record['seed'])}]  # seed {record['seed']}: one call made all {len(seeds)}",
    ]


def _save(entry: dict) -> str:
    """``image.save(...)`` writing the file the run wrote (figures/run/images.py, encode_image): the same bytes."""
    name = entry["file"].rsplit("/", 1)[-1]
    quality = (entry.get("inputs") or {}).get("quality")
    options = f", quality={quality}" if name.endswith(".webp") and quality is not None else ""
    return f"image.save({python_literal(name)}{options})"


def _load(record: dict, name: str, device: str | None, arguments: list[str] = ()) -> list[str]:
    """``name = Pipeline.from_pretrained(model, revision=..., dtype=...)``, moved to the device."""
    on_device = bool(device) and not _adapter_before_device(record)
    return [
        f"{name} = {record['pipeline']}.from_pretrained(",
        f"    {python_literal(record['model'])},",
        # A local folder's "revision" is a fingerprint of its config files, not something to load.
        *([f"    revision={python_literal(record['revision'])},"] if not _is_local(record) else []),
        *arguments,
        f"    dtype={TORCH_DTYPE_CODE[record['dtype']]},",
        ")" + (f".to({python_literal(device)})" if on_device else ""),
    ]


def _text(blocks: list[Block]) -> str:
    return "".join(line + "\n" for block in blocks for line in block)


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
