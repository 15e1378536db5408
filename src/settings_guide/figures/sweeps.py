"""A sweep's record in the manifest: each value's difference to the reference image, and how it was measured.

Pure: ``run/measure.py`` computes the differences from the images; the pages read the records.
"""

from __future__ import annotations

from typing import Any

from .plan import SweepPlan

METRIC = "1 − SSIM"
METRIC_VERSION = 1  # bump when figures/metrics.py gives other numbers for the same images


def sweep_record(sweep: SweepPlan, entries: dict[str, dict], differences: list[float]) -> dict[str, Any]:
    """The manifest's record of one sweep: each value's difference to the reference and seconds, and the run facts."""
    made = [entries[job.file] for job in sweep.jobs]
    reference = entries[sweep.reference_job.file]
    call = reference.get("call") or {}
    profile = {"profile": sweep.spec.profile, "label": sweep.spec.label} if sweep.spec.profile else {}
    return {
        "setting": sweep.spec.slug,
        **profile,
        "parameter": sweep.spec.parameter,
        "reference": sweep.spec.reference,
        "metric": METRIC,
        "metric_version": METRIC_VERSION,
        "points": [
            {
                "value": value,
                "file": job.file,
                "key": job.key,
                "difference": round(difference, 5),
                "seconds": entry.get("seconds"),
            }
            for value, job, entry, difference in zip(sweep.spec.values, sweep.jobs, made, differences, strict=True)
        ],
        # Cached images may come from other machines: the seconds compare only on one device.
        "devices": sorted({str(entry.get("device")) for entry in made}),
        "model": reference.get("model"),
        "revision": reference.get("revision"),
        "pipeline": reference.get("pipeline"),
        "dtype": reference.get("dtype"),
        "prompt": call.get("prompt"),
        "seed": reference.get("seed"),
        "width": reference.get("width"),
        "height": reference.get("height"),
    }
