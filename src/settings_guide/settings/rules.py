"""Rules a schema cannot express: within one setting, and across all settings."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from .. import kinds
from ..errors import did_you_mean
from .model import INFOTEXT_TOOLS, TOOLS, LoadedSetting, Setting, ToolRow, scheduler_field
from .recipe_rules import check_comparison_kinds

Finding = tuple[tuple, str]  # (location inside the file, message)


def slugify(text: str) -> str:
    """URL slug of a name or alias: ``sample_steps`` and ``Sample Steps`` both give ``sample-steps``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def check_setting(setting: Setting) -> Iterator[Finding]:
    """Consistency rules within one setting file."""
    numeric = setting.value_type in ("integer", "number")
    if numeric and not setting.ranges:
        yield ("value_type",), f"a setting with value_type {setting.value_type!r} needs at least one entry in `ranges`"
    if not numeric and setting.ranges:
        yield ("ranges",), "a 'choice' setting lists its options under `choices`, not numeric `ranges`"

    for index, band in enumerate(setting.ranges):
        for bound in ("min", "max"):
            yield from _check_type(setting, getattr(band, bound), ("ranges", index, bound))
        if band.min > band.max:
            yield ("ranges", index, "max"), f"max ({band.max}) is smaller than min ({band.min})"
        if index and band.min < setting.ranges[index - 1].max:
            previous = setting.ranges[index - 1]
            yield (
                ("ranges", index, "min"),
                f"range {band.label!r} starts at {band.min}, inside the previous range {previous.label!r} "
                f"({previous.min} – {previous.max}); list ranges from low to high without overlaps",
            )

    seen_labels: set[str] = set()
    for index, choice in enumerate(setting.choices):
        if choice.value in seen_labels:
            yield ("choices", index, "value"), f"{choice.value!r} is listed twice"
        seen_labels.add(choice.value)

    if setting.comparison and setting.no_comparison:
        yield ("no_comparison",), "this setting has a `comparison`; `no_comparison` says why one is missing"
    if setting.comparison:
        yield from _check_comparison(setting)
    yield from _check_tools(setting)


def _check_tools(setting: Setting) -> Iterator[Finding]:
    """Each tool's row says where the setting is, or that it is missing; its sources are on the page."""
    if setting.tools is None:
        return
    page_sources = {source.url for source in setting.sources}
    for tool in TOOLS:
        row: ToolRow = getattr(setting.tools, tool)
        loc = ("tools", tool)
        if row.places and row.absent:
            yield (*loc, "absent"), "a tool either has the setting (`places`) or lacks it (`absent`), not both"
        elif not row.places and not row.absent:
            yield loc, "list where the tool has the setting under `places`, or say under `absent` that it lacks it"
        for index, place in enumerate(row.places):
            yield from _check_place(tool, place, (*loc, "places", index))
        for index, url in enumerate(row.sources):
            if url not in page_sources:
                yield (
                    (*loc, "sources", index),
                    f"{url} is not among the page's `sources`; add it there so readers can see what backs the row",
                )
    yield from _check_tool_names_are_aliases(setting)


def _check_place(tool: str, place, loc: tuple) -> Iterator[Finding]:
    if tool == "diffusers" and place.name is None:
        yield loc, "a diffusers place needs `name`: the pipeline argument or method, e.g. `num_inference_steps`"
    if tool == "diffusers" and place.label is not None:
        yield (*loc, "label"), "diffusers has no UI labels; put the argument under `name`"
    if tool == "comfyui" and place.where is None:
        yield loc, "a ComfyUI place needs `where`: the node, e.g. `KSampler node`"
    if tool not in INFOTEXT_TOOLS and place.infotext is not None:
        yield (*loc, "infotext"), "only AUTOMATIC1111 and Forge write infotext; remove `infotext` here"
    if place.where is None and place.label is None and place.name is None:
        yield loc, "a place needs at least one of `where`, `label` (what the UI shows) and `name` (what code uses)"


def _check_tool_names_are_aliases(setting: Setting) -> Iterator[Finding]:
    """Every name in the table is a search term and an address, so a reader who types it finds the page."""
    if setting.tools is None:
        return
    findable = {slugify(alias) for alias in setting.aliases} | {slugify(setting.name)}
    reported: set[str] = set()
    for tool in TOOLS:
        for index, place in enumerate(getattr(setting.tools, tool).places):
            for field in ("label", "name", "infotext"):
                # "width, height" names two arguments; each must be findable.
                for value in (getattr(place, field) or "").split(", "):
                    if not value or slugify(value) in findable or slugify(value) in reported:
                        continue
                    reported.add(slugify(value))
                    yield (
                        ("tools", tool, "places", index, field),
                        f"{value!r} is not among the `aliases`, so searching for it does not find this page; "
                        "add it to `aliases`",
                    )


def _check_type(setting: Setting, value, loc: tuple) -> Iterator[Finding]:
    if setting.value_type == "integer" and not isinstance(value, int):
        yield loc, f"expected a whole number because value_type is 'integer', got {value!r}"
    if setting.value_type == "choice" and not isinstance(value, str):
        yield loc, f"expected one of the choices because value_type is 'choice', got {value!r}"
    if setting.value_type == "number" and isinstance(value, str):
        yield loc, f"expected a number because value_type is 'number', got {value!r}"


def _check_comparison(setting: Setting) -> Iterator[Finding]:
    comparison = setting.comparison
    at = ("comparison",)
    if comparison.values is not None:
        yield from _check_values(setting, comparison.values, (*at, "values"))
    yield from check_comparison_kinds(comparison)
    if comparison.models is None:
        if comparison.values is None:
            yield (*at, "values"), "list the values to compare (2 to 8), or compare on several `models`"
        if comparison.sweep:
            yield from _check_sweep(setting, comparison.sweep, (*at, "sweep"))
    else:
        yield from _check_models(setting)
    if comparison.model is not None and comparison.pipeline is None:
        yield (
            (*at, "model"),
            "a comparison that sets `model` must also set `pipeline`, the diffusers class for it, e.g. `FluxPipeline`",
        )
    if comparison.revision is not None and comparison.model is None:
        yield (*at, "revision"), "`revision` pins the comparison's own `model`; set `model` too"
    for name in comparison.names:
        if name in comparison.arguments:
            yield (*at, "arguments", name), "this argument is the one being compared; remove it here"
    yield from _check_scheduler_config(comparison, comparison, at)


def _check_scheduler_config(comparison, block, at: tuple) -> Iterator[Finding]:
    """A compared scheduler field cannot also be fixed; a field name is never a dotted one."""
    for name in comparison.names:
        field = scheduler_field(name)
        if field is not None and field in block.scheduler_config:
            yield (*at, "scheduler_config", field), f"`{field}` is the scheduler field being compared; remove it here"


def _check_models(setting: Setting) -> Iterator[Finding]:
    comparison = setting.comparison
    for name in ("model", "revision", "pipeline"):
        if getattr(comparison, name) is not None:
            yield (
                ("comparison", name),
                f"`{name}` belongs to the one-model form; with `models`, each profile in figures/defaults.yml "
                "names its model, revision and pipeline",
            )
    seen: set[str] = set()
    for index, entry in enumerate(comparison.models):
        at = ("comparison", "models", index)
        if entry.profile in seen:
            yield (*at, "profile"), f"the profile {entry.profile!r} is listed twice; list each model once"
        seen.add(entry.profile)
        if entry.no_effect is not None:
            used = (
                "values",
                "arguments",
                "sweep",
                "prompt",
                "negative_prompt",
                "seed",
                "scheduler",
                "scheduler_config",
            )
            made = [name for name in (*used, "note") if name in entry.model_fields_set]
            for name in made:
                yield (
                    (*at, name),
                    f"`{name}` has no use beside `no_effect`: a model on which the setting does nothing gets no "
                    "images; remove it, or remove `no_effect` to compare on this model",
                )
            continue
        if entry.values is not None:
            yield from _check_values(setting, entry.values, (*at, "values"))
        elif comparison.values is None:
            yield (*at,), f"{entry.profile} has no values to show: give it `values`, or the comparison `values`"
        for name in comparison.names:
            if name in entry.arguments:
                yield (*at, "arguments", name), "this argument is the one being compared; remove it here"
        yield from _check_scheduler_config(comparison, entry, at)
        sweep = comparison.sweep_for(entry)
        if sweep is not None:
            where = (*at, "sweep") if entry.has_own_sweep else ("comparison", "sweep")
            yield from _check_sweep(setting, sweep, where)


def _check_values(setting: Setting, values: list, loc: tuple) -> Iterator[Finding]:
    seen: set = set()
    comparison = setting.comparison
    for index, value in enumerate(values):
        value_loc = (*loc, index)
        hashable = repr(value)
        if hashable in seen:
            yield value_loc, f"{value!r} is compared twice"
        seen.add(hashable)
        # Lists (pairs, several arguments), runner-chosen dtypes and formats are checked in recipe_rules.
        if isinstance(value, list) or len(comparison.names) > 1 or not comparison.ranges_apply:
            continue
        if comparison.names[0] == "dtype" or comparison.names[0] in kinds.named_values():
            continue
        problems = list(_check_type(setting, value, value_loc))
        yield from problems
        if problems or not setting.ranges:
            continue
        low, high = setting.ranges[0].min, setting.ranges[-1].max
        if not low <= value <= high:
            yield (
                value_loc,
                f"{value} lies outside the declared ranges ({low} – {high}); widen a range or pick another value",
            )


# A sweep measures images against each other pixel by pixel: same seed, same size, same kind of value.
_UNSWEEPABLE = {"seed": "seed", "width": "size", "height": "size"}


def _check_sweep(setting: Setting, sweep, at: tuple) -> Iterator[Finding]:
    comparison = setting.comparison
    if setting.value_type not in ("integer", "number"):
        yield (
            at,
            f"a sweep measures numeric settings only, and this one's value_type is {setting.value_type!r}; remove `sweep`",
        )
        return
    if comparison.parameter_key in _UNSWEEPABLE:
        yield (
            at,
            f"a sweep compares images of the same {_UNSWEEPABLE[comparison.parameter_key]}, so it cannot vary "
            f"`{comparison.parameter_key}`; remove `sweep`",
        )
        return
    low, high = (setting.ranges[0].min, setting.ranges[-1].max) if setting.ranges else (None, None)
    for index, value in enumerate(sweep.values):
        loc = (*at, "values", index)
        problems = list(_check_type(setting, value, loc))
        yield from problems
        if problems:
            continue
        if low is not None and not low <= value <= high:
            yield loc, f"{value} lies outside the declared ranges ({low} – {high}); widen a range or pick another value"
        elif index and value <= sweep.values[index - 1]:
            yield (
                loc,
                f"{value} comes after {sweep.values[index - 1]}; list the sweep's values from low to high, each once",
            )
    yield from _check_type(setting, sweep.reference, (*at, "reference"))
    if sweep.reference not in sweep.values:
        yield (
            (*at, "reference"),
            f"the reference {sweep.reference} is not one of the sweep's values; add it to `values` or pick one of them",
        )


def check_catalogue(
    loaded: list[LoadedSetting], unloaded: Collection[str] = ()
) -> Iterator[tuple[LoadedSetting, tuple, str]]:
    """Rules across files: unique slugs, each alias owned by one setting, related pages exist.

    ``unloaded`` are the slugs of files that exist but did not load: a link to one is not an error
    of the linking file (see ``settings_linking_to``).
    """
    owners: dict[str, LoadedSetting] = {}
    for item in loaded:
        if item.slug in owners:
            yield item, (), f"slug {item.slug!r} is also used by {owners[item.slug].source_path}"
        owners.setdefault(item.slug, item)

    names: dict[str, tuple[LoadedSetting, str]] = {item.slug: (item, "the page") for item in loaded}
    for item in loaded:
        key = slugify(item.setting.name)
        if key in names and names[key][0] is not item:
            other = names[key][0]
            yield item, ("name",), f"name {item.setting.name!r} reads the same as {other.source_path}'s slug"
        names.setdefault(key, (item, "its name"))
    for item in loaded:
        for index, alias in enumerate(item.setting.aliases):
            key = slugify(alias)
            if not key:
                yield item, ("aliases", index), f"alias {alias!r} needs at least one letter or digit"
                continue
            owner = names.get(key)
            if owner and owner[0] is not item:
                yield (
                    item,
                    ("aliases", index),
                    f"alias {alias!r} already belongs to {owner[0].source_path} ({owner[1]}); an alias can name one setting only",
                )
            names.setdefault(key, (item, f"alias {alias!r}"))

    slugs = {item.slug for item in loaded}
    for item in loaded:
        for index, related in enumerate(item.setting.related):
            if related == item.slug:
                yield item, ("related", index), "a setting cannot be related to itself"
            elif related not in slugs and related not in unloaded:
                yield item, ("related", index), f"no setting has the slug {related!r}{did_you_mean(related, slugs)}"


def settings_linking_to(loaded: list[LoadedSetting], slug: str) -> list[LoadedSetting]:
    """The settings whose `related` list names ``slug``."""
    return [item for item in loaded if slug in item.setting.related and item.slug != slug]
