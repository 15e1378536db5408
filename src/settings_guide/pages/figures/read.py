"""Which comparison images exist and whether they are current, for the pages. Never imports torch.

Each slot's image is planned exactly as ``settings-guide figures`` plans it (with the configured
defaults, no command-line overrides) and its cache key compared with the manifest's: fresh when
they match, stale (shown, with a note) when the file exists but was made from other inputs.
A comparison across models gives one ModelFigures per model (a tab on the page) and one chart
with a line per model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ... import kinds
from ...errors import FigureError, ProblemsFound
from ...figures.layout import DEFAULTS_NAME, chart_file, sweep_id
from ...figures.manifest import NEEDS_CUDA, OUT_OF_MEMORY, has_image, read_manifest, read_sweeps
from ...figures.plan import FigureJob, ModelResolver, plan_figures
from ...figures.profiles import ModelProfile, load_defaults
from ...figures.spec import IMAGE_TO_IMAGE, comparison_specs
from ...figures.state import job_state, sweep_state
from ...settings.model import ComparisonModel, LoadedSetting, ValueRange
from .automatic1111 import image_parameters
from .batch_chart import WIDTH as BATCH_WIDTH
from .batch_chart import BatchPoint, batch_chart_height, batch_chart_svg, batch_sentence
from .captions import caption_for
from .chart import DARK, HEIGHT, LIGHT, WIDTH, sweep_chart_svg
from .reproduce import Recorded, reproduce_code
from .samplers import also_called
from .sigma_chart import WIDTH as SIGMA_WIDTH
from .sigma_chart import Schedule, sigma_chart_height, sigma_chart_svg, sigma_sentence
from .sweep_text import Reading, chart_description, measured_sentence, read_sweep
from .view import (
    BatchChart,
    FigureSlot,
    ModelAbout,
    ModelFigures,
    PageFigures,
    Reproduction,
    ScheduleChart,
    Scrubber,
    ScrubberPoint,
    SourceImage,
    SweepChart,
)

# What a manifest entry must hold for its image to be made again from it (stand-ins and old entries may not).
RECORDED_CALL = ("call", "model", "revision", "pipeline", "dtype", "seed", "file")
FAILURE_LABELS = {
    "nan": "NaN pixels: a black image",
    "black": "An all-black image",
    OUT_OF_MEMORY: "Out of memory",
    NEEDS_CUDA: "Needs a CUDA GPU",
}
STALE = "its inputs changed since it was made"  # the slot's note when the plan gives no reason


@dataclass(frozen=True)
class _Measured:
    """One model's sweep as the page shows it: its record read against the setting's threshold."""

    label: str | None
    record: dict
    reading: Reading
    status: str
    reason: str | None


def figures_reader(root: Path, figures_dir: Path, site_url: str | None = None, defaults=None):
    """A function giving each setting's PageFigures; reads the manifest and the defaults once.

    ``site_url``: the published site's address, so that code loading an input image can fetch it.
    ``defaults``: figures/defaults.yml as the caller already loaded it (else read here).
    """
    entries = read_manifest(figures_dir)
    records = read_sweeps(figures_dir)
    defaults_path = figures_dir / DEFAULTS_NAME
    if defaults is None and defaults_path.is_file():
        defaults = load_defaults(defaults_path)
    resolver = ModelResolver(root)
    view = _View(root, figures_dir, site_url, entries)

    def figures_for(item: LoadedSetting) -> PageFigures:
        comparison = item.setting.comparison
        models = comparison.models or [None]
        if defaults is None:
            # A project without figure defaults cannot plan keys: show what the manifest has, unchecked.
            return view.from_entries(item, entries, records, "fresh", None)
        try:
            plan = plan_figures(comparison_specs(item, defaults), resolver)
        except (ProblemsFound, FigureError) as error:
            first = error.problems[0].message if isinstance(error, ProblemsFound) else str(error)
            return view.from_entries(item, entries, records, "stale", f"its comparison cannot be planned: {first}")
        groups: dict[str | None, list[FigureJob]] = {}
        for job in plan.jobs:
            if job.spec.role == "comparison":
                groups.setdefault(job.spec.profile if job.spec.per_model else None, []).append(job)
        tabs, measured = [], []
        sweeps = plan.sweeps  # gathered from every job: once per page, not once per model
        for entry in models:
            key = entry.profile if entry is not None else None
            if entry is not None and entry.no_effect is not None:
                profile = defaults.values.models[key]
                tabs.append(
                    ModelFigures(
                        slots=[],
                        label=profile.label,
                        profile=key,
                        no_effect=entry.no_effect,
                        about=model_about(profile),
                    )
                )
                continue
            sweep = next((s for s in sweeps if s.spec.profile == key), None)
            jobs = groups.get(key, [])
            one = None
            if sweep is not None and (record := records.get(sweep.spec.id)) is not None:
                state = sweep_state(sweep, record)
                one = view.measured(item, entry, record, state.state, state.reason or None)
                measured.append(one)
            shown, made = [], []
            for job in jobs:
                entry_made = entries.get(job.file)
                state = job_state(job, entry_made, figures_dir)
                caption = caption_for(comparison.parameter, job.spec.value)
                names = also_called(comparison.parameter, job.spec.value)
                if state.state == "missing":
                    shown.append((FigureSlot(caption=caption, also_called=names), None))
                    continue
                made.append(entry_made)
                shown.append((view.slot(caption, entry_made, state.state, state.reason or None, names), entry_made))
            label = jobs[0].spec.label if jobs and jobs[0].spec.per_model else None  # named: a tab, or one profile
            scrubber = view.scrubber(one, entries) if one is not None else None
            tab = view.model_figures(item, entry, shown, made, label, scrubber)
            tab = replace(tab, schedule=view.schedule_chart(item, key, made))
            profile = defaults.values.models.get(jobs[0].spec.profile or "") if jobs else None
            tabs.append(replace(tab, about=model_about(profile)) if profile is not None else tab)
        made = [entries[job.file] for job in plan.jobs if job.spec.role == "comparison" and job.file in entries]
        return PageFigures(
            models=tabs, sweep=view.chart(item, measured, _sweep_values(item)), batch=view.kind_chart(item, made)
        )

    return figures_for


def model_about(profile: ModelProfile) -> ModelAbout | None:
    """What a profile tells readers before they download it; None when its licence is not recorded."""
    published = profile.published
    if profile.licence is None or profile.licence_url is None:
        return None
    return ModelAbout(
        profile.label,
        profile.licence,
        str(profile.licence_url),
        profile.gated,
        published.download_gb if published is not None else None,
    )


def _sweep_values(item: LoadedSetting) -> tuple[int, int]:
    """How many values the comparison's sweeps measure, all models together, and how many sweeps."""
    comparison = item.setting.comparison
    sweeps = [sweep for sweep in map(comparison.sweep_for, comparison.models or [None]) if sweep is not None]
    return sum(len(sweep.values) for sweep in sweeps), len(sweeps)


class _View:
    """Turns manifest entries and sweep records into what the templates show."""

    def __init__(self, root: Path, figures_dir: Path, site_url: str | None = None, entries: dict | None = None):
        self.root, self.figures_dir, self.site_url = root, figures_dir, site_url
        self.entries = entries or {}  # the manifest's image entries: input images' sizes
        self.stale: dict[str, str] = {}  # file -> why its slot is out of date, for the charts drawn from them

    def site_path(self, file: str) -> str:
        return (self.figures_dir / file).relative_to(self.root).as_posix()

    def slot(self, caption: str, entry: dict, status: str, reason: str | None, also: str | None = None) -> FigureSlot:
        if status == "stale":  # a chart of these entries marks the point out of date as the slot is
            self.stale[entry["file"]] = reason or STALE
        if not has_image(entry):  # a precision that broke the image: the slot says what happened
            return FigureSlot(
                caption=caption,
                status=status,
                failure=str(entry.get("message", "")),
                failure_label=FAILURE_LABELS.get(entry.get("result"), "No image"),
                stale_reason=reason,
                also_called=also,
            )
        image = self.site_path(entry["file"])
        crop = entry.get("crop") if isinstance(entry.get("crop"), dict) else {}
        memory = entry.get("peak_memory_bytes")
        if "batch_size" in entry and memory is None:
            memory = "not measured on this device"
        return FigureSlot(
            caption=caption,
            status=status,
            image=image,
            width=entry.get("width"),
            height=entry.get("height"),
            seconds=None if "bytes" in entry else entry.get("seconds"),  # a saved format: no generation time
            stale_reason=reason,
            srcset=self.srcset(entry),
            file_size=entry.get("size"),
            crop=self.site_path(crop["file"]) if crop.get("file") else None,
            crop_width=crop.get("width"),
            crop_height=crop.get("height"),
            peak_memory=f"{memory / 1024**3:.1f} GiB" if isinstance(memory, (int, float)) else memory,
            also_called=also,
        )

    def reproduced(self, shown: list[tuple[FigureSlot, dict | None]]) -> tuple[list[FigureSlot], str | None]:
        """One model's slots with each image's Reproduce code, and the set-up code they share."""
        recorded = {index: r for index, (_, entry) in enumerate(shown) if entry and (r := self.recorded(entry))}
        if not recorded:
            return [slot for slot, _ in shown], None
        code = reproduce_code(list(recorded.values()))
        own = dict(zip(recorded, code.images, strict=True))
        slots = [
            replace(slot, reproduce=Reproduction(own[index], *image_parameters(recorded[index])))
            if index in own
            else slot
            for index, (slot, _) in enumerate(shown)
        ]
        return slots, code.setup

    def recorded(self, entry: dict) -> Recorded | None:
        """What ``entry``'s image is made again from; None for entries without a recorded call."""
        made_from = None if "call" in entry else self.entries.get(entry.get("source_image"))  # a saved format
        record = made_from or entry
        if not all(key in record for key in RECORDED_CALL) or not has_image(entry):
            return None
        image = next((record["call"][name] for name in kinds.image_arguments() if name in record["call"]), None)
        where = None
        if isinstance(image, str):
            where = self.site_path(image)
            where = f"{self.site_url.rstrip('/')}/{where}" if self.site_url else where
        return Recorded(entry, where, made_from)

    def srcset(self, entry: dict) -> tuple[tuple[str, int], ...]:
        smaller = [
            (self.site_path(variant["file"]), variant["width"])
            for variant in entry.get("variants", [])
            if (self.figures_dir / variant["file"]).is_file()
        ]
        if not smaller or not entry.get("width"):
            return ()
        return (*smaller, (self.site_path(entry["file"]), entry["width"]))

    def model_figures(
        self,
        item: LoadedSetting,
        entry: ComparisonModel | None,
        shown: list[tuple[FigureSlot, dict | None]],
        made: list[dict],
        label: str | None,
        scrubber: Scrubber | None = None,
    ) -> ModelFigures:
        """One model's slots (each with the entry of its image, if made) plus how their images were made, from
        the first image that exists."""
        note = entry.note if entry is not None else None
        profile = entry.profile if entry is not None else None
        slots, setup = self.reproduced(shown)
        if not made:
            return ModelFigures(slots=slots, label=label, profile=profile, note=note, scrubber=scrubber)
        comparison = item.setting.comparison
        first = made[0]
        origin = self.made_by(first)
        arguments = (origin.get("inputs") or {}).get("arguments") or origin.get("call") or {}
        notes = []
        if comparison.parameter == "seed":
            notes.append("Each image uses the seed in its caption.")
        if comparison.task == IMAGE_TO_IMAGE:
            notes.append("Every image starts from the same input image, made with the default model, prompt and seed.")
        notes += [note for kind in kinds.of_comparison(comparison) for note in kind.notes(comparison, first)]
        # A pipeline call's seconds; an image saved from another one (a format) took no generation time.
        seconds = [
            entry["seconds"] for entry in made if "call" in entry and isinstance(entry.get("seconds"), (int, float))
        ]
        if seconds:
            notes.append(f"About {sum(seconds) / len(seconds):.1f} s per image.")
        return ModelFigures(
            sources=self.sources(comparison, first),
            slots=slots,
            label=label or None,
            profile=profile,
            model=origin.get("model"),
            revision=origin.get("revision"),
            prompt=None if comparison.parameter == "prompt" else arguments.get("prompt"),
            seed=None if comparison.parameter == "seed" else origin.get("seed"),
            device=origin.get("device"),
            notes=notes,
            note=note,
            scrubber=scrubber,
            reproduce_setup=setup,
        )

    def made_by(self, entry: dict) -> dict:
        """The record of the model and call that made an image's pixels: its own or, for an image saved from
        another one (a format), that image's entry, else what its own recorded inputs say of that model."""
        if "model" in entry:
            return entry
        source = self.entries.get(entry.get("source_image"))
        return source if source is not None and "model" in source else {**(entry.get("inputs") or {}), **entry}

    def sources(self, comparison, first: dict) -> tuple[SourceImage, ...]:
        """The images the comparison's images start from or follow, from its first made image's record."""
        call = first.get("call") or {}
        used = kinds.of_comparison(comparison)
        found: list[tuple[str, dict]] = []  # (caption, an entry or record with file, width, height)
        if isinstance(call.get("image"), str):
            caption = next((kind.image_caption for kind in used if kind.image_caption), "The input image")
            found.append((caption, self.entry_of(call["image"])))
        found += [source for kind in used for source in kind.sources(first, self.entry_of)]
        return tuple(
            SourceImage(caption, self.site_path(record["file"]), record.get("width"), record.get("height"))
            for caption, record in found
            if (self.figures_dir / record["file"]).is_file()
        )

    def entry_of(self, file: str) -> dict:
        """The manifest entry of an image file (its size), or just its name when it has none."""
        return self.entries.get(file) or {"file": file}

    def from_entries(self, item: LoadedSetting, entries: dict, records: dict, status, reason) -> PageFigures:
        """What the manifest holds for a setting, by value, when its images cannot be planned."""
        comparison = item.setting.comparison
        models = comparison.models or [None]
        tabs, measured, every = [], [], []
        for entry in models:
            profile = entry.profile if entry is not None else None
            folder = sweep_id(item.slug, profile)  # a per-model image lives in <slug>/<profile>/
            by_value = {
                str(e.get("value")): e
                for e in entries.values()
                if e.get("setting") == item.slug and Path(e["file"]).parent.as_posix() == folder
            }
            shown, made = [], []
            for value in comparison.values_for(entry):
                caption = caption_for(comparison.parameter, value)
                names = also_called(comparison.parameter, value)
                found = by_value.get(str(value))
                if found and (not has_image(found) or (self.figures_dir / found["file"]).is_file()):
                    made.append(found)
                    every.append(found)
                    shown.append((self.slot(caption, found, status, reason, names), found))
                else:
                    shown.append((FigureSlot(caption=caption, also_called=names), None))
            record = records.get(sweep_id(item.slug, profile))
            one = None
            if record is not None and comparison.sweep_for(entry) is not None:
                one = self.measured(item, entry, record, status, reason)
                measured.append(one)
            label = ((made[0].get("label") if made else None) or profile) if profile else None
            scrubber = self.scrubber(one, entries) if one is not None else None
            tabs.append(self.model_figures(item, entry, shown, made, label, scrubber))
        return PageFigures(
            models=tabs, sweep=self.chart(item, measured, _sweep_values(item)), batch=self.kind_chart(item, every)
        )

    def schedule_chart(self, item: LoadedSetting, profile: str | None, made: list[dict]) -> ScheduleChart | None:
        """The noise level per step of each image a scheduler comparison made, once two or more recorded one."""
        parameter = item.setting.comparison.parameter
        schedules = [
            Schedule(caption_for(parameter, entry["value"]), tuple(entry["sigmas"]))
            for entry in made
            if entry.get("sigmas") and "value" in entry
        ]
        if len(schedules) < 2:
            return None
        name = f"schedule-{profile}" if profile else "schedule"
        light, dark = (self.site_path(chart_file(item.slug, name, palette)) for palette in ("light", "dark"))
        alt = sigma_sentence(schedules)
        return ScheduleChart(
            light=light,
            dark=dark,
            width=SIGMA_WIDTH,
            height=sigma_chart_height(schedules),
            alt=alt,
            files=tuple(
                (path, sigma_chart_svg(schedules, palette, alt)) for path, palette in ((light, LIGHT), (dark, DARK))
            ),
        )

    def kind_chart(self, item: LoadedSetting, made: list[dict]) -> BatchChart | None:
        """A chart of the comparison's kind's own (a batch size's), drawn from its made images' entries."""
        chart = kinds.first(kinds.of_comparison(item.setting.comparison), "chart")
        return chart(item, made, self) if chart is not None and made else None

    def batch_chart(self, item: LoadedSetting, made: list[dict]) -> BatchChart | None:
        """Seconds per image and peak memory against batch size, once every one was measured on one device."""
        devices = {str(entry.get("device")) for entry in made}
        if len(made) != len(item.setting.comparison.values or []) or len(devices) != 1:
            return None  # seconds from different machines do not belong on one line
        points = []
        for e in sorted(made, key=lambda e: e["batch_size"]):
            failed = e.get("result") == OUT_OF_MEMORY  # a batch the device had no memory for: a labelled mark
            seconds, peak = (None, None) if failed else (float(e["seconds"]), e.get("peak_memory_bytes"))
            points.append(BatchPoint(int(e["batch_size"]), seconds, peak, failed, e["file"] in self.stale))
        stale = [self.stale[e["file"]] for e in made if e["file"] in self.stale]
        device = devices.pop()
        model = str(made[0].get("label") or made[0].get("model"))
        sentence = batch_sentence(points, device)
        light, dark = (self.site_path(chart_file(item.slug, "batch", palette)) for palette in ("light", "dark"))
        return BatchChart(
            light=light,
            dark=dark,
            width=BATCH_WIDTH,
            height=batch_chart_height(points),
            alt=sentence,
            sentence=sentence,
            device=device,
            status="stale" if stale else "fresh",
            stale_reason=stale[0] if stale else None,
            files=tuple(
                (path, batch_chart_svg(points, device, model, palette, sentence))
                for path, palette in ((light, LIGHT), (dark, DARK))
            ),
        )

    def measured(self, item: LoadedSetting, entry, record: dict, status: str, reason: str | None) -> _Measured:
        sweep = item.setting.comparison.sweep_for(entry)
        # The label names the setting's reference: a record measured against another one goes without it.
        label = sweep.reference_label if record["reference"] == sweep.reference else None
        reading = read_sweep(record, sweep.threshold, label)
        model_label = record.get("label") if item.setting.comparison.models else None
        return _Measured(model_label, record, reading, status, reason)

    def scrubber(self, measured: _Measured, entries: dict) -> Scrubber | None:
        """A slider through a sweep's images, from its record, when every one of them is on disk."""
        points = []
        for point in measured.record.get("points", []):
            entry = entries.get(point.get("file"))
            if entry is None or not (self.figures_dir / entry["file"]).is_file():
                return None
            points.append(
                ScrubberPoint(
                    caption=caption_for(measured.reading.parameter, point["value"]),
                    image=self.site_path(entry["file"]),
                    difference=float(point["difference"]),
                    seconds=point.get("seconds"),
                    width=entry.get("width"),
                    height=entry.get("height"),
                    srcset=self.srcset(entry),
                )
            )
        who = f" on {measured.label}" if measured.label else ""
        return Scrubber(
            points=tuple(points),
            start=measured.reading.reference_index,
            label=f"{measured.reading.parameter}{who}: step through the sweep's images",
        )

    def chart(self, item: LoadedSetting, measured: list[_Measured], counts: tuple[int, int]) -> SweepChart | None:
        """The chart of every measured sweep of the comparison, drawn from the manifest's numbers."""
        values, sweeps = counts
        if not values:
            return None
        if not measured:
            return SweepChart(values=values, sweeps=sweeps)
        series = [(m.label, m.reading) for m in measured]  # one model's chart draws its band and reference too
        sentences = [
            f"{m.label}: {measured_sentence(m.reading)}" if m.label else measured_sentence(m.reading) for m in measured
        ]
        alt = chart_description(series)
        light, dark = (self.site_path(chart_file(item.slug, "sweep", palette)) for palette in ("light", "dark"))
        stale = [m for m in measured if m.status != "fresh"]
        status = "stale" if stale else "fresh"
        # The value ranges cite the point where the first model's image gets close, else its reference.
        first = measured[0]
        reading = first.reading
        cited = reading.values[reading.low if reading.converges else reading.reference_index]
        current = first.status == "fresh" and reading.low != reading.high
        records = [m.record for m in measured]
        devices = sorted({str(d) for r in records for d in r.get("devices") or ()})
        dtypes = sorted({str(r.get("dtype")) for r in records if r.get("dtype")})
        sizes = sorted({f"{r['width']} × {r['height']}" for r in records if r.get("width") and r.get("height")})
        seeds, prompts = {r.get("seed") for r in records}, {r.get("prompt") for r in records}
        return SweepChart(
            values=values,
            sweeps=sweeps,
            status=status,
            light=light,
            dark=dark,
            width=WIDTH,
            height=HEIGHT,
            alt=alt,
            sentence=" ".join(sentences),
            stale_reason=(stale[0].reason if stale else None),
            band=_band_of(item.setting.ranges, cited) if current else None,
            band_sentence=sentences[0],
            models=tuple((m.label, str(m.record.get("model"))) for m in measured),
            devices=tuple(devices),
            dtype=" and ".join(dtypes) or None,
            size=" and ".join(sizes) or None,
            seed=seeds.pop() if len(seeds) == 1 else None,
            prompt=prompts.pop() if len(prompts) == 1 else None,
            files=(
                (light, sweep_chart_svg(series, LIGHT, alt)),
                (dark, sweep_chart_svg(series, DARK, alt)),
            ),
        )


def _band_of(ranges: list[ValueRange], value) -> int | None:
    return next((index for index, band in enumerate(ranges) if band.min <= value <= band.max), None)
