"""The schema of a setting file, in one place (pydantic v2, unknown keys forbidden)."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema

from .. import kinds
from ..errors import did_you_mean
from ..markdown_safety import unsafe_markdown
from .positions import problem_in_document
from .weights import weight_file_problem
from .yaml_reader import PlainScalar

# Display titles in the order the index shows them. Adding a category is one line here.
CATEGORIES: dict[str, str] = {
    "sampling": "Sampling",
    "guidance": "Guidance",
    "prompt": "Prompt",
    "image-size": "Image size and composition",
    "image-to-image": "Image-to-image",
    "control": "Control and adapters",
    "reproducibility": "Reproducibility",
    "output": "Output and performance",
}

# YAML 1.2 core-schema numbers. YAML 1.1 extras (``1_000``, ``0x1F``, ``1:30``) stay text.
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _as_text(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value


def _yaml_number(value: Any) -> Any:
    if isinstance(value, PlainScalar):
        if _INT.fullmatch(value):
            return int(value)
        if _FLOAT.fullmatch(value):
            return float(value)
    return value


def _number(value: Any) -> int | float:
    value = _yaml_number(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {describe_value(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _number_or_text(value: Any) -> int | float | str:
    value = _yaml_number(value)
    if isinstance(value, str):
        return str(value)
    return _number(value)


def _argument(value: Any) -> bool | int | float | str | list:
    # Some pipeline arguments take a short list, e.g. SD3's skip_guidance_layers=[7, 8, 9].
    if isinstance(value, list):
        if not value or len(value) > 16 or any(isinstance(item, (list, dict)) for item in value):
            raise ValueError("a list argument must hold 1 to 16 plain values")
        return [_scalar(item) for item in value]
    return _scalar(value)


def _scalar(value: Any) -> bool | int | float | str:
    if isinstance(value, PlainScalar) and value in _BOOL:
        return _BOOL[value]
    if isinstance(value, bool):
        return value
    return _number_or_text(value)


def _comparison_value(value: Any) -> int | float | str | list:
    # A value is one plain value, a pair for a tuple argument (`original_size: [512, 512]`), or, when the
    # comparison varies several arguments at once, a list with one such item per argument.
    if isinstance(value, list):
        if not 2 <= len(value) <= 3:
            raise ValueError("a list value holds 2 or 3 items: a pair, or one item per compared argument")
        return [_pair(item) if isinstance(item, list) else _scalar(item) for item in value]
    return _scalar(value)  # true/false: a scheduler flag such as `scheduler.use_karras_sigmas`


def _pair(value: list) -> list:
    if len(value) != 2 or any(isinstance(item, (list, dict)) for item in value):
        raise ValueError("a pair inside a value holds exactly 2 numbers, e.g. [512, 512]")
    return [_number(item) for item in value]


def describe_value(value: Any) -> str:
    """How an error message names a YAML value the reader typed."""
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return repr(str(value))


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(text: str) -> str:
    if _CONTROL_CHARACTER.search(text):
        raise ValueError("must be a single line of plain text")
    if text != text.strip() or not text:
        raise ValueError("must not be empty or start or end with spaces")
    return text


def _safe_markdown(text: str) -> str:
    if reasons := unsafe_markdown(text):
        raise ValueError("; ".join(reasons))
    if not text.strip():
        raise ValueError("must not be empty")
    return text


Text = Annotated[str, BeforeValidator(_as_text)]
ShortText = Annotated[Text, Field(max_length=80), AfterValidator(_one_line)]
LongText = Annotated[Text, Field(max_length=240), AfterValidator(_one_line)]
Markdown = Annotated[Text, Field(max_length=8000), AfterValidator(_safe_markdown)]
Identifier = Annotated[Text, Field(pattern=_IDENTIFIER, max_length=80)]  # a Python name: argument, class
Slug = Annotated[Text, Field(pattern=_SLUG, max_length=60)]
Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
_PLAIN_VALUE = {"type": ["number", "string", "boolean"]}
_PAIR = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
ComparisonValue = Annotated[
    int | float | str | list,
    PlainValidator(_comparison_value),
    WithJsonSchema(
        {
            "anyOf": [
                _PLAIN_VALUE,
                {"type": "array", "items": {"anyOf": [_PLAIN_VALUE, _PAIR]}, "minItems": 2, "maxItems": 3},
            ],
            # How the Contributing page's schema table names it: the JSON above reads badly in words.
            "$comment": "read as: number, text or true/false; or a list of 2 or 3 of them (a pair, or one per compared argument)",
        }
    ),
]
ArgumentValue = Annotated[
    bool | int | float | str | list,
    PlainValidator(_argument),
    WithJsonSchema(
        {
            "type": ["boolean", "number", "string", "array"],
            "items": {"type": ["boolean", "number", "string"]},
            "minItems": 1,
            "maxItems": 16,
        }
    ),
]
Seed = Annotated[int, BeforeValidator(_yaml_number), Field(strict=True, ge=0, lt=2**63)]
Threshold = Annotated[float, BeforeValidator(_yaml_number), Field(strict=True, gt=0, lt=1)]
HttpsUrl = Annotated[Text, Field(pattern=r"""^https://[^\s<>"'`]+$""", max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValueRange(_Strict):
    """A named band of values, e.g. Low (1 – 10)."""

    label: ShortText = Field(description="The band's name, e.g. `Low`, plain text.")
    min: Number = Field(description="The lowest value of the band.")
    max: Number = Field(description="The highest value of the band; not below `min`.")
    description: Markdown = Field(description="What values in this band do to the image (Markdown).")


class Choice(_Strict):
    """One named option of a setting whose values are not numbers (e.g. a scheduler)."""

    value: ShortText = Field(description="The option as users type it, e.g. `DPM++ 2M Karras`.")
    description: Markdown = Field(description="What this option does and when to pick it (Markdown).")


class Sweep(_Strict):
    """A longer run of values, each image measured against a reference image: the page charts it."""

    values: Annotated[list[Number], Field(min_length=3, max_length=20)] = Field(
        description="The values to render and measure, 3 to 20, from low to high, inside the declared `ranges`; "
        "values also in the comparison reuse its images."
    )
    reference: Number = Field(
        description="The value whose image the others are measured against, one of `values`: the largest for a "
        "setting that converges (e.g. 100 steps), else the recommended value."
    )
    reference_label: ShortText | None = Field(
        default=None,
        description="What the reference is, if not simply the reference, e.g. `recommended value`; plain text.",
    )
    threshold: Threshold = Field(
        default=0.05,
        description="The difference (1 − SSIM) that counts as close to the reference; the chart marks the values "
        "within it. 0.05 means within 5 %.",
    )


def _profile_name(value: Any) -> Any:
    # `models: [sdxl, flux-schnell]` is short for `models: [{profile: sdxl}, {profile: flux-schnell}]`.
    return {"profile": value} if isinstance(value, str) else value


class ComparisonModel(_Strict):
    """One model of a comparison across models: a profile from figures/defaults.yml, with its own values if needed."""

    profile: Slug = Field(
        description="The name of a model profile in figures/defaults.yml, e.g. `sdxl` or `flux-schnell`."
    )
    values: Annotated[list[ComparisonValue], Field(min_length=2, max_length=8)] | None = Field(
        default=None,
        description="This model's values to show, if not the comparison's `values` (sensible values differ per model).",
    )
    arguments: dict[Annotated[str, Field(pattern=_IDENTIFIER)], ArgumentValue] = Field(
        default_factory=dict, description="Fixed pipeline call arguments for this model's images only."
    )
    sweep: Sweep | None = Field(
        default=None,
        description="This model's sweep, if not the comparison's `sweep`; `sweep: null` measures none for it.",
    )
    prompt: LongText | None = Field(default=None, description="This model's prompt, if not the comparison's.")
    negative_prompt: LongText | None = Field(default=None, description="This model's negative prompt.")
    seed: Seed | None = Field(default=None, description="This model's seed, if not the comparison's.")
    scheduler: Identifier | None = Field(default=None, description="A diffusers scheduler class for this model.")
    scheduler_config: dict[Identifier, ArgumentValue] = Field(
        default_factory=dict,
        description="Scheduler config fields for this model's images, e.g. `timestep_spacing: trailing`.",
    )
    note: Markdown | None = Field(
        default=None,
        description="A remark shown in this model's tab, e.g. that its guidance works differently (Markdown).",
    )
    no_effect: Markdown | None = Field(
        default=None,
        description="The setting does nothing on this model: say why (Markdown). Its tab shows this instead of "
        "images that would all come out the same, e.g. a negative prompt on a guidance-distilled model.",
    )

    @property
    def has_own_sweep(self) -> bool:
        """This model names its own sweep (even `sweep: null`) rather than taking the comparison's."""
        return "sweep" in self.model_fields_set


class _ProfileNameOrBlock:
    """JSON Schema for editors: an entry of `models` is a profile name or a block."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        return {"anyOf": [{"type": "string", "pattern": _SLUG}, handler(core_schema)]}


ModelEntry = Annotated[ComparisonModel, BeforeValidator(_profile_name), _ProfileNameOrBlock()]


HubId = Annotated[Text, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=96)]


def _safetensors_file(name: str) -> str:
    problem = weight_file_problem(name)
    if problem:
        raise ValueError(problem)
    return name


_FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# Any file name gets past the pattern so that a pickled one is refused with the reason (settings/weights.py);
# editors are shown the one suffix the run loads.
FileName = Annotated[
    Text,
    Field(pattern=_FILE_NAME, max_length=120),
    AfterValidator(_safetensors_file),
    WithJsonSchema({"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*\.safetensors$", "maxLength": 120}),
]
Folder = Annotated[Text, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$", max_length=120)]
# A call argument, or `scheduler.FIELD`: a field of the scheduler's config, which the run sets by building the
# scheduler again from the model's own config with that field changed (a flow model's `shift`, Karras sigmas).
SCHEDULER_FIELD = "scheduler."
ParameterName = Annotated[Text, Field(pattern=r"^(scheduler\.)?[A-Za-z_][A-Za-z0-9_]*$", max_length=60)]


def scheduler_field(name: str) -> str | None:
    """The scheduler config field a compared name sets (`scheduler.shift` -> `shift`); None for a call argument."""
    return name[len(SCHEDULER_FIELD) :] if name.startswith(SCHEDULER_FIELD) else None


def _known_kind(field: kinds.Field):
    """A validator: the value names a registered kind of ``field`` (an adapter, recipe or measurement)."""

    def check(value: str) -> str:
        known = kinds.names(field)
        if value not in known:
            choices = (
                " or ".join(repr(name) for name in known)
                if len(known) < 3
                else (", ".join(repr(name) for name in known[:-1]) + f" or {known[-1]!r}")
            )
            raise ValueError(f"unknown {field} kind {value!r}{did_you_mean(value, known)}; Input should be {choices}")
        return value

    return check


class _KindNames:
    """JSON Schema for editors: the names the registry knows when the schema is written."""

    def __init__(self, field: kinds.Field):
        self.field = field

    def __get_pydantic_json_schema__(self, core_schema, handler):
        return {"type": "string", "enum": list(kinds.names(self.field))}


def KindName(field: kinds.Field):  # noqa: N802 (used as a type, like the Annotated aliases above)
    return Annotated[Text, AfterValidator(_known_kind(field)), _KindNames(field)]


def _kinds_described(field: kinds.Field) -> str:
    """Each registered kind of ``field`` with what it does, for a field's description: "`a` (...) or `b` (...)"."""
    described = [f"`{kind.name}` ({kind.description})" for kind in kinds.kinds(field)]
    return ", ".join(described[:-1]) + f" or {described[-1]}" if len(described) > 1 else "".join(described)


def _for_kinds(adapter_field: str) -> str:
    """Which adapter kinds take ``adapter_field``, e.g. ``lora and ip-adapter``."""
    return " and ".join(kind.name for kind in kinds.kinds("adapter") if adapter_field in kind.fields)


class Recipe(_Strict):
    """A comparison made in stages, each cached on its own (see figures/spec.py): a first image, or the input image."""

    kind: KindName("recipe") = Field(description=_kinds_described("recipe") + ".")
    upscale: Annotated[float, BeforeValidator(_yaml_number), Field(strict=False, ge=1.1, le=4)] | None = Field(
        default=None, description="The hires fix: how much the first image is enlarged (Lanczos resampling, Pillow)."
    )
    refiner: Slug | None = Field(
        default=None, description="The refiner: its model profile in figures/defaults.yml, e.g. `sdxl-refiner`."
    )
    mask_blur: Annotated[int, BeforeValidator(_yaml_number), Field(strict=True, ge=0, le=256)] | None = Field(
        default=None,
        description="Inpainting: the mask's blur radius in pixels for every image, when `mask_blur` is not compared.",
    )


class Adapter(_Strict):
    """One adapter on the comparison's model, pinned like a model: repository, commit and weight file."""

    kind: KindName("adapter") = Field(description=_kinds_described("adapter") + ".")
    name: Slug = Field(description="A short name: the LoRA's adapter name, or the `vae` value that selects it.")
    model: HubId = Field(description="The adapter's Hub repository, e.g. `diffusers/controlnet-canny-sdxl-1.0`.")
    revision: Annotated[Text, Field(pattern=r"^[A-Za-z0-9._/-]+$", max_length=80)] | None = Field(
        default=None,
        description="The repository's commit (40 hex digits), so the images can be made again; "
        "`settings-guide figures --pin` writes it.",
    )
    weight_name: FileName | None = Field(
        default=None, description=f"{_for_kinds('weight_name')}: the weight file, e.g. `ip-adapter_sdxl.safetensors`."
    )
    subfolder: Folder | None = Field(
        default=None, description=f"{_for_kinds('subfolder')}: the folder holding the weights and its `image_encoder`."
    )
    control: Literal["canny"] | None = Field(
        default=None,
        description=f"{_for_kinds('control')}: how the control image is made from the input image (Canny edges).",
    )
    reference_prompt: LongText | None = Field(
        default=None,
        description=f"{_for_kinds('reference_prompt')}: the prompt of the reference image, if not the shared one.",
    )


class Comparison(_Strict):
    """Which pipeline argument the Visual Comparison varies, and over which values."""

    parameter: ParameterName | Annotated[list[ParameterName], Field(min_length=2, max_length=3)] = Field(
        description="A pipeline call argument such as `num_inference_steps`, or `seed`, `scheduler`, `dtype`, "
        "`vae`, `lora_scale`, `ip_adapter_scale`, `format`, or `scheduler.FIELD` (a scheduler config field such "
        "as `scheduler.shift`); or a list of 2 or 3 of them varied together "
        "(each value then lists one item per argument)."
    )
    values: Annotated[list[ComparisonValue], Field(min_length=2, max_length=8)] | None = Field(
        default=None,
        description="The values to show side by side, 2 to 8, inside the declared `ranges`; one image each. "
        "Required unless every entry of `models` has its own.",
    )
    models: Annotated[list[ModelEntry], Field(min_length=1, max_length=10)] | None = Field(
        default=None,
        description="Compare on several models, one tab each: profile names from figures/defaults.yml, or blocks "
        "with a `profile` and that model's own `values`, `arguments` or `sweep`. Without it, the default model.",
    )
    task: Literal["text-to-image", "image-to-image"] = Field(
        default="text-to-image",
        description="image-to-image starts from an input image (e.g. for `strength`).",
    )
    prompt: LongText | None = Field(default=None, description="The prompt for every image, if not the default one.")
    negative_prompt: LongText | None = Field(default=None, description="A negative prompt for every image.")
    seed: Seed | None = Field(default=None, description="The random seed for every image, if not the default one.")
    model: ShortText | None = Field(
        default=None, description="A model id overriding the configured default (instead of `models`)."
    )
    revision: Annotated[Text, Field(pattern=r"^[A-Za-z0-9._/-]+$", max_length=80)] | None = Field(
        default=None,
        description="The commit (or tag) of `model` to use; pin a commit so the images can be made again.",
    )
    pipeline: Identifier | None = Field(
        default=None, description="The diffusers pipeline class for `model`, e.g. `FluxPipeline`."
    )
    scheduler: Identifier | None = Field(
        default=None, description="A diffusers scheduler class for every image, e.g. `DDIMScheduler` (needed by `eta`)."
    )
    scheduler_config: dict[Identifier, ArgumentValue] = Field(
        default_factory=dict,
        description="Scheduler config fields for every image, set on the model's own scheduler (or `scheduler`): "
        "e.g. `timestep_spacing: trailing`, which step-distilled LoRAs ask for.",
    )
    arguments: dict[Annotated[str, Field(pattern=_IDENTIFIER)], ArgumentValue] = Field(
        default_factory=dict, description="Fixed extra pipeline call arguments for every image."
    )
    sweep: Sweep | None = Field(
        default=None,
        description="Numeric settings: more values to measure against a reference image, charted under the comparison.",
    )
    recipe: Recipe | None = Field(default=None, description="A recipe: the hires fix, a refiner, or inpainting.")
    adapter: Adapter | None = Field(default=None, description="An adapter the images use: LoRA, ControlNet, ...")
    measure: KindName("measure") | None = Field(
        default=None, description="A comparison that measures: " + _kinds_described("measure") + "."
    )
    ranges_apply: bool = Field(
        default=True,
        description="false when the compared values are another quantity than the `ranges` describe (the hires "
        "fix compares its second pass's strength), so they are not checked against them.",
    )

    @property
    def names(self) -> tuple[str, ...]:
        """The compared arguments: one, or the several a list `parameter` varies together."""
        return tuple(self.parameter) if isinstance(self.parameter, list) else (self.parameter,)

    @property
    def parameter_key(self) -> str:
        """The compared arguments as one name, ``a+b`` for several: in file names, captions and the manifest."""
        return "+".join(self.names)

    def values_for(self, entry: ComparisonModel | None) -> list:
        """The values one model shows: its own, else the comparison's."""
        return (entry.values if entry and entry.values is not None else self.values) or []

    def sweep_for(self, entry: ComparisonModel | None) -> Sweep | None:
        """The sweep one model measures: its own (even `null`), else the comparison's."""
        return entry.sweep if entry and entry.has_own_sweep else self.sweep


class ModelRecommendation(_Strict):
    """One row of the "Recommended Values by Model" table."""

    model: ShortText = Field(description="The model's name, e.g. `SDXL` or `FLUX.1 [dev]`.")
    value: ShortText = Field(description="The recommended value or range, as text, e.g. `20 – 30`.")
    note: LongText | None = Field(default=None, description="A short remark, plain text.")
    models: list[Slug] = Field(
        default_factory=list,
        description="The model catalogue's keys this row is for (files in `models/`, e.g. `z-image-turbo`): "
        "the row then also appears on those models' pages.",
    )


class Source(_Strict):
    """A page or paper that backs the facts on the page."""

    title: ShortText = Field(description="The link text, plain text.")
    url: HttpsUrl = Field(description="The address; `https://` links only.")


# The tools a reader may have open, in the order the "In Your Tool" table lists them.
TOOLS: dict[str, str] = {
    "diffusers": "diffusers",
    "automatic1111": "AUTOMATIC1111",
    "forge": "Forge",
    "comfyui": "ComfyUI",
    "swarmui": "SwarmUI",
    "invokeai": "InvokeAI",
}
# The tools that save AUTOMATIC1111's infotext (the "parameters" text) with each image: Forge is its fork.
INFOTEXT_TOOLS = ("automatic1111", "forge")


class ToolDefault(_Strict):
    """What a tool starts at, for one model family or mode."""

    value: ShortText = Field(description="The default as the tool shows it, e.g. `20` or `7.5`; plain text.")
    applies_to: ShortText | None = Field(
        default=None,
        description="Which pipeline family, tab, mode or UI preset has this default, e.g. `SDXL`, `img2img tab` "
        "or `xl preset` (Forge); leave out when there is one default.",
    )


class ToolPlace(_Strict):
    """One place a tool exposes the setting: a pipeline argument, a UI control, a node input."""

    where: ShortText | None = Field(
        default=None,
        description="Where to find it: the pipeline or method (diffusers), the tab or panel (a UI), the node "
        "(ComfyUI, required there), e.g. `KSampler node`; plain text.",
    )
    label: ShortText | None = Field(
        default=None,
        description="The label the UI shows, e.g. `Sampling steps`; it must also be an alias. A label too generic "
        "to be one (`Weight`) goes in `where` instead.",
    )
    name: ShortText | None = Field(
        default=None,
        description="The name in code: the diffusers argument, the AUTOMATIC1111 or Forge API field, the ComfyUI "
        "node input, the SwarmUI parameter id or the InvokeAI field, e.g. `num_inference_steps`.",
    )
    infotext: ShortText | None = Field(
        default=None,
        description="AUTOMATIC1111 and Forge only: the key in the parameters saved with each image, e.g. `Steps`.",
    )
    defaults: list[ToolDefault] = Field(
        default_factory=list,
        description="What the tool starts at, per model family or mode. Leave it empty when no source says, "
        "and the page shows the default as not verified.",
    )


class ToolRow(_Strict):
    """One tool's row of the "In Your Tool" table: where the setting lives there, or why it does not."""

    places: Annotated[list[ToolPlace], Field(max_length=4)] = Field(
        default_factory=list,
        description="Where the tool exposes the setting, 1 to 4 places; leave out when the tool lacks it.",
    )
    absent: LongText | None = Field(
        default=None,
        description="Only when the tool has no such setting: say so and what to use instead; plain text.",
    )
    note: LongText | None = Field(default=None, description="A short remark shown under the table, plain text.")
    sources: Annotated[list[HttpsUrl], Field(min_length=1)] = Field(
        description="The links that back this row, each also listed in the page's `sources`."
    )


class Tools(_Strict):
    """Every tool's row; a tool without the setting still has a row that says so."""

    diffusers: ToolRow = Field(description="The diffusers pipelines: call argument and default per family.")
    automatic1111: ToolRow = Field(
        description="AUTOMATIC1111's Stable Diffusion web UI: UI label, API field, infotext key and default."
    )
    forge: ToolRow = Field(
        description="Stable Diffusion WebUI Forge: UI label, API field, infotext key and default per UI preset "
        "(`sd`, `xl`, `flux`) where they differ from each other."
    )
    comfyui: ToolRow = Field(description="ComfyUI: node, input and default.")
    swarmui: ToolRow = Field(description="SwarmUI: parameter label, parameter id and default.")
    invokeai: ToolRow = Field(description="InvokeAI: UI label or field, and default.")


class Setting(_Strict):
    """One image-generation setting: everything its page shows."""

    name: ShortText = Field(description="The page title, plain text.")
    aliases: list[ShortText] = Field(
        default_factory=list,
        description="Other names for the setting in tools and APIs; each becomes a search term and an address "
        "that forwards to the page.",
    )
    category: Literal[tuple(CATEGORIES)] = Field(  # type: ignore[valid-type]
        description="The section of the index the setting is listed in."
    )
    summary: LongText = Field(description="One plain sentence for the index card and the page's lead.")
    intro: Markdown = Field(description="The opening paragraph of the page (Markdown).")
    what_it_does: Markdown = Field(description="The explanation: what the setting changes and why (Markdown).")
    value_type: Literal["integer", "number", "choice"] = Field(
        description="Whole numbers, any numbers (both described by `ranges`), or named options (`choices`)."
    )
    ranges: list[ValueRange] = Field(
        default_factory=list,
        description="For `integer` and `number` settings: bands of values, from low to high, without overlaps.",
    )
    choices: list[Choice] = Field(default_factory=list, description="For `choice` settings: each option.")
    recommendations: list[ModelRecommendation] = Field(
        default_factory=list, description="Optional table of good values for popular models."
    )
    comparison: Comparison | None = Field(
        default=None, description="What the Visual Comparison images vary; leave it out for no images."
    )
    no_comparison: Markdown | None = Field(
        default=None,
        description="Without a `comparison`: why the page shows no images, in a sentence or two (Markdown).",
    )
    tips: Annotated[list[Markdown], Field(min_length=1)] = Field(
        description="Short pieces of practical advice, at least one (Markdown)."
    )
    related: list[Slug] = Field(
        default_factory=list, description="File names (without `.yml`) of related settings; links go both ways."
    )
    tools: Tools | None = Field(
        default=None,
        description='The "In Your Tool" table: what the setting is called in each tool, where it is and what '
        "the tool starts at. Without it every row says the tool is not documented yet.",
    )
    sources: list[Source] = Field(default_factory=list, description="The documentation or papers the facts come from.")


class LoadedSetting(BaseModel):
    """A validated setting plus where it came from, so later checks can point at a line."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    slug: str
    source_path: str  # as shown to users, e.g. settings/inference-steps.yml
    setting: Setting
    document: Any = Field(default=None, repr=False, exclude=True)  # the YamlDocument it was read from

    def problem_at(self, loc: tuple, message: str):
        """A Problem pointing at ``loc`` (e.g. ``("comparison", "parameter")``) in this file."""
        return problem_in_document(self.source_path, self.document, loc, message)
