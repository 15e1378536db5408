"""Which comparison images exist and whether they are current, for the pages. Never imports torch.

Each slot's image is planned exactly as ``settings-guide figures`` plans it (with the configured
defaults, no command-line overrides) and its cache key compared with the manifest's: fresh when
they match, stale (shown, with a note) when the file exists but was made from other inputs.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import ProblemsFound
from ..pages.figure_slots import FigureSlot, PageFigures, SweepChart, caption_for
from ..settings.model import LoadedSetting, ValueRange
from .chart import DARK, HEIGHT, LIGHT, WIDTH, sweep_chart_svg
from .manifest import MANIFEST_NAME, read_manifest, read_sweeps
from .plan import FigureError, ModelResolver, job_state, plan_figures
from .spec import DEFAULTS_NAME, IMAGE_TO_IMAGE, comparison_specs, load_defaults
from .sweep import chart_description, measured_sentence, read_sweep, sweep_state

__all__ = ["MANIFEST_NAME", "figures_reader"]


def figures_reader(root: Path, figures_dir: Path):
    """A function giving each setting's PageFigures; reads the manifest and the defaults once."""
    entries = read_manifest(figures_dir)
    records = read_sweeps(figures_dir)
    defaults_path = figures_dir / DEFAULTS_NAME
    defaults = load_defaults(defaults_path) if defaults_path.is_file() else None
    resolver = ModelResolver(root)
    by_value: dict[tuple[str, str], dict] = {}
    for entry in entries.values():
        if entry.get("setting") is not None:
            by_value[(entry["setting"], str(entry.get("value")))] = entry

    def figures_for(item: LoadedSetting) -> PageFigures:
        comparison = item.setting.comparison
        record = records.get(item.slug)
        if defaults is None:
            # A project without figure defaults cannot plan keys: show what the manifest has, unchecked.
            page = _from_entries(item, by_value, root, figures_dir, "fresh", None)
            return _with_sweep(page, item, record, root, figures_dir, "fresh", None)
        try:
            plan = plan_figures(comparison_specs(item, defaults), resolver)
        except (ProblemsFound, FigureError) as error:
            first = error.problems[0].message if isinstance(error, ProblemsFound) else str(error)
            reason = f"its comparison cannot be planned: {first}"
            page = _from_entries(item, by_value, root, figures_dir, "stale", reason)
            return _with_sweep(page, item, record, root, figures_dir, "stale", reason)
        slots, made = [], []
        for job in (job for job in plan.jobs if job.spec.role == "comparison"):
            entry = entries.get(job.file)
            state = job_state(job, entry, figures_dir)
            caption = caption_for(comparison.parameter, job.spec.value)
            if state.state == "missing":
                slots.append(FigureSlot(caption=caption))
                continue
            made.append(entry)
            slots.append(_slot(caption, entry, root, figures_dir, state.state, state.reason or None))
        page = _page(item, slots, made)
        for sweep in plan.sweeps:
            state = sweep_state(sweep, record)
            page = _with_sweep(page, item, record, root, figures_dir, state.state, state.reason or None)
        return page

    return figures_for


def _with_sweep(page: PageFigures, item: LoadedSetting, record, root: Path, figures_dir: Path, status, reason):
    """The page plus its sweep's chart, drawn from the manifest's numbers with the setting's threshold."""
    sweep = item.setting.comparison.sweep
    if sweep is None:
        return page
    if record is None:
        return replace(page, sweep=SweepChart(values=len(sweep.values)))
    # The label names the setting's reference: a record measured against another one goes without it.
    reading = read_sweep(
        record, sweep.threshold, sweep.reference_label if record["reference"] == sweep.reference else None
    )
    alt = chart_description(reading)
    light, dark = (figures_dir / item.slug / f"sweep-{palette}.svg" for palette in ("light", "dark"))
    light, dark = light.relative_to(root).as_posix(), dark.relative_to(root).as_posix()
    # The value ranges cite the point where a converging image gets close, else the reference.
    cited = reading.values[reading.low if reading.converges else reading.reference_index]
    current = status == "fresh" and reading.low != reading.high
    width, height = record.get("width"), record.get("height")
    return replace(
        page,
        sweep=SweepChart(
            values=len(sweep.values),
            status=status,
            light=light,
            dark=dark,
            width=WIDTH,
            height=HEIGHT,
            alt=alt,
            sentence=measured_sentence(reading),
            stale_reason=reason if status == "stale" else None,
            band=_band_of(item.setting.ranges, cited) if current else None,
            model=record.get("model"),
            devices=tuple(record.get("devices") or ()),
            dtype=record.get("dtype"),
            size=f"{width} × {height}" if width and height else None,
            seed=record.get("seed"),
            prompt=record.get("prompt"),
            files=((light, sweep_chart_svg(reading, LIGHT, alt)), (dark, sweep_chart_svg(reading, DARK, alt))),
        ),
    )


def _band_of(ranges: list[ValueRange], value) -> int | None:
    return next((index for index, band in enumerate(ranges) if band.min <= value <= band.max), None)


def _slot(caption: str, entry: dict, root: Path, figures_dir: Path, status: str, reason: str | None) -> FigureSlot:
    image = (figures_dir / entry["file"]).relative_to(root).as_posix()
    smaller = [
        ((figures_dir / variant["file"]).relative_to(root).as_posix(), variant["width"])
        for variant in entry.get("variants", [])
        if (figures_dir / variant["file"]).is_file()
    ]
    return FigureSlot(
        caption=caption,
        status=status,
        image=image,
        width=entry.get("width"),
        height=entry.get("height"),
        seconds=entry.get("seconds"),
        stale_reason=reason,
        srcset=tuple([*smaller, (image, entry["width"])]) if smaller and entry.get("width") else (),
    )


def _from_entries(item, by_value, root, figures_dir, status, reason) -> PageFigures:
    comparison = item.setting.comparison
    slots, made = [], []
    for value in comparison.values:
        entry = by_value.get((item.slug, str(value)))
        if entry and (figures_dir / entry["file"]).is_file():
            made.append(entry)
            slots.append(_slot(caption_for(comparison.parameter, value), entry, root, figures_dir, status, reason))
        else:
            slots.append(FigureSlot(caption=caption_for(comparison.parameter, value)))
    return _page(item, slots, made)


def _page(item: LoadedSetting, slots: list[FigureSlot], made: list[dict]) -> PageFigures:
    """The slots plus how their images were made, from the first image that exists."""
    if not made:
        return PageFigures(slots=slots)
    comparison = item.setting.comparison
    first = made[0]
    arguments = (first.get("inputs") or {}).get("arguments") or first.get("call") or {}
    notes = []
    if comparison.parameter == "seed":
        notes.append("Each image uses the seed in its caption.")
    if comparison.task == IMAGE_TO_IMAGE:
        notes.append("Every image starts from the same input image, made with the default model, prompt and seed.")
    seconds = [entry["seconds"] for entry in made if isinstance(entry.get("seconds"), (int, float))]
    if seconds:
        notes.append(f"About {sum(seconds) / len(seconds):.1f} s per image.")
    return PageFigures(
        slots=slots,
        model=first.get("model"),
        prompt=None if comparison.parameter == "prompt" else arguments.get("prompt"),
        seed=None if comparison.parameter == "seed" else first.get("seed"),
        device=first.get("device"),
        notes=notes,
    )
