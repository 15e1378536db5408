"""The hires fix: text-to-image at the model's native size, enlarged by ``upscale`` (Lanczos, Pillow), then
image-to-image at each compared ``strength``. The first image is made once and shared by every value."""

from __future__ import annotations

from dataclasses import replace

from . import Kind, register

NAME = "hires-fix"


def check(comparison):
    recipe, at = comparison.recipe, ("comparison", "recipe")
    if recipe.upscale is None:
        yield (*at,), "the hires fix enlarges its first image: set `upscale`, e.g. 1.5"


def stage(spec, staging):
    # First stage: the same call without the compared values, at the model's native size (or --size's box).
    upscale = staging.comparison.recipe.upscale
    names = staging.comparison.names
    first_arguments = {k: v for k, v in spec.arguments.items() if k not in (*names, "strength")}
    native = staging.native_size(spec.profile)
    first = replace(staging.first_stage(spec, "input"), arguments=first_arguments, width=native[0], height=native[1])
    width, height = staging.scaled(*native, upscale)
    return replace(
        spec, task=staging.IMAGE_TO_IMAGE, recipe=NAME, upscale=upscale, input=first, width=width, height=height
    )


def enlarged(image, width: int, height: int, run):
    """The hires fix's enlargement: Lanczos resampling (Pillow), the upscaler the page names."""
    return image.convert("RGB").resize((width, height), run.Image.Resampling.LANCZOS)


def prepare(job, call, run):
    call.arguments["image"] = enlarged(run.open_rgb(call.source), job.spec.width, job.spec.height, run)


def notes(comparison, first):
    return [
        f"Each image: text-to-image at the model's native size, enlarged {comparison.recipe.upscale:g}× with Lanczos "
        "resampling (Pillow), then image-to-image at the strength in its caption."
    ]


def code_imports(entry):
    return ["from PIL import Image"]


def code_input(entry, image: str):
    return [f"{image} = {image}.resize(({entry['width']}, {entry['height']}), Image.Resampling.LANCZOS)"]


KIND = register(
    Kind(
        name=NAME,
        field="recipe",
        label="hires fix",
        description="text-to-image at the model's native size, enlarged by `upscale`, then image-to-image with "
        "the compared values",
        fields=("upscale",),
        check=check,
        stage=stage,
        prepare=prepare,
        notes=notes,
        image_caption="The first stage, before its enlargement",
        code_imports=code_imports,
        code_input=code_input,
    )
)
