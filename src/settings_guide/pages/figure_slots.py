"""What the Visual Comparison shows for each compared value: an image, or why not."""

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
class PageFigures:
    """All slots of one setting's comparison plus how they were made."""

    slots: list[FigureSlot]
    model: str | None = None
    prompt: str | None = None
    seed: int | None = None
    device: str | None = None
    notes: list[str] = field(default_factory=list)


def caption_for(parameter: str, value) -> str:
    """The caption under one image, e.g. ``num_inference_steps = 4``."""
    if isinstance(value, str) and parameter != "scheduler":
        value = json.dumps(value, ensure_ascii=False)  # so an empty negative prompt still shows as ""
    return f"{parameter} = {value}"


def pending_figures(parameter: str, values: list) -> PageFigures:
    """Slots for a comparison none of whose images exist yet."""
    return PageFigures(slots=[FigureSlot(caption=caption_for(parameter, value)) for value in values])
