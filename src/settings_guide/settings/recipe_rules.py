"""Rules for comparisons beyond one call argument: recipes, adapters, measurements, values that are lists.

Each finding is (location inside the setting file, message), like rules.py's; the figure pipeline
relies on these holding, so a broken recipe is reported at its line before anything runs. What a
kind itself requires is checked by its own file under ``kinds/``; this module checks how kinds fit
into a comparison, the same for every kind.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import kinds
from .model import Comparison

Finding = kinds.Finding

DTYPES = ("fp32", "bf16", "fp16")


def check_comparison_kinds(comparison: Comparison) -> Iterator[Finding]:
    """Recipes, adapters, measurements and list values: each well-formed and used with what it needs."""
    at = ("comparison",)
    special = comparison.recipe or comparison.adapter or comparison.measure
    if special and comparison.models is not None:
        yield (*at, "models"), "a recipe, adapter or measurement runs on the default model; remove `models`"
    if special and comparison.task != "text-to-image":
        yield (*at, "task"), "a recipe, adapter or measurement sets up its own stages; remove `task`"
    if len(comparison.names) > 1 and comparison.sweep is not None:
        yield (*at, "sweep"), "a sweep measures one numeric argument; it cannot vary several at once"
    yield from _check_list_values(comparison)
    yield from _check_owned_parameters(comparison)
    yield from _check_own_fields(comparison)
    measure = kinds.get(comparison.measure)
    for kind in kinds.of_comparison(comparison):
        if kind is measure:
            yield from _check_measure(comparison, kind)
        else:
            yield from kind.check(comparison)
    if "dtype" in comparison.names:
        index = comparison.names.index("dtype")
        for value_loc, value in kinds.value_items(comparison, index):
            if value not in DTYPES:
                yield value_loc, f"a dtype is one of {', '.join(DTYPES)}, got {value!r}"


def _values(comparison: Comparison) -> Iterator[tuple[tuple, object]]:
    for index, value in enumerate(comparison.values or []):
        yield ("comparison", "values", index), value


def _check_list_values(comparison: Comparison) -> Iterator[Finding]:
    names = comparison.names
    for value_loc, value in _values(comparison):
        if len(names) > 1:
            if not isinstance(value, list) or len(value) != len(names):
                yield (
                    value_loc,
                    f"compare {' and '.join(names)} together: each value lists {len(names)} items, one per "
                    f"argument in that order, e.g. [{', '.join('…' for _ in names)}]",
                )
        elif isinstance(value, list) and any(isinstance(item, list) for item in value):
            yield value_loc, "a value of one argument is a plain value or a pair of numbers, e.g. [512, 512]"


def _check_owned_parameters(comparison: Comparison) -> Iterator[Finding]:
    """A value some kind applies itself (``lora_scale``, ``format``) is compared only with that kind."""
    used = kinds.of_comparison(comparison)
    for name in comparison.names:
        owner = kinds.owner_of(name)
        if owner is None or owner in used:
            continue
        if owner.field == "measure":
            yield ("comparison", "parameter"), f"`{name}` is compared by a measurement: add `measure: {owner.name}`"
        elif owner.field == "adapter":
            yield ("comparison", "parameter"), f"`{name}` needs an `adapter` of kind {owner.name}"
        else:
            yield ("comparison", "parameter"), f"`{name}` needs `recipe: {{kind: {owner.name}}}`"


def _check_own_fields(comparison: Comparison) -> Iterator[Finding]:
    """Fields of an adapter or recipe block that mean something for other kinds only are refused at their line."""
    for group, block, plural in (("adapter", comparison.adapter, "adapters"), ("recipe", comparison.recipe, "recipes")):
        if block is None:
            continue
        for field in sorted({field for kind in kinds.kinds(group) for field in kind.fields}):
            takers = [kind for kind in kinds.kinds(group) if field in kind.fields]
            if getattr(block, field) is not None and block.kind not in {kind.name for kind in takers}:
                labels = " or ".join(kind.label for kind in takers)
                yield ("comparison", group, field), f"`{field}` is for {labels} {plural}; remove it"


def _check_measure(comparison: Comparison, kind: kinds.Kind) -> Iterator[Finding]:
    at = ("comparison",)
    if comparison.recipe or comparison.adapter or comparison.sweep:
        yield (*at, "measure"), "a measurement stands alone: remove `recipe`, `adapter` and `sweep`"
    wanted = kind.parameters[0]
    if comparison.names != (wanted,):
        yield (*at, "parameter"), f"`measure: {kind.name}` compares `{wanted}`"
        return
    yield from kind.check(comparison)
