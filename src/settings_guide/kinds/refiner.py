"""The refiner ensemble: the base model stops at ``denoising_end`` and hands its unfinished latents to the
refiner's profile, which starts there (``denoising_start``). The first stage's latents are kept in the
local stage cache, so a lost refined image is made again without running the base."""

from __future__ import annotations

from dataclasses import replace

from . import Kind, register

NAME = "refiner"
COMPARED = "denoising_end"


def check(comparison):
    recipe, at = comparison.recipe, ("comparison", "recipe")
    if recipe.refiner is None:
        yield (*at,), "name the refiner's model profile in figures/defaults.yml: `refiner: sdxl-refiner`"
    if comparison.names != (COMPARED,):
        yield (
            ("comparison", "parameter"),
            f"the refiner recipe compares `{COMPARED}`: where the base stops and the refiner starts",
        )


def stage(spec, staging):
    name = staging.comparison.recipe.refiner
    refiner = staging.profile(name, at=("comparison", "recipe", "refiner"))
    first = staging.first_stage(spec, "stage")
    arguments = {k: v for k, v in spec.arguments.items() if k != COMPARED}
    return replace(
        spec,
        task=staging.IMAGE_TO_IMAGE,
        recipe=NAME,
        input=first,
        model=refiner.model,
        revision=refiner.revision,
        pipeline=refiner.pipeline,
        pipeline_is_explicit=False,
        dtype=refiner.dtype,
        profile=refiner.profile,
        label=refiner.label,
        arguments={**refiner.arguments, **arguments, "denoising_start": spec.value},
        origins={**spec.origins, "denoising_start": spec.origins["value"], "model": refiner.origins["model"]},
    )


def prepare(job, call, run):
    call.arguments["image"] = run.load_latents(call.source)  # the base's unfinished latents, not a picture
    del call.recorded["image"]  # the entry's first_stage records the call that made them


def record(job, entry, run):
    entry["first_stage"] = run.first_stage_record(job.input_job)


def notes(comparison, first):
    return [
        "Each image: the default model denoises until the denoising_end in its caption and hands its "
        "unfinished latents to the refiner named here, which finishes the image from that point."
    ]


KIND = register(
    Kind(
        name=NAME,
        field="recipe",
        label="refiner",
        description="the base model stops at `denoising_end` and hands its latents to the `refiner` profile, "
        "which starts there (`denoising_start`)",
        fields=("refiner",),
        check=check,
        stage=stage,
        prepare=prepare,
        record=record,
        notes=notes,
    )
)
