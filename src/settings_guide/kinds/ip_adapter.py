"""IP-Adapter: an image prompt beside the text; the comparison varies its weight (``ip_adapter_scale``).

Its reference image is made with the default model from ``reference_prompt`` (or is the shared
input image), and its image encoder is loaded at the adapter's pinned commit.
"""

from __future__ import annotations

from dataclasses import replace

from ..python_code import TORCH_DTYPE_CODE, python_literal
from . import Kind, adapter_note, register

NAME = "ip-adapter"
SCALE = "ip_adapter_scale"
IMAGE = "ip_adapter_image"  # the call argument its reference image goes in


def check(comparison):
    adapter = comparison.adapter
    if adapter.weight_name is None:
        yield ("comparison", "adapter"), f"a {NAME} adapter names its weight file: `weight_name: ….safetensors`"
    if adapter.subfolder is None:
        yield (
            ("comparison", "adapter"),
            "an IP-Adapter names the folder of its weights and image encoder: `subfolder: sdxl_models`",
        )


def stage(spec, staging):
    reference = staging.input_image()
    if spec.adapter.reference_prompt:
        reference = replace(reference, arguments={**reference.arguments, "prompt": spec.adapter.reference_prompt})
    return replace(spec, input=reference)


def hub_files(adapter):
    """Its weights and its image encoder (config and safetensors), both in the one subfolder."""
    encoder = f"{adapter.subfolder}/image_encoder"
    return (f"{adapter.subfolder}/{adapter.weight_name}", f"{encoder}/config.json", f"{encoder}/model.safetensors")


def load(pipe, adapter, dtype, run):
    # load_ip_adapter reads the image encoder from the Hub's main branch whatever `revision` says: load it
    # at the pinned commit first, and load_ip_adapter keeps the one the pipeline already has.
    encoder = run.transformers.CLIPVisionModelWithProjection.from_pretrained(
        adapter.model,
        subfolder=f"{adapter.subfolder}/image_encoder",
        revision=adapter.revision,
        dtype=dtype,
        use_safetensors=True,
    )
    pipe.register_modules(image_encoder=encoder)
    # It takes no use_safetensors: it reads a `.safetensors` weight_name with safetensors, and the schema and
    # the run's fetch refuse any other file.
    pipe.load_ip_adapter(
        adapter.model, subfolder=adapter.subfolder, weight_name=adapter.weight_name, revision=adapter.revision
    )
    return pipe


def apply(pipe, applied, adapter, run):
    if SCALE in applied:
        pipe.set_ip_adapter_scale(float(applied[SCALE]))
    return None


def prepare(job, call, run):
    call.arguments[IMAGE] = run.open_rgb(call.source)
    call.recorded[IMAGE] = call.recorded.pop("image")


def notes(comparison, first):
    adapter = comparison.adapter
    return [
        adapter_note(KIND.label, adapter),
        f"Its reference image was made with the default model from the prompt “{adapter.reference_prompt}”."
        if adapter.reference_prompt
        else "Its reference image is the shared input image, made with the default model.",
    ]


def sources(first, entry_of):
    image = (first.get("call") or {}).get(IMAGE)
    return [("The reference image", entry_of(image))] if isinstance(image, str) else []


def code_imports(entry):
    return ["from transformers import CLIPVisionModelWithProjection"]


def code_after_load(entry):
    inputs = entry["inputs"]
    adapter = inputs["adapter"]
    model, revision, subfolder = (
        python_literal(adapter["model"]),
        python_literal(adapter["revision"]),
        adapter["subfolder"],
    )
    return [
        "# load_ip_adapter alone would read the image encoder from the Hub's main branch: pin it.",
        "pipe.register_modules(image_encoder=CLIPVisionModelWithProjection.from_pretrained(",
        f"    {model}, subfolder={python_literal(subfolder + '/image_encoder')}, revision={revision}, "
        f"dtype={TORCH_DTYPE_CODE[entry['dtype']]}",
        "))",
        f"pipe.load_ip_adapter({model}, subfolder={python_literal(subfolder)}, "
        f"weight_name={python_literal(adapter['weight_name'])}, revision={revision})",
    ]


def code_apply(entry):
    applied = entry["inputs"].get("applied") or {}
    return [f"pipe.set_ip_adapter_scale({python_literal(float(applied[SCALE]))})"]


KIND = register(
    Kind(
        name=NAME,
        field="adapter",
        label="IP-Adapter",
        description="compare `ip_adapter_scale` against a reference image",
        parameters=(SCALE,),
        fields=("weight_name", "subfolder", "reference_prompt"),
        check=check,
        stage=stage,
        hub_files=hub_files,
        load=load,
        apply=apply,
        prepare=prepare,
        image_argument=IMAGE,
        notes=notes,
        sources=sources,
        code_imports=code_imports,
        code_after_load=code_after_load,
        code_apply=code_apply,
        loads_before_device=True,
    )
)
