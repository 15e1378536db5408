"""What the Visual Comparison shows for each compared value (an image, or why not) and for its sweep."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

FigureStatus = Literal["fresh", "stale", "missing"]


@dataclass(frozen=True)
class FigureSlot:
    """One compared value on a page."""

    caption: str  # e.g. "num_inference_steps = 4"
    status: FigureStatus = "missing"
    image: str | None = None  # path inside the site, e.g. "figures/inference-steps/....webp"
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    stale_reason: str | None = None
    srcset: tuple[tuple[str, int], ...] = ()  # (image path, width) from small to full size


@dataclass(frozen=True)
class SweepChart:
    """The comparison's measured sweep: a chart per palette, the measured point, and how it was measured."""

    values: int  # how many values the sweep measures
    status: FigureStatus = "missing"
    light: str | None = None  # path inside the site, e.g. "figures/inference-steps/sweep-light.svg"
    dark: str | None = None
    width: int | None = None
    height: int | None = None
    alt: str = ""
    sentence: str = ""  # the measured point, e.g. "From num_inference_steps = 25 on the image is within 5 % ..."
    stale_reason: str | None = None
    band: int | None = None  # the value range the measured point lies in, when it is current
    model: str | None = None
    devices: tuple[str, ...] = ()
    dtype: str | None = None
    size: str | None = None  # e.g. "1024 × 1024"
    seed: int | None = None
    prompt: str | None = None
    files: tuple[tuple[str, str], ...] = ()  # (path inside the site, SVG text): the build writes them


@dataclass(frozen=True)
class PageFigures:
    """All slots of one setting's comparison plus how they were made."""

    slots: list[FigureSlot]
    model: str | None = None
    prompt: str | None = None
    seed: int | None = None
    device: str | None = None
    notes: list[str] = field(default_factory=list)
    sweep: SweepChart | None = None


def caption_for(parameter: str, value) -> str:
    """The caption under one image, e.g. ``num_inference_steps = 4``."""
    if isinstance(value, str) and parameter != "scheduler":
        value = json.dumps(value, ensure_ascii=False)  # so an empty negative prompt still shows as ""
    return f"{parameter} = {value}"


def pending_figures(parameter: str, values: list, sweep_values: int = 0) -> PageFigures:
    """Slots for a comparison none of whose images exist yet (and its sweep, if it has one)."""
    return PageFigures(
        slots=[FigureSlot(caption=caption_for(parameter, value)) for value in values],
        sweep=SweepChart(values=sweep_values) if sweep_values else None,
    )
