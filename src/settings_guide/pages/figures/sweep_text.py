"""Sweeps: the numbers the manifest keeps for each one, whether they are current, and what they say.

Pure: no NumPy, no torch. ``measure.py`` computes the numbers from the images on disk;
``chart.py`` draws them; the pages read the sentences from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .captions import caption_for

# --- what the numbers say -------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A record read against a threshold: the values, around the reference, within it."""

    parameter: str
    values: list[Any]
    differences: list[float]
    seconds: list[float | None]
    reference_index: int
    threshold: float
    reference_label: str | None
    low: int  # index of the lowest value of the run within the threshold that contains the reference
    high: int

    @property
    def reference(self) -> Any:
        return self.values[self.reference_index]

    @property
    def converges(self) -> bool:
        """The reference is the last value: the sweep asks how soon the image gets there."""
        return self.reference_index == len(self.values) - 1

    def time_share(self, index: int) -> float | None:
        """The seconds at ``index`` as a share of the reference's seconds."""
        spent, full = self.seconds[index], self.seconds[self.reference_index]
        return spent / full if isinstance(spent, (int, float)) and isinstance(full, (int, float)) and full > 0 else None


def read_sweep(record: dict, threshold: float, reference_label: str | None = None) -> Reading:
    """The record's numbers, and the unbroken run of values around the reference within ``threshold``."""
    points = record["points"]
    values = [point["value"] for point in points]
    differences = [float(point["difference"]) for point in points]
    reference_index = values.index(record["reference"])
    low = high = reference_index
    while low > 0 and differences[low - 1] <= threshold:
        low -= 1
    while high < len(values) - 1 and differences[high + 1] <= threshold:
        high += 1
    return Reading(
        parameter=record["parameter"],
        values=values,
        differences=differences,
        seconds=[point.get("seconds") for point in points],
        reference_index=reference_index,
        threshold=threshold,
        reference_label=reference_label,
        low=low,
        high=high,
    )


def percent(threshold: float) -> str:
    return f"{threshold * 100:.3g} %"


def reference_phrase(reading: Reading) -> str:
    """``the one at num_inference_steps = 100``, or ``the one at the recommended value, guidance_scale = 5.0``."""
    at = caption_for(reading.parameter, reading.reference)
    return f"the one at the {reading.reference_label}, {at}" if reading.reference_label else f"the one at {at}"


def measured_sentence(reading: Reading) -> str:
    """The measured point in one sentence, e.g. for the chart's caption and the value ranges."""
    within = f"within {percent(reading.threshold)} of {reference_phrase(reading)} (1 − SSIM ≤ {reading.threshold:g})"
    if reading.low == reading.high:
        others = [i for i in range(len(reading.values)) if i != reading.reference_index]
        closest = min(others, key=lambda i: reading.differences[i])
        return (
            f"No other value came {within}; the closest, {caption_for(reading.parameter, reading.values[closest])}, "
            f"differs by {reading.differences[closest]:.3f}."
        )
    low = caption_for(reading.parameter, reading.values[reading.low])
    if reading.converges:
        share = reading.time_share(reading.low)
        cost = f", in {round(share * 100)} % of the time" if share is not None else ""
        return f"From {low} on the image is {within}{cost}."
    return f"From {low} to {reading.values[reading.high]} the image stays {within}."


def chart_description(series: Reading | list[tuple[str | None, Reading]]) -> str:
    """Alternative text for the chart: what it plots, its ranges, then each model's measured point."""
    if isinstance(series, Reading):
        series = [(None, series)]
    readings = [reading for _, reading in series]
    differences = [d for reading in readings for d in reading.differences]
    seconds = [s for reading in readings for s in reading.seconds if isinstance(s, (int, float))]
    timed = f" and the seconds each image took ({min(seconds):g} to {max(seconds):g} s)" if seconds else ""
    first = readings[0]
    if len(series) == 1:
        values = first.values
        return (
            f"Chart of the difference of each image to {reference_phrase(first)} (1 − SSIM, from "
            f"{max(differences):.2f} down to 0){timed}, for {first.parameter} from {values[0]} to {values[-1]}. "
            + measured_sentence(first)
        )
    names = ", ".join(label or f"model {index + 1}" for index, (label, _) in enumerate(series))
    values = sorted({v for reading in readings for v in reading.values})
    return (
        f"Chart with one line per model ({names}): the difference of each image to that model's own reference "
        f"(1 − SSIM, from {max(differences):.2f} down to 0){timed}, for {first.parameter} from {values[0]} to "
        f"{values[-1]}. " + " ".join(f"{label}: {measured_sentence(reading)}" for label, reading in series)
    )
