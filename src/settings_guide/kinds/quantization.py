"""Quantization: the model's denoiser (its UNet or transformer) loaded with weights stored in fewer bits,
through diffusers' torchao backend (``PipelineQuantizationConfig`` with a ``TorchAoConfig``), chosen per image
by the compared ``quantization``; each image's seconds and, on CUDA, the allocator's peak memory are recorded.

Why torchao: of diffusers' backends it is the one whose 8-bit path runs on the CPU our tests run on, and it
quantizes the weights the model already has (GGUF needs converted files; bitsandbytes needs CUDA for 4-bit).
Its 4-bit weight-only kernels exist for CUDA only: on a run without CUDA that value's slot says so instead
of failing the run.
"""

from __future__ import annotations

import inspect
from dataclasses import replace

from . import Kind, register, value_items

NAME = "quantization"
PARAMETER = "quantization"
NONE = "none"  # the model as it loads, in the run's dtype
# Each value's torchao config class (torchao.quantization), and whether its kernels need CUDA.
CONFIGS = {
    "int8-weight-only": ("Int8WeightOnlyConfig", False),
    "float8-weight-only": ("Float8WeightOnlyConfig", False),
    "int4-weight-only": ("Int4WeightOnlyConfig", True),
}
VALUES = (NONE, *CONFIGS)
DENOISERS = ("transformer", "unet")  # the component a pipeline's weights are mostly in
INSTALL_HINT = "pip install torchao (the figures extra of pyproject.toml has it)"


def check(comparison):  # the measurement rules have checked that it compares `quantization` alone
    for value_loc, value in value_items(comparison, 0):
        if value not in VALUES:
            yield value_loc, f"a quantization is one of {', '.join(VALUES)}, got {value!r}"


def stage(spec, staging):
    return replace(spec, measure=NAME)


def load_part(applied):
    value = applied.get(PARAMETER, NONE)
    return "" if value == NONE else f"{PARAMETER}={value}"


def needs_cuda(value: str, device: str) -> bool:
    return value in CONFIGS and CONFIGS[value][1] and device != "cuda"


def denoiser(cls) -> str:
    """The pipeline's UNet or transformer: the component the quantization applies to."""
    components = set(inspect.signature(cls.__init__).parameters)
    return next((name for name in DENOISERS if name in components), DENOISERS[1])


def load_arguments(cls, applied, device, run):
    value = applied.get(PARAMETER, NONE)
    if value == NONE or needs_cuda(value, device):  # a CUDA-only value loads nothing it would not use
        return {}
    quantization = run.optional_module("torchao.quantization")
    if quantization is None:
        raise RuntimeError(f"quantization {value!r} needs the torchao package, which is not installed: {INSTALL_HINT}")
    config = getattr(quantization, CONFIGS[value][0])()
    mapping = {denoiser(cls): run.diffusers.TorchAoConfig(config)}
    return {"quantization_config": run.diffusers.PipelineQuantizationConfig(quant_mapping=mapping)}


def call(pipe, job, call_inputs, run):
    value = job.spec.applied.get(PARAMETER, NONE)
    seed = job.spec.seed
    if needs_cuda(value, run.device):
        message = f"torchao's {CONFIGS[value][0]} kernels run on CUDA only; this run was on {run.device}"
        return [(None, 0.0, False)], [[seed]], {"result": run.NEEDS_CUDA, "message": message}
    if run.device == "cuda":
        run.torch.cuda.synchronize()
        run.torch.cuda.reset_peak_memory_stats()
    results = run.call_pipeline(pipe, call_inputs.arguments, [seed])
    peak = run.torch.cuda.max_memory_allocated() if run.device == "cuda" else None
    return results, [[seed]], {"peak_memory_bytes": peak}


def notes(comparison, first):
    return [
        "Each image: the same call on the default model, its denoiser's weights quantized by diffusers' torchao "
        "backend as its caption says (none: the run's own dtype); its seconds, and on CUDA its peak memory, are "
        "measured on the run's device."
    ]


def _value(entry) -> str:
    return (entry["inputs"].get("applied") or {}).get(PARAMETER, NONE)


def code_classes(entry):
    return ["PipelineQuantizationConfig", "TorchAoConfig"] if _value(entry) in CONFIGS else []


def code_imports(entry):
    value = _value(entry)
    return [f"from torchao.quantization import {CONFIGS[value][0]}"] if value in CONFIGS else []


def code_load_arguments(entry):
    value = _value(entry)
    if value not in CONFIGS:
        return []
    component = entry.get("quantized_component", DENOISERS[1])
    config = f"TorchAoConfig({CONFIGS[value][0]}())"
    return [f"    quantization_config=PipelineQuantizationConfig(quant_mapping={{{component!r}: {config}}}),"]


def record(job, entry, run):
    if job.spec.applied.get(PARAMETER, NONE) in CONFIGS:  # what the Reproduce code quantizes
        entry["quantized_component"] = denoiser(getattr(run.diffusers, job.source.pipeline))


KIND = register(
    Kind(
        name=NAME,
        field="measure",
        label="quantization",
        description="the denoiser's weights quantized per image (torchao through diffusers), seconds and peak memory",
        parameters=(PARAMETER,),
        named_values=(PARAMETER,),
        check=check,
        stage=stage,
        load_part=load_part,
        load_arguments=load_arguments,
        call=call,
        record=record,
        notes=notes,
        code_classes=code_classes,
        code_imports=code_imports,
        code_load_arguments=code_load_arguments,
    )
)
