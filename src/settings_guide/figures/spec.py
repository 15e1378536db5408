"""The figure defaults file plus each setting's comparison -> one FigureSpec per image.

Pure: reads ``figures/defaults.yml`` and validated settings, imports no torch. Every value a
spec carries remembers where it was written (``origins``), so a later check, such as "the
pipeline does not accept this argument", can point at the right file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from .. import kinds
from ..errors import Problem, ProblemsFound, did_you_mean
from ..settings.model import (
    SCHEDULER_FIELD,
    Adapter,
    ComparisonModel,
    LoadedSetting,
    scheduler_field,
)
from .layout import sweep_id
from .profiles import RESERVED_ARGUMENTS, SIZE_ARGUMENTS, LoadedDefaults, ModelProfile, size_problem

TEXT_TO_IMAGE, IMAGE_TO_IMAGE = "text-to-image", "image-to-image"
# Arguments SDXL adds together as tuples (`original_size + crops_coords_top_left + target_size`): a YAML
# list must reach the pipeline (and the reproduction code) as a tuple.
TUPLE_ARGUMENTS = frozenset(
    {
        "original_size",
        "target_size",
        "crops_coords_top_left",
        "negative_original_size",
        "negative_target_size",
        "negative_crops_coords_top_left",
    }
)


@dataclass(frozen=True)
class Overrides:
    """Command-line choices that replace the configured defaults for one run."""

    model: str | None = None  # replaces the default profile's model (other profiles and explicit models keep theirs)
    width: int | None = None
    height: int | None = None
    dtype: str | None = None


Origin = tuple[Any, tuple]  # (LoadedSetting or LoadedDefaults, location inside that file); None: the command line


@dataclass(frozen=True)
class SweepSpec:
    """A comparison's sweep on one model: which values are measured against which reference (see figures/sweeps.py)."""

    slug: str
    parameter: str
    values: tuple[Any, ...]
    reference: Any
    threshold: float
    reference_label: str | None = None
    profile: str | None = None  # set when the comparison lists `models`: each model has its own sweep
    label: str | None = None  # the model's display label

    @property
    def id(self) -> str:
        """The sweep's key in the manifest: the setting, plus the profile when the comparison has several models."""
        return sweep_id(self.slug, self.profile)


@dataclass(frozen=True)
class FigureSpec:
    """Everything one image depends on, before any model is looked at."""

    # 1. What it is: a compared image, a sweep's, an input image, or a recipe's first stage whose output is
    #    latents, not a picture (kept in the stage cache).
    role: Literal["comparison", "sweep", "input", "stage"]
    task: str  # text-to-image or image-to-image
    # 2. The model it is made with.
    model: str
    revision: str
    pipeline: str
    pipeline_is_explicit: bool  # named by the comparison, so a local model's own class does not replace it
    dtype: str
    # 3. The call.
    seed: int
    width: int
    height: int
    arguments: dict[str, Any]  # pipeline call arguments, prompt included, size and seed excluded
    # 4. The file it is saved as.
    format: str
    quality: int
    # 5. More of the call.
    scheduler: str | None = None  # a diffusers scheduler class replacing the model's own
    # Scheduler config fields set on that scheduler (or the model's own), e.g. {"shift": 3.0}: the run builds it
    # again from the model's config with these changed.
    scheduler_config: dict[str, Any] = field(default_factory=dict)
    input: FigureSpec | None = None  # image-to-image: the text-to-image image it starts from
    # 6. Which comparison it shows, and where on the page.
    slug: str | None = None
    parameter: str | None = None
    value: Any = None
    sweep: SweepSpec | None = None  # set on every image of a sweep: its seconds are charted, so it runs alone
    profile: str | None = None  # the model profile the image belongs to; None for a comparison's own `model`
    label: str | None = None  # that model's display label, e.g. "FLUX.1 [schnell]"
    per_model: bool = False  # the comparison lists `models`: the image lives in its model's folder and tab
    # 7. What its kinds add (kinds/): a recipe's name and upscale, an adapter, values the run applies itself
    #    (a LoRA's weight, a format), a measurement's name.
    recipe: str | None = None
    upscale: float | None = None  # the hires fix: the input image is enlarged to this spec's size (Lanczos)
    adapter: Adapter | None = None  # loaded onto the model before this image (part of the model load)
    applied: dict[str, Any] = field(default_factory=dict)
    measure: str | None = None
    # Where each value was written, so a problem points at its line (not part of what the image depends on).
    origins: dict[str, Origin | None] = field(default_factory=dict, compare=False, repr=False)

    def problem(self, name: str, message: str) -> Problem | None:
        """A Problem at the line that set ``name`` (an argument, ``model``, ...); None if the command line did."""
        origin = self.origins.get(name)
        return origin[0].problem_at(origin[1], message) if origin else None


_SPEC_FIELDS = frozenset(spec_field.name for spec_field in fields(FigureSpec))


def derived(spec: FigureSpec, **changes: Any) -> FigureSpec:
    """``dataclasses.replace`` for the planner's inner loop, which makes one spec per image of every page
    of every build (28,000 for 1,000 three-model settings): the fields are copied, not passed one by one
    through a frozen class's ``__init__``, about ten times faster. FigureSpec has no ``__post_init__``."""
    unknown = changes.keys() - _SPEC_FIELDS
    if unknown:
        raise TypeError(f"FigureSpec has no field {', '.join(sorted(unknown))}")
    made = object.__new__(FigureSpec)
    made.__dict__.update(spec.__dict__)
    made.__dict__.update(changes)
    return made


def profile_spec(defaults: LoadedDefaults, name: str, overrides: Overrides = Overrides()) -> FigureSpec:
    """A profile's own text-to-image image: shared prompt and seed, its model, size, dtype and base arguments."""
    d, profile = defaults.values, defaults.values.models[name]
    at = lambda *loc: (defaults, ("models", name, *loc))  # noqa: E731
    replaced = overrides.model is not None and name == d.default_model
    origins: dict[str, Origin | None] = {
        "model": None if replaced else at("model"),
        "pipeline": at("pipeline"),
        "prompt": (defaults, ("prompt",)),
    }
    arguments: dict[str, Any] = {"prompt": d.prompt}
    if d.negative_prompt is not None and profile.negative_prompt:
        arguments["negative_prompt"] = d.negative_prompt
        origins["negative_prompt"] = (defaults, ("negative_prompt",))
    for argument, value in profile.arguments.items():
        arguments[argument] = value
        origins[argument] = at("arguments", argument)
    return FigureSpec(
        role="input",
        task=TEXT_TO_IMAGE,
        model=overrides.model if replaced else profile.model,
        revision=profile.revision if not replaced or overrides.model == profile.model else "main",
        pipeline=profile.pipeline,
        pipeline_is_explicit=False,
        seed=d.seed,
        width=profile.width,
        height=profile.height,
        dtype=overrides.dtype or profile.dtype,
        format=d.format,
        quality=d.quality,
        arguments=arguments,
        profile=name,
        label=profile.label,
        origins=origins,
    )


def input_spec(defaults: LoadedDefaults, overrides: Overrides = Overrides()) -> FigureSpec:
    """The default profile's own text-to-image image; image-to-image comparisons start from it."""
    spec = profile_spec(defaults, defaults.values.default_model, overrides)
    step = defaults.values.default.size_multiple
    size = fit_size(spec.width, spec.height, overrides, step)
    return replace(spec, **dict(zip(("width", "height"), size, strict=True)))


def fit_size(width: int, height: int, overrides: Overrides, step: int = 8) -> tuple[int, int]:
    """``--size W x H`` shrinks (or grows) an image to fit inside that box, keeping its aspect ratio."""
    if overrides.width is None or overrides.height is None:
        return width, height
    return scaled(width, height, min(overrides.width / width, overrides.height / height), step)


def scaled(width: int, height: int, scale: float, step: int = 8) -> tuple[int, int]:
    """A size times ``scale``, each side rounded to a multiple of ``step`` (what the pipeline takes), at least one."""
    return tuple(max(step, round(side * scale / step) * step) for side in (width, height))  # type: ignore[return-value]


def size_box_problem(overrides: Overrides, profile: ModelProfile) -> Problem | None:
    """``--size`` whose sides this profile's pipeline would quietly resize."""
    step = profile.size_multiple
    if overrides.width is None or overrides.height is None or not (overrides.width % step or overrides.height % step):
        return None
    nearest = "x".join(str(max(step, round(side / step) * step)) for side in (overrides.width, overrides.height))
    return Problem(
        "(command line)",
        1,
        1,
        "",
        f"--size {overrides.width}x{overrides.height}: {profile.label} ({profile.pipeline}) takes sizes in multiples "
        f"of {step} and would quietly resize others; use --size {nearest}",
    )


def comparison_specs(
    item: LoadedSetting, defaults: LoadedDefaults, overrides: Overrides = Overrides()
) -> list[FigureSpec]:
    """One spec per compared value and model, in the order the page shows them, then each sweep's other values."""
    comparison = item.setting.comparison
    if comparison is None:
        return []
    entries = list(enumerate(comparison.models)) if comparison.models else [(None, None)]
    specs: list[FigureSpec] = []
    problems: list[Problem] = []
    for index, entry in entries:
        if entry is not None and entry.no_effect is not None:  # its tab says why, with no images
            if entry.profile not in defaults.values.models:
                problems.append(_unknown_profile(item, defaults, entry.profile, index))
            continue
        try:
            specs += _model_specs(item, defaults, overrides, entry, index)
        except ProblemsFound as found:
            problems += found.problems
    if problems:
        raise ProblemsFound(problems)
    return specs


def _unknown_profile(item: LoadedSetting, defaults: LoadedDefaults, name: str, index: int) -> Problem:
    return item.problem_at(
        ("comparison", "models", index, "profile"),
        f"no model profile named {name!r} in {defaults.source_path}"
        + did_you_mean(name, defaults.values.models)
        + f" (profiles: {', '.join(defaults.values.models)})",
    )


def _model_specs(
    item: LoadedSetting,
    defaults: LoadedDefaults,
    overrides: Overrides,
    entry: ComparisonModel | None,
    index: int | None,
) -> list[FigureSpec]:
    """The images of one model of a comparison: its own entry in `models`, or the one-model form."""
    comparison = item.setting.comparison
    d = defaults.values
    problems: list[Problem] = []

    def at(*loc) -> Origin:  # a location in this setting's file
        return (item, ("comparison", *loc))

    def at_entry(*loc) -> Origin:
        return at("models", index, *loc) if entry is not None else at(*loc)

    # 1. Model: a named profile, the default profile (which --model may replace), or the comparison's own
    #    model with only the prompt: a profile's tuned arguments would not suit another model.
    if entry is not None and entry.profile not in d.models:
        raise ProblemsFound([_unknown_profile(item, defaults, entry.profile, index)])
    profile_name = entry.profile if entry is not None else d.default_model
    base = profile_spec(defaults, profile_name, overrides)
    own_model = entry is None and comparison.model not in (None, d.default.model)
    profile = d.models[profile_name]
    step = 8 if own_model else profile.size_multiple  # a comparison's own model: only the common rule is known
    if not own_model and (box := size_box_problem(overrides, profile)) is not None:
        raise ProblemsFound([box])
    arguments, origins = dict(base.arguments), dict(base.origins)
    if own_model:
        arguments, origins = {"prompt": base.arguments["prompt"]}, {"model": at("model"), "prompt": origins["prompt"]}
    if comparison.pipeline:
        origins["pipeline"] = at("pipeline")
    origins["task"] = at("task")
    # A fixed scheduler class for every image (e.g. DDIM, which `eta` needs); a compared one replaces it.
    scheduler = comparison.scheduler
    if scheduler:
        origins["scheduler"] = at("scheduler")
    if entry is not None and entry.scheduler:
        scheduler, origins["scheduler"] = entry.scheduler, at_entry("scheduler")
    scheduler_config: dict[str, Any] = {}
    for source, where in ((comparison, at), (entry, at_entry)):
        for name, value in source.scheduler_config.items() if source is not None else ():
            scheduler_config[name], origins[SCHEDULER_FIELD + name] = value, where("scheduler_config", name)

    # 2. The comparison's own prompt and fixed arguments, then this model's.
    layers = [(comparison, at)] + ([(entry, at_entry)] if entry is not None else [])
    for source, where in layers:
        for name in ("prompt", "negative_prompt"):
            if getattr(source, name) is not None:
                arguments[name], origins[name] = getattr(source, name), where(name)
        for name, value in source.arguments.items():
            arguments[name], origins[name] = value, where("arguments", name)
    # A batch-size measurement compares num_images_per_prompt; the runner sets it from the value.
    # A value a kind applies itself (a batch size's num_images_per_prompt) is not passed to the call.
    compared_names = set(comparison.names) - {p for kind in kinds.of_comparison(comparison) for p in kind.parameters}
    for name in sorted(RESERVED_ARGUMENTS & {*arguments, *compared_names}):
        where = origins[name] if name in arguments else at("parameter")
        problems.append(
            _problem(where, f"`{name}` is set by the figure pipeline itself; it cannot be set or compared here")
        )
    seed = base.seed
    for source in (comparison, entry):
        if source is not None and source.seed is not None:
            seed = source.seed

    # 3. Size: --size, else fixed width/height arguments, else the profile's.
    width, height = base.width, base.height
    for name in SIZE_ARGUMENTS:
        if name in arguments:
            value = arguments.pop(name)
            if _bad_size(value):
                problems.append(_problem(origins[name], f"{name} must be a whole number of pixels, a multiple of 8"))
            elif value % step:
                problems.append(_problem(origins[name], size_problem(profile, name, value)))
            else:
                width, height = (value, height) if name == "width" else (width, value)

    # 4. One spec per compared value: a call argument, the seed, the scheduler class or the size.
    common = derived(
        base,
        role="comparison",
        task=comparison.task,
        model=comparison.model if own_model else base.model,
        revision=(comparison.revision or "main") if own_model else base.revision,
        pipeline=comparison.pipeline or base.pipeline,
        pipeline_is_explicit=comparison.pipeline is not None,
        seed=seed,
        width=width,
        height=height,
        scheduler=scheduler,
        scheduler_config=scheduler_config,
        input=input_spec(defaults, overrides) if comparison.task == IMAGE_TO_IMAGE else None,
        slug=item.slug,
        parameter=comparison.parameter_key,
        profile=None if own_model else profile_name,
        label=None if own_model else base.label,
        per_model=entry is not None,
    )
    values = comparison.values_for(entry)
    values_at = ("models", index, "values") if entry is not None and entry.values is not None else ("values",)
    declared = comparison.sweep_for(entry)
    sweep_at = ("models", index, "sweep") if entry is not None and entry.has_own_sweep else ("sweep",)
    # A sweep's values that the comparison already shows reuse its images (same inputs, same file).
    sweep = None
    compared = [("comparison", (*values_at, i), value) for i, value in enumerate(values)]
    if declared is not None:
        sweep = SweepSpec(
            item.slug,
            comparison.parameter_key,
            tuple(declared.values),
            declared.reference,
            declared.threshold,
            declared.reference_label,
            profile=profile_name if entry is not None else None,
            label=base.label,
        )
        compared += [
            ("sweep", (*sweep_at, "values", i), value) for i, value in enumerate(declared.values) if value not in values
        ]
    specs: list[FigureSpec] = []
    names = comparison.names
    runner_applied = kinds.runner_applied()  # values a kind applies itself, not call arguments
    for role, value_loc, value in compared:
        changes: dict[str, Any] = {}
        call, applied = dict(arguments), {}
        value_origins = {name: at("parameter") for name in names} | {"value": at(*value_loc)}
        bad = reported = False
        for name, part in zip(names, value if len(names) > 1 else [value], strict=False):
            if name == "seed":
                bad |= not (isinstance(part, int) and not isinstance(part, bool) and part >= 0)
                changes["seed"] = part
            elif name == "scheduler":
                bad |= not (isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part))
                changes["scheduler"] = part
                value_origins["scheduler"] = at(*value_loc)
            elif name in SIZE_ARGUMENTS:
                bad |= _bad_size(part)
                if not _bad_size(part) and part % step:
                    problems.append(_problem(at(*value_loc), size_problem(profile, name, part)))
                    reported = True  # with the sizes it does take
                changes[name] = part
            elif name == "dtype":  # the compared precision wins over the run's --dtype
                changes["dtype"] = part
            elif (config_field := scheduler_field(name)) is not None:
                changes.setdefault("scheduler_config", dict(scheduler_config))[config_field] = part
            elif name in runner_applied:
                applied[name] = part
            else:
                call[name] = part
        if reported:
            continue
        if bad:
            problems.append(_problem(at(*value_loc), _BAD_VALUE[names[0]](value)))
            continue
        in_sweep = sweep if sweep is not None and value in sweep.values else None
        size = fit_size(changes.pop("width", width), changes.pop("height", height), overrides, step)
        spec = derived(
            common,
            **{"arguments": call, **changes},
            width=size[0],
            height=size[1],
            role=role,
            value=value,
            sweep=in_sweep,
            applied=applied,
            origins={**origins, **value_origins},
        )
        try:
            specs.append(_staged(spec, Staging(item, defaults, overrides)))
        except ProblemsFound as found:
            problems += found.problems
    if problems:
        raise ProblemsFound(problems)
    return specs


@dataclass(frozen=True)
class Staging:
    """What a kind's ``stage`` step may ask while it builds an image's spec: the comparison, the shared
    input image, another profile's own image, the native size and how first stages are made."""

    item: LoadedSetting
    defaults: LoadedDefaults
    overrides: Overrides
    IMAGE_TO_IMAGE = IMAGE_TO_IMAGE

    @property
    def comparison(self):
        return self.item.setting.comparison

    def input_image(self) -> FigureSpec:
        """The shared input image (the default model's own), which image-to-image kinds start from."""
        return input_spec(self.defaults, self.overrides)

    def profile(self, name: str, at: tuple) -> FigureSpec:
        """Profile ``name``'s own image spec; ProblemsFound at ``at`` in the setting when there is no such profile."""
        if name not in self.defaults.values.models:
            raise ProblemsFound(
                [
                    self.item.problem_at(
                        at,
                        f"no model profile named {name!r} in {self.defaults.source_path}"
                        + did_you_mean(name, self.defaults.values.models),
                    )
                ]
            )
        return profile_spec(self.defaults, name, self.overrides)

    def size_scale(self, profile: str | None) -> float:
        """How much --size shrinks (or grows) a profile's images: 1 without it. A kind whose values are pixels
        of the picture (an inpainting crop's padding) scales them too, so they mean the same part of it."""
        chosen = self.defaults.values.models.get(profile or "") or self.defaults.values.default
        return self.native_size(profile)[0] / chosen.width

    def native_size(self, profile: str | None) -> tuple[int, int]:
        """A profile's native size (the default's for none), fitted into --size's box."""
        chosen = self.defaults.values.models.get(profile or "") or self.defaults.values.default
        return fit_size(chosen.width, chosen.height, self.overrides, chosen.size_multiple)

    @staticmethod
    def first_stage(spec: FigureSpec, role: str) -> FigureSpec:
        """A compared image's first stage: the same model and call, made once and shared by every value it suits."""
        return replace(spec, role=role, task=TEXT_TO_IMAGE, sweep=None, input=None, recipe=None, applied={})

    scaled = staticmethod(scaled)


STAGE_ORDER = ("adapter", "measure", "recipe")  # a recipe's first stage replaces any input an adapter set


def _staged(spec: FigureSpec, staging: Staging) -> FigureSpec:
    """One compared image with what its kinds add: the adapter it loads, its first stage, its format, ..."""
    comparison = staging.comparison
    adapter = comparison.adapter
    if adapter is not None and kinds.get(adapter.kind).uses_adapter(spec, adapter):
        spec = replace(spec, adapter=adapter)
    used = sorted(kinds.of_comparison(comparison), key=lambda kind: STAGE_ORDER.index(kind.field))
    for kind in used:
        if kind.field != "adapter" or spec.adapter is not None:
            spec = kind.stage(spec, staging)
    return spec


_BAD_VALUE = {
    "seed": lambda value: f"a seed is a whole number from 0 up, got {value!r}",
    "scheduler": lambda value: f"a scheduler is a diffusers class name such as `EulerDiscreteScheduler`, got {value!r}",
    "width": lambda value: f"width must be a whole number of pixels, a multiple of 8, got {value!r}",
    "height": lambda value: f"height must be a whole number of pixels, a multiple of 8, got {value!r}",
}


def all_specs(
    loaded: list[LoadedSetting], defaults: LoadedDefaults, overrides: Overrides = Overrides()
) -> list[FigureSpec]:
    """Specs for every setting with a comparison; raises ProblemsFound with the problems of all of them."""
    specs, problems = [], []
    for item in loaded:
        try:
            specs.extend(comparison_specs(item, defaults, overrides))
        except ProblemsFound as found:
            problems.extend(found.problems)
    if problems:
        raise ProblemsFound(problems)
    return specs


def _bad_size(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or value < 8 or value % 8


def _problem(origin: Origin | None, message: str) -> Problem:
    return origin[0].problem_at(origin[1], message) if origin else Problem("(command line)", 1, 1, "", message)
