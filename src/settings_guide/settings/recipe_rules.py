"""Rules for comparisons beyond one call argument: recipes, adapters, measurements, values that are lists.

Each finding is (location inside the setting file, message), like rules.py's; the figure pipeline
relies on these holding, so a broken recipe is reported at its line before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..kinds.output_format import parse_format
from .model import Comparison

Finding = tuple[tuple, str]

DTYPES = ("fp32", "bf16", "fp16")
# `vae` values besides an adapter's name: the model's own VAE as diffusers runs it (SDXL's decodes in fp32
# when the run is in fp16), and the same VAE kept in the run's dtype, as a tool without that upcast runs it.
STOCK_VAE, NO_UPCAST_VAE = "stock", "stock-no-upcast"
STOCK_VAES = (STOCK_VAE, NO_UPCAST_VAE)
MAX_BATCH = 16
# Which adapter a runner-applied parameter needs.
ADAPTER_PARAMETERS = {"lora_scale": "lora", "ip_adapter_scale": "ip-adapter", "vae": "vae"}
# Adapter fields that mean something for one kind only.
KIND_FIELDS = {"weight_name": ("lora", "ip-adapter"), "subfolder": ("ip-adapter",), "reference_prompt": ("ip-adapter",)}


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
    if comparison.recipe is not None:
        yield from _check_recipe(comparison)
    yield from _check_adapter(comparison)
    if comparison.measure is not None:
        yield from _check_measure(comparison)
    elif "format" in comparison.names or "num_images_per_prompt" in comparison.names:
        name = "format" if "format" in comparison.names else "num_images_per_prompt"
        kind = "output-format" if name == "format" else "batch-size"
        yield (*at, "parameter"), f"`{name}` is compared by a measurement: add `measure: {kind}`"
    if "dtype" in comparison.names:
        index = comparison.names.index("dtype")
        for value_loc, value in _items(comparison, index):
            if value not in DTYPES:
                yield value_loc, f"a dtype is one of {', '.join(DTYPES)}, got {value!r}"


def _values(comparison: Comparison) -> Iterator[tuple[tuple, object]]:
    for index, value in enumerate(comparison.values or []):
        yield ("comparison", "values", index), value


def _items(comparison: Comparison, position: int) -> Iterator[tuple[tuple, object]]:
    """Each value's item for one of several compared arguments (the value itself when there is one)."""
    several = len(comparison.names) > 1
    for value_loc, value in _values(comparison):
        if not several:
            yield value_loc, value
        elif isinstance(value, list) and len(value) == len(comparison.names):
            yield (*value_loc, position), value[position]


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


def _check_recipe(comparison: Comparison) -> Iterator[Finding]:
    recipe, at = comparison.recipe, ("comparison", "recipe")
    if recipe.kind == "hires-fix":
        if recipe.upscale is None:
            yield (*at,), "the hires fix enlarges its first image: set `upscale`, e.g. 1.5"
        if recipe.refiner is not None:
            yield (*at, "refiner"), "`refiner` belongs to the refiner recipe; remove it"
    else:
        if recipe.refiner is None:
            yield (*at,), "name the refiner's model profile in figures/defaults.yml: `refiner: sdxl-refiner`"
        if recipe.upscale is not None:
            yield (*at, "upscale"), "`upscale` belongs to the hires fix; remove it"
        if comparison.names != ("denoising_end",):
            yield (
                ("comparison", "parameter"),
                "the refiner recipe compares `denoising_end`: where the base stops and the refiner starts",
            )


def _check_adapter(comparison: Comparison) -> Iterator[Finding]:
    adapter, at = comparison.adapter, ("comparison", "adapter")
    for name in comparison.names:
        needed = ADAPTER_PARAMETERS.get(name)
        if needed and (adapter is None or adapter.kind != needed):
            yield ("comparison", "parameter"), f"`{name}` needs an `adapter` of kind {needed}"
    if adapter is None:
        return
    for field, kinds in KIND_FIELDS.items():
        if getattr(adapter, field) is not None and adapter.kind not in kinds:
            yield (*at, field), f"`{field}` is for adapters of kind {' or '.join(kinds)}; remove it"
    if adapter.kind in ("lora", "ip-adapter") and adapter.weight_name is None:
        yield (*at,), f"a {adapter.kind} adapter names its weight file: `weight_name: ….safetensors`"
    if adapter.kind == "ip-adapter" and adapter.subfolder is None:
        yield (*at,), "an IP-Adapter names the folder of its weights and image encoder: `subfolder: sdxl_models`"
    if adapter.kind == "controlnet" and adapter.control is None:
        yield (*at,), "a ControlNet says how its control image is made: `control: canny`"
    if adapter.kind != "controlnet" and adapter.control is not None:
        yield (*at, "control"), "`control` is for ControlNet adapters; remove it"
    if adapter.kind == "vae":
        if "vae" not in comparison.names:
            yield ("comparison", "parameter"), "a VAE adapter is chosen per image: compare `vae` (e.g. [dtype, vae])"
            return
        allowed = (*STOCK_VAES, adapter.name)
        for value_loc, value in _items(comparison, comparison.names.index("vae")):
            if value not in allowed:
                yield (
                    value_loc,
                    f"a `vae` value is {STOCK_VAE!r} (the model's own), {NO_UPCAST_VAE!r} (the same without diffusers' "
                    f"fp32 decode) or {adapter.name!r}, got {value!r}",
                )


def _check_measure(comparison: Comparison) -> Iterator[Finding]:
    at = ("comparison",)
    if comparison.recipe or comparison.adapter or comparison.sweep:
        yield (*at, "measure"), "a measurement stands alone: remove `recipe`, `adapter` and `sweep`"
    wanted = "format" if comparison.measure == "output-format" else "num_images_per_prompt"
    if comparison.names != (wanted,):
        yield (*at, "parameter"), f"`measure: {comparison.measure}` compares `{wanted}`"
        return
    for value_loc, value in _values(comparison):
        if comparison.measure == "output-format":
            try:
                parse_format(str(value))
            except ValueError as error:
                yield value_loc, str(error)
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH:
            yield value_loc, f"a batch size is a whole number from 1 to {MAX_BATCH}, got {value!r}"
