"""ControlNet: a second network that steers the image by a control image, here the Canny edges of the shared
input image; the comparison varies its weight or its window of steps."""

from __future__ import annotations

from dataclasses import replace

from ..python_code import TORCH_DTYPE_CODE, python_literal
from . import DIFFUSERS_MODEL_FILES, Kind, adapter_note, register

NAME = "controlnet"
CANNY_THRESHOLDS = (100, 200)  # OpenCV's Canny hysteresis thresholds for a control image, as diffusers' examples
CONTROL = "control"  # the applied value naming how the control image is made (and the suffix of its file)


def check(comparison):
    if comparison.adapter.control is None:
        yield ("comparison", "adapter"), "a ControlNet says how its control image is made: `control: canny`"


def stage(spec, staging):
    # The control image is derived from the shared input image when the image is made.
    return replace(spec, input=staging.input_image(), applied={**spec.applied, CONTROL: spec.adapter.control})


def pipeline_class(cls, run):
    """The ControlNet variant of a text-to-image pipeline class (e.g. SDXL's); None when diffusers has none."""
    family = run.family_of(cls)
    return (
        run.diffusers.pipelines.auto_pipeline.AUTO_TEXT2IMAGE_PIPELINES_MAPPING.get(f"{family}-{NAME}")
        if family
        else None
    )


def hub_files(adapter):
    return DIFFUSERS_MODEL_FILES


def load(pipe, adapter, dtype, run):
    controlnet = run.diffusers.ControlNetModel.from_pretrained(
        adapter.model, revision=adapter.revision, use_safetensors=True, **{run.DTYPE_KEYWORD: dtype}
    )
    return pipeline_class(type(pipe), run).from_pipe(pipe, controlnet=controlnet)


def control_image(image, kind: str, run):
    """The control image a ControlNet follows, derived from the input image: Canny edges, white on black."""
    if kind != "canny":
        raise ValueError(f"no control image kind {kind!r}")
    edges = run.cv2.Canny(run.np.asarray(image.convert("RGB")), *CANNY_THRESHOLDS)
    return run.Image.fromarray(run.np.stack([edges] * 3, axis=-1))


def prepare(job, call, run):
    kind = job.spec.applied[CONTROL]
    call.arguments["image"] = control_image(run.open_rgb(call.source), kind, run)
    # Kept beside its input image, so the page can show what the ControlNet followed.
    run.keep_png(call.arguments["image"], run.layout.control_file(job.input_job.file, kind))


def record(job, entry, run):
    entry["control_image"] = {
        "file": run.layout.control_file(job.input_job.file, job.spec.applied[CONTROL]),
        "width": job.input_job.spec.width,
        "height": job.input_job.spec.height,
    }


def notes(comparison, first):
    return [
        adapter_note(KIND.label, comparison.adapter),
        "Its control image is the Canny edge map (OpenCV) of the shared input image.",
    ]


def sources(first, entry_of):
    control = first.get("control_image")
    return [("The control image: its Canny edges", control)] if isinstance(control, dict) else []


def code_imports_before(entry):
    return ["import cv2", "import numpy as np"]


def code_imports(entry):
    return ["from PIL import Image"]


def code_classes(entry):
    return ["ControlNetModel"]


def code_before_load(entry):
    adapter = entry["inputs"]["adapter"]
    return [
        "controlnet = ControlNetModel.from_pretrained(",
        f"    {python_literal(adapter['model'])}, revision={python_literal(adapter['revision'])}, "
        f"dtype={TORCH_DTYPE_CODE[entry['dtype']]}",
        ")",
    ]


def code_load_arguments(entry):
    return ["    controlnet=controlnet,"]


def code_input(entry, image: str):
    low, high = CANNY_THRESHOLDS
    return [
        f"edges = cv2.Canny(np.asarray({image}), {low}, {high})",
        f"{image} = Image.fromarray(np.stack([edges] * 3, axis=-1))  # the control image",
    ]


KIND = register(
    Kind(
        name=NAME,
        field="adapter",
        label="ControlNet",
        description="its control image is derived from the input image",
        fields=("control",),
        check=check,
        stage=stage,
        pipeline_class=pipeline_class,
        hub_files=hub_files,
        load=load,
        prepare=prepare,
        record=record,
        notes=notes,
        sources=sources,
        code_imports_before=code_imports_before,
        code_imports=code_imports,
        code_classes=code_classes,
        code_before_load=code_before_load,
        code_load_arguments=code_load_arguments,
        code_input=code_input,
    )
)
