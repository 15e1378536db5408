"""What the Visual Comparison shows for each compared value (an image, or why not) and for its sweep."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .captions import caption_for
from .samplers import also_called

FigureStatus = Literal["fresh", "stale", "missing"]


@dataclass(frozen=True)
class Reproduction:
    """How to make one image again: diffusers code, and AUTOMATIC1111's parameters or why there are none."""

    code: str  # pages/figures/reproduce.py: this image's own lines, after its model's set-up
    automatic1111: str | None = None  # pages/figures/automatic1111.py
    automatic1111_reasons: tuple[str, ...] = ()
    automatic1111_note: str | None = None  # what the parameters leave to its command line (a compared precision)


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
    reproduce: Reproduction | None = None  # from the manifest's record of the call that made it
    failure: str | None = None  # a precision that broke the image (NaN, black): said instead of an image
    failure_label: str | None = None  # its short form, inside the box that stands for the image
    file_size: str | None = None  # output-format: the file's size, e.g. "182 KB"
    crop: str | None = None  # output-format: a zoomed crop of the saved file (lossless), path inside the site
    crop_width: int | None = None
    crop_height: int | None = None
    peak_memory: str | None = None  # batch-size: the call's peak GPU memory, e.g. "9.1 GiB peak"
    also_called: str | None = None  # the value's names in other tools, e.g. "AUTOMATIC1111: Euler a · ..."


@dataclass(frozen=True)
class SweepChart:
    """The comparison's measured sweeps: one chart per palette (a line per model), the measured points, and how."""

    values: int  # how many values the sweeps measure, all models together
    sweeps: int = 1  # how many models have a sweep
    status: FigureStatus = "missing"
    light: str | None = None  # path inside the site, e.g. "figures/inference-steps/sweep-light.svg"
    dark: str | None = None
    width: int | None = None
    height: int | None = None
    alt: str = ""
    sentence: str = ""  # the measured points, e.g. "SDXL: from num_inference_steps = 25 on the image is within 5 % ..."
    stale_reason: str | None = None
    band: int | None = None  # the value range the (first) model's measured point lies in, when it is current
    band_sentence: str = ""  # that model's measured point, for the value range
    models: tuple[tuple[str | None, str], ...] = ()  # (label, model id) of each measured model
    devices: tuple[str, ...] = ()
    dtype: str | None = None
    size: str | None = None  # e.g. "1024 × 1024"
    seed: int | None = None
    prompt: str | None = None
    files: tuple[tuple[str, str], ...] = ()  # (path inside the site, SVG text): the build writes them


@dataclass(frozen=True)
class BatchChart:
    """The batch-size measurement's chart: seconds per image and peak memory against batch size."""

    light: str  # path inside the site
    dark: str
    width: int
    height: int
    alt: str
    sentence: str
    device: str
    status: FigureStatus = "fresh"
    stale_reason: str | None = None  # a point measured with other inputs than the page's: why, as its slot says
    files: tuple[tuple[str, str], ...] = ()  # (path inside the site, SVG text): the build writes them


@dataclass(frozen=True)
class ScrubberPoint:
    """One value of a sweep on the scrubber: its image and what was measured."""

    caption: str  # e.g. "num_inference_steps = 25"
    image: str  # path inside the site
    difference: float
    seconds: float | None = None
    width: int | None = None
    height: int | None = None
    srcset: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Scrubber:
    """A slider through one model's sweep images; it starts at the reference."""

    points: tuple[ScrubberPoint, ...]
    start: int
    label: str  # what the slider steps through, for screen readers


@dataclass(frozen=True)
class ModelFigures:
    """One model's images in a comparison: a tab of its own when the comparison has several models."""

    slots: list[FigureSlot]
    label: str | None = None  # the tab's title, e.g. "FLUX.1 [schnell]"
    profile: str | None = None  # its figure profile: the tab's anchor (#model-<profile>) that model pages link to
    model: str | None = None
    revision: str | None = None
    prompt: str | None = None
    seed: int | None = None
    device: str | None = None
    notes: list[str] = field(default_factory=list)
    note: str | None = None  # the comparison's remark on this model (Markdown, from the setting file)
    scrubber: Scrubber | None = None
    sources: tuple[SourceImage, ...] = ()  # the images every image starts from or follows
    reproduce_setup: str | None = None  # the Reproduce code its images share, run once before each one's own
    about: ModelAbout | None = None  # what the reader needs before running the model: licence, gating, download
    no_effect: str | None = None  # why the setting does nothing on this model, shown instead of images (Markdown)
    schedule: ScheduleChart | None = None  # a scheduler comparison: the noise level per step of each value


@dataclass(frozen=True)
class ScheduleChart:
    """The noise schedules a scheduler comparison's images ran, one line per value (light and dark SVG)."""

    light: str  # path inside the site
    dark: str
    width: int
    height: int
    alt: str
    files: tuple[tuple[str, str], ...] = ()  # (path inside the site, SVG text): the build writes them


@dataclass(frozen=True)
class ModelAbout:
    """A profile's licence, gating and download size, from figures/defaults.yml (maintainers' file)."""

    label: str
    licence: str
    licence_url: str
    gated: bool
    download_gb: float | None = None


@dataclass(frozen=True)
class SourceImage:
    """An image the comparison starts from: an input, a hires fix's first stage, a reference, a control image."""

    caption: str
    image: str  # path inside the site
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class PageFigures:
    """Every model's images of one setting's comparison, and the chart of their sweeps."""

    models: list[ModelFigures]
    sweep: SweepChart | None = None
    batch: BatchChart | None = None

    @property
    def tabbed(self) -> bool:
        return len(self.models) > 1

    @property
    def slots(self) -> list[FigureSlot]:
        """Every slot, model after model."""
        return [slot for model in self.models for slot in model.slots]


def pending_figures(comparison) -> PageFigures:
    """Slots for a comparison none of whose images exist yet (and its sweeps, if it has any)."""
    entries = comparison.models or [None]
    models = [
        ModelFigures(
            slots=[
                FigureSlot(caption_for(comparison.parameter, v), also_called=also_called(comparison.parameter, v))
                for v in comparison.values_for(entry)
            ],
            label=entry.profile if entry is not None else None,
            profile=entry.profile if entry is not None else None,
            note=entry.note if entry is not None else None,
        )
        for entry in entries
    ]
    swept = [sweep for sweep in map(comparison.sweep_for, entries) if sweep is not None]
    chart = SweepChart(values=sum(len(sweep.values) for sweep in swept), sweeps=len(swept)) if swept else None
    return PageFigures(models=models, sweep=chart)
