"""Every kind of comparison beyond "one call argument", one file each, and the registry that finds them.

A kind is an adapter (``adapter: {kind: lora}``), a recipe (``recipe: {kind: hires-fix}``) or a
measurement (``measure: batch-size``). Its file holds everything about it: the rules its YAML must
follow, how it changes an image's spec, how the run loads it and calls the pipeline, what it adds to
the manifest, the page's notes and the Reproduce code. Each step is a plain function on ``Kind``
with a do-nothing default, so a kind fills in only the steps it changes (the manner of
sphinx-gallery's scrapers). The rest of the package asks the registry and never names a kind.

Kind files are pure: they import no torch, NumPy or Pillow. The run hands its hooks those
libraries (``run.torch``, ``run.np``, ``run.Image``, ...; see ``figures/run/context.py``), so the
site, which reads a kind's page notes, never loads them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

Finding = tuple[tuple, str]  # (location in the setting file, message), as settings/rules.py reports them
Field = Literal["adapter", "recipe", "measure"]  # where a setting file names the kind


def _nothing_found(comparison) -> Iterator[Finding]:
    return iter(())


def _always(spec, adapter) -> bool:
    return True


def _unchanged(spec, staging):
    return spec


def _no_files(adapter) -> tuple[str, ...]:
    return ()


def _same_pipe(pipe, adapter, dtype, run):
    return pipe


def _nothing_to_undo(pipe, applied, adapter, run) -> Callable[[], None] | None:
    return None


def _empty(*args) -> str:
    return ""


def _no_arguments(*args) -> dict:
    return {}


def _nothing(*args) -> None:
    return None


def _none(*args) -> list:
    return []


@dataclass(frozen=True)
class Kind:
    """One kind of comparison: its name in YAML and a plain function for each step it takes part in."""

    name: str  # as a setting file writes it: `adapter: {kind: lora}`, `measure: batch-size`
    field: Field
    label: str  # how pages name it, e.g. "LoRA"
    description: str  # what it does, for the schema and the Contributing page
    parameters: tuple[str, ...] = ()  # compared values the run applies itself (not call arguments)
    fields: tuple[str, ...] = ()  # fields of its YAML block (adapter or recipe) that mean something for it only
    named_values: tuple[str, ...] = ()  # of its parameters, those whose values are names, not numbers
    same_image_on_purpose: bool = False  # every value shows the same picture by design (no "no effect" error)
    precision: bool = False  # its compared value sets a precision (the VAE's upcast), as `dtype` does

    # 1. Settings: findings about a comparison that uses this kind (settings/recipe_rules.py runs them).
    check: Callable[[Any], Iterator[Finding]] = _nothing_found
    # 2. Spec: whether an image loads the adapter, and how the kind stages it (its first stage, format, ...).
    uses_adapter: Callable[[Any, Any], bool] = _always  # (spec, adapter)
    stage: Callable[[Any, Any], Any] = _unchanged  # (spec, figures.spec.Staging) -> spec
    # 3. Run: the pipeline class it needs, what it loads onto the model, what it sets around a call, how it
    #    turns the input image into call arguments, its own way to call or make the image, its manifest extras.
    pipeline_class: Callable[[type, Any], type | None] | None = None  # (text-to-image class, run)
    # The files of the adapter's Hub repository that `load` reads (safetensors and configs only): the run
    # fetches them with the models, before any image is made, so a missing one costs only its own images.
    hub_files: Callable[[Any], tuple[str, ...]] = _no_files  # (adapter) -> paths in its repository
    load: Callable[[Any, Any, Any, Any], Any] = _same_pipe  # (pipe, adapter, torch dtype, run) -> pipe
    # A compared value that changes how the model itself loads (its weights quantized): what it adds to the
    # load's key, so each value loads the model afresh, and the keyword arguments it adds to from_pretrained.
    load_part: Callable[[dict], str] = _empty  # (applied values) -> a stable string, "" for the plain load
    load_arguments: Callable[[type, dict, str, Any], dict] = _no_arguments  # (class, applied, device, run)
    apply: Callable[[Any, dict, Any, Any], Callable[[], None] | None] = _nothing_to_undo  # -> undo
    prepare: Callable[[Any, Any, Any], bool] | None = None  # (job, figures.run.generate.CallInputs, run)
    call: Callable[..., Any] | None = None  # (pipe, job, arguments, run) -> (results, seeds per image, extras)
    make: Callable[[Any, Any], dict] | None = None  # (job, run) -> entry facts; the image needs no model
    record: Callable[[Any, dict, Any], None] = _nothing  # (job, entry, run): add to the manifest entry
    # 4. Pages: sentences on how its images were made, what they start from, a chart of its own.
    notes: Callable[[Any, dict], list[str]] = _none  # (comparison, first made entry)
    image_caption: str | None = None  # the caption of the image its call's `image` argument names
    image_argument: str | None = None  # the call argument its input image goes in, if not `image`
    sources: Callable[[dict, Callable[[str], dict]], list[tuple[str, dict]]] = _none  # (first, entry of file)
    chart: Callable[[Any, list[dict], Any], Any] | None = None  # (setting, made entries, view) -> a page chart
    # 5. Reproduce code, from a manifest entry: imports, diffusers classes, lines before and after the load.
    code_imports_before: Callable[[dict], list[str]] = _none  # before `import torch` (cv2, NumPy)
    code_imports: Callable[[dict], list[str]] = _none
    code_classes: Callable[[dict], list[str]] = _none
    code_before_load: Callable[[dict], list[str]] = _none
    code_load_arguments: Callable[[dict], list[str]] = _none
    code_after_load: Callable[[dict], list[str]] = _none
    code_input: Callable[[dict, str], list[str]] = _none  # (entry, variable): the loaded input made ready
    loads_before_device: bool = False  # the pipeline moves to its device after this kind's load
    # Per image, once the pipeline is loaded: the lines that set its compared value (absolute, so the images
    # of a page can be made one after the other) and, instead of the usual `image.save(...)`, its own saving.
    code_apply: Callable[[dict], list[str]] = _none
    # Inside the call, the lines for what the kind hands it besides the recorded arguments (a mask image); after
    # it, the lines that finish the image the way the run did (pasted back over the input image).
    code_call_arguments: Callable[[dict], list[str]] = _none
    code_after_call: Callable[[dict, str], list[str]] = _none  # (entry, the input image's variable)
    code_save: Callable[[dict], list[str]] = _none
    # AUTOMATIC1111: what its prompt carries for this kind (a LoRA's `<lora:NAME:WEIGHT>` tag), or None where
    # its generation parameters cannot say it; a kind without the hook is left out of them, with that reason.
    automatic1111_tag: Callable[[dict], str | None] | None = None

    @property
    def needs_model(self) -> bool:
        """False for a kind whose image is made from another image alone (the output-format measurement)."""
        return self.make is None


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind to the registry (each kind file registers itself; a test may register its own)."""
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"a comparison kind named {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (for tests that register one of their own)."""
    _KINDS.pop(name, None)


def kinds(field: Field | None = None) -> list[Kind]:
    """Every registered kind, or those a setting names under ``field``, in registration order."""
    return [kind for kind in _KINDS.values() if field is None or kind.field == field]


def names(field: Field) -> tuple[str, ...]:
    return tuple(kind.name for kind in kinds(field))


def get(name: str | None) -> Kind | None:
    return _KINDS.get(name) if name else None


def owner_of(parameter: str) -> Kind | None:
    """The kind that applies a compared value itself, e.g. ``lora_scale`` -> the LoRA kind."""
    return next((kind for kind in _KINDS.values() if parameter in kind.parameters), None)


def image_arguments() -> tuple[str, ...]:
    """The call arguments that take an input image: ``image``, and each kind's own (an IP-Adapter's)."""
    own = [kind.image_argument for kind in _KINDS.values() if kind.image_argument]
    return ("image", *dict.fromkeys(own))


def named_values() -> frozenset[str]:
    """Compared values that are names (``vae: stock``, ``format: png``): no ranges apply, captions quote none."""
    return frozenset(name for kind in _KINDS.values() for name in kind.named_values)


def precision_parameters() -> frozenset[str]:
    """Compared values that set a precision: `dtype`, and those of a kind that sets one (the VAE's upcast)."""
    return frozenset({"dtype", *(name for kind in _KINDS.values() if kind.precision for name in kind.parameters)})


def runner_applied() -> frozenset[str]:
    """Every compared value some kind applies itself rather than passing it to the pipeline call."""
    return frozenset(parameter for kind in _KINDS.values() for parameter in kind.parameters)


def of_comparison(comparison) -> list[Kind]:
    """The kinds a setting's comparison names: its recipe's, its adapter's, its measurement (the order each
    step asks them in: a recipe decides first how the call takes its input image)."""
    named = (
        comparison.recipe.kind if comparison.recipe else None,
        comparison.adapter.kind if comparison.adapter else None,
        comparison.measure,
    )
    return [kind for kind in map(get, named) if kind is not None]


def of_spec(spec) -> list[Kind]:
    """The kinds one image's spec uses: named by it, or owning one of the values the run applies for it."""
    return _named_or_applying([spec.recipe, spec.adapter.kind if spec.adapter else None, spec.measure], spec.applied)


def of_entry(entry: dict) -> list[Kind]:
    """The kinds a manifest entry's recorded inputs name (what the Reproduce code must do again)."""
    inputs = entry.get("inputs") or {}
    return _named_or_applying(named_in_entry(entry), inputs.get("applied") or {})


def named_in_entry(entry: dict) -> list[str]:
    """The kind names a manifest entry's recorded inputs give: its recipe's, its adapter's, its measurement."""
    inputs = entry.get("inputs") or {}
    named = [inputs.get("recipe"), (inputs.get("adapter") or {}).get("kind"), inputs.get("measure")]
    return [name for name in named if name]


def _named_or_applying(named: list[str | None], applied: dict) -> list[Kind]:
    """The kinds ``named`` (recipe, adapter, measurement), then those owning one of the ``applied`` values."""
    found = [kind for kind in map(get, named) if kind is not None]
    found += [kind for name in applied if (kind := owner_of(name)) is not None and kind not in found]
    return found


def adapter_note(label: str, adapter) -> str:
    """``LoRA: owner/name, file.safetensors at revision 0123456789ab.``: which adapter, pinned where."""
    weights = f", {adapter.weight_name}" if adapter.weight_name else ""
    pinned = f" at revision {adapter.revision[:12]}" if adapter.revision else ""
    return f"{label}: {adapter.model}{weights}{pinned}."


# What a diffusers model saved with save_pretrained() is read from: its config and its one safetensors file.
DIFFUSERS_MODEL_FILES = ("config.json", "diffusion_pytorch_model.safetensors")


def value_items(comparison, position: int) -> Iterator[tuple[tuple, Any]]:
    """Each compared value's item for one of several compared arguments (the value itself when there is one),
    with its location in the setting file."""
    several = len(comparison.names) > 1
    for index, value in enumerate(comparison.values or []):
        value_loc = ("comparison", "values", index)
        if not several:
            yield value_loc, value
        elif isinstance(value, list) and len(value) == len(comparison.names):
            yield (*value_loc, position), value[position]


def first(found: Iterable[Kind], hook: str) -> Callable | None:
    """The first of ``found`` that has its own ``hook`` (one kind decides, e.g. how the pipeline is called)."""
    return next((getattr(kind, hook) for kind in found if getattr(kind, hook) is not None), None)


# The kind files, imported for their register() call, in the order the schema and the docs list them.
BUILT_IN = (
    "lora",
    "controlnet",
    "ip_adapter",
    "vae",
    "hires_fix",
    "refiner",
    "inpainting",
    "output_format",
    "batch_size",
    "quantization",
)
for _module in BUILT_IN:
    importlib.import_module(f"{__name__}.{_module}")
