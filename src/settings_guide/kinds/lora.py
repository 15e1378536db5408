"""LoRA: low-rank weights loaded onto the model; the comparison varies their weight (``lora_scale``, 0 = off)."""

from __future__ import annotations

from ..python_code import python_literal
from . import Kind, adapter_note, register

NAME = "lora"
SCALE = "lora_scale"


def check(comparison):
    adapter = comparison.adapter
    if adapter.weight_name is None:
        yield ("comparison", "adapter"), f"a {NAME} adapter names its weight file: `weight_name: ….safetensors`"


def load(pipe, adapter, dtype, run):
    pipe.load_lora_weights(
        adapter.model, weight_name=adapter.weight_name, revision=adapter.revision, adapter_name=adapter.name
    )
    return pipe


def apply(pipe, applied, adapter, run):
    if SCALE in applied and adapter is not None:
        pipe.set_adapters([adapter.name], adapter_weights=[float(applied[SCALE])])
    return None


def notes(comparison, first):
    return [adapter_note(KIND.label, comparison.adapter)]


def code_after_load(entry):
    inputs = entry["inputs"]
    adapter, applied = inputs["adapter"], inputs.get("applied") or {}
    model, revision, name = (python_literal(adapter[key]) for key in ("model", "revision", "name"))
    return [
        f"pipe.load_lora_weights({model}, weight_name={python_literal(adapter['weight_name'])}, "
        f"revision={revision}, adapter_name={name})",
        f"pipe.set_adapters([{name}], adapter_weights=[{python_literal(float(applied[SCALE]))}])",
    ]


KIND = register(
    Kind(
        name=NAME,
        field="adapter",
        label="LoRA",
        description="compare `lora_scale`, its weight through `set_adapters`; 0 is off",
        parameters=(SCALE,),
        fields=("weight_name",),
        check=check,
        load=load,
        apply=apply,
        notes=notes,
        code_after_load=code_after_load,
        loads_before_device=True,
    )
)
