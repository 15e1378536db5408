"""Batch size: one call per ``num_images_per_prompt`` after a warm-up; seconds per image and the CUDA
allocator's peak memory are recorded (none on the CPU) and charted. Every batch shows its first image."""

from __future__ import annotations

from dataclasses import replace

from ..errors import first_line
from . import Kind, register

NAME = "batch-size"
PARAMETER = "num_images_per_prompt"
MAX_BATCH = 16


def check(comparison):
    for index, value in enumerate(comparison.values or []):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH:
            yield (
                ("comparison", "values", index),
                f"a batch size is a whole number from 1 to {MAX_BATCH}, got {value!r}",
            )


def stage(spec, staging):
    return replace(spec, measure=NAME)


def call(pipe, job, call_inputs, run):
    """One call making ``num_images_per_prompt`` images: its first image, and the seconds and peak memory."""
    size = int(job.spec.applied[PARAMETER])
    call_inputs.recorded[PARAMETER] = size
    seeds = [job.spec.seed + index for index in range(size)]  # one generator per image, as for seeds
    if run.device == "cuda":
        run.torch.cuda.synchronize()
        run.torch.cuda.reset_peak_memory_stats()
    try:
        results = run.call_pipeline(pipe, call_inputs.arguments, seeds)
    except Exception as error:
        if not run.is_out_of_memory(error):
            raise
        # A batch too large for the device is what this measurement found: recorded and charted, no image.
        run.free_memory()
        message = f"out of memory at batch size {size}: {type(error).__name__}: {first_line(error)}"
        failed = {"result": run.OUT_OF_MEMORY, "message": message}
        return [(None, 0.0, False)], [seeds], {"batch_size": size, "peak_memory_bytes": _peak(run), **failed}
    return results[:1], [seeds], {"batch_size": size, "peak_memory_bytes": _peak(run)}


def _peak(run) -> int | None:
    # Peak memory is the CUDA allocator's; the CPU has no per-call peak to read, so none is recorded there.
    return run.torch.cuda.max_memory_allocated() if run.device == "cuda" else None


def chart(item, made, view):
    """The chart of seconds per image and peak memory, once every batch size was measured on one device."""
    return view.batch_chart(item, made)


KIND = register(
    Kind(
        name=NAME,
        field="measure",
        label="batch size",
        description="seconds per image and peak memory for each `num_images_per_prompt`",
        parameters=(PARAMETER,),
        same_image_on_purpose=True,
        check=check,
        stage=stage,
        call=call,
        chart=chart,
    )
)
