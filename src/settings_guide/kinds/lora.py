"""LoRA: low-rank weights loaded onto the model; the comparison varies their weight (``lora_scale``, 0 = off)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..python_code import python_literal
from . import Kind, adapter_note, register

NAME = "lora"
SCALE = "lora_scale"


def check(comparison):
    adapter = comparison.adapter
    if adapter.weight_name is None:
        yield ("comparison", "adapter"), f"a {NAME} adapter names its weight file: `weight_name: ….safetensors`"


def hub_files(adapter):
    return (adapter.weight_name,)


def load(pipe, adapter, dtype, run):
    pipe.load_lora_weights(
        adapter.model,
        weight_name=adapter.weight_name,
        revision=adapter.revision,
        adapter_name=adapter.name,
        use_safetensors=True,  # never falls back to a pickled file
    )
    return pipe


def apply(pipe, applied, adapter, run):
    if SCALE in applied and adapter is not None:
        pipe.set_adapters([adapter.name], adapter_weights=[float(applied[SCALE])])
    return None


def notes(comparison, first):
    return [adapter_note(KIND.label, comparison.adapter)]


def code_after_load(entry):
    adapter = entry["inputs"]["adapter"]
    model, revision, name = (python_literal(adapter[key]) for key in ("model", "revision", "name"))
    return [
        f"pipe.load_lora_weights({model}, weight_name={python_literal(adapter['weight_name'])}, "
        f"revision={revision}, adapter_name={name})",
    ]


def code_apply(entry):
    adapter, applied = entry["inputs"]["adapter"], entry["inputs"].get("applied") or {}
    name = python_literal(adapter["name"])
    return [f"pipe.set_adapters([{name}], adapter_weights=[{python_literal(float(applied[SCALE]))}])"]


def automatic1111_tag(entry):
    """``<lora:pixel-art-xl:0.5>``: AUTOMATIC1111 names a LoRA by its file in models/Lora, without the extension."""
    adapter, applied = entry["inputs"]["adapter"], entry["inputs"].get("applied") or {}
    file = PurePosixPath(str(adapter.get("weight_name") or ""))
    weight = float(applied.get(SCALE, 1.0))
    if not file.stem or re.search(r"[<>:\s]", file.stem):  # the tag's own delimiters, or nothing to name
        return None
    return f"<lora:{file.stem}:{int(weight) if weight.is_integer() else weight}>"


KIND = register(
    Kind(
        name=NAME,
        field="adapter",
        label="LoRA",
        description="compare `lora_scale`, its weight through `set_adapters`; 0 is off",
        parameters=(SCALE,),
        fields=("weight_name",),
        check=check,
        hub_files=hub_files,
        load=load,
        apply=apply,
        notes=notes,
        code_after_load=code_after_load,
        code_apply=code_apply,
        loads_before_device=True,
        automatic1111_tag=automatic1111_tag,
    )
)
