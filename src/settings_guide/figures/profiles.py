"""``figures/defaults.yml``: the shared prompt and seed and one profile per model, validated at file:line:col.

Also which Hub models (profiles, adapters, a comparison's own model) are not pinned to a commit.
Pure: imports no torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ..errors import Problem, ProblemsFound, did_you_mean
from ..settings.model import (
    ArgumentValue,
    HttpsUrl,
    HubId,
    Identifier,
    LoadedSetting,
    LongText,
    Seed,
    ShortText,
    Slug,
    Text,
)
from ..settings.positions import display_path, problem_in_document
from ..settings.yaml_reader import PlainScalar, YamlReadError, read_yaml
from .layout import looks_like_path

DTYPES = ("bf16", "fp16", "fp32")
# Call arguments the runner sets itself; a setting that sets them would break the run.
RESERVED_ARGUMENTS = frozenset(
    {
        "generator",
        "output_type",
        "num_images_per_prompt",
        "image",
        "return_dict",
        "latents",
        "callback_on_step_end",
        "callback_on_step_end_tensor_inputs",
    }
)
SIZE_ARGUMENTS = ("width", "height")  # carried as the spec's size: image-to-image pipelines take no size


def _whole_number(value: Any) -> Any:
    if isinstance(value, PlainScalar) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    return value


Pixels = Annotated[int, BeforeValidator(_whole_number), Field(strict=True, ge=8, le=8192, multiple_of=8)]
ModelId = Annotated[Text, Field(min_length=1, max_length=500, pattern=r"^\S(.*\S)?$")]


Revision = Annotated[Text, Field(pattern=r"^[A-Za-z0-9._/-]+$", max_length=80)]
COMMIT = re.compile(r"[0-9a-f]{40}")
PIN_HINT = "run `settings-guide figures --pin` on a machine with Hub access to write its current commit here"


def _reviewed_commit(value: str) -> str:
    if not COMMIT.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a commit: declare the 40-character commit you reviewed (the repository's Hub page, "
            "Files and versions, History), since a branch can change after the review"
        )
    return value


ReviewedCommit = Annotated[Text, AfterValidator(_reviewed_commit)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Amount = Annotated[float, Field(gt=0, le=10_000)]


class PublishedCost(_Strict):
    """What a model costs by public figures, for ``--dry-run`` until a run records its own seconds."""

    # At the profile's native width x height, one image, in its dtype, on `gpu`; none where no public
    # figure was found: --dry-run then says "no estimate" until a run records seconds.
    seconds_per_step: Amount | None = None
    gpu: ShortText | None = None  # the GPU that figure was measured on, e.g. "H100"
    speed_source: HttpsUrl | None = None
    download_gb: Amount  # GB (10^9 bytes) of the safetensors files a run downloads (no variants)
    stored_dtype: Literal[DTYPES]  # type: ignore[valid-type]  # what those files hold: loaded sizes scale from it
    largest_gb: Amount  # its largest component's files: what model offload keeps on the GPU at a time
    files_source: HttpsUrl  # the Hub repository's file list

    @model_validator(mode="after")
    def _speed_has_its_source(self):
        if self.seconds_per_step is not None and (self.gpu is None or self.speed_source is None):
            raise ValueError("`seconds_per_step` needs the `gpu` it was measured on and its `speed_source`")
        return self


class ModelProfile(_Strict):
    """One model a comparison can name: its weights, pipeline and the base call its model card recommends."""

    label: ShortText  # how pages name it, e.g. "FLUX.1 [schnell]"
    model: ModelId  # Hub id (or a local diffusers folder)
    revision: Revision  # a commit (validated with the rest): a branch such as "main" can change unnoticed
    pipeline: Identifier
    dtype: Literal[DTYPES]  # type: ignore[valid-type]
    width: Pixels
    height: Pixels
    negative_prompt: bool = True  # whether its base call takes the shared negative prompt
    arguments: dict[Identifier, ArgumentValue] = Field(default_factory=dict)
    source: HttpsUrl | None = None  # where its base arguments come from (the model card)
    published: PublishedCost | None = None  # without one, --dry-run has no estimate until a run records seconds
    # As the model card names it, e.g. "Apache 2.0", and where its terms are: shown on the page and in
    # --dry-run. Every profile of the project's own file has one (a test checks); a test project may skip it.
    licence: ShortText | None = None
    licence_url: HttpsUrl | None = None
    # The Hub repository asks each account to accept its licence first: the runner's HF_TOKEN must have.
    gated: bool = False
    # The pipeline takes only sizes that are multiples of this (the VAE's scale factor times the transformer's
    # patch size: 16 for FLUX and the other transformer models); other sizes it resizes without a word.
    size_multiple: Annotated[Literal[8, 16, 32, 64], BeforeValidator(_whole_number)] = 8


class FigureDefaults(_Strict):
    """What every comparison image starts from; see figures/defaults.yml."""

    default_model: Slug
    models: Annotated[dict[Slug, ModelProfile], Field(min_length=1)]
    prompt: LongText
    negative_prompt: LongText | None = None
    seed: Seed
    format: Literal["webp"] = "webp"
    quality: Annotated[int, BeforeValidator(_whole_number), Field(strict=True, ge=1, le=100)] = 80
    # Every Hub repository a setting's `adapter:` may load, at the commit a maintainer reviewed
    # (figures/repositories.py checks the settings against it).
    adapters: dict[HubId, ReviewedCommit] = Field(default_factory=dict)

    @property
    def default(self) -> ModelProfile:
        return self.models[self.default_model]


@dataclass(frozen=True)
class LoadedDefaults:
    values: FigureDefaults
    source_path: str  # as shown to users, e.g. figures/defaults.yml
    document: Any = field(repr=False, compare=False)

    def problem_at(self, loc: tuple, message: str) -> Problem:
        return problem_in_document(self.source_path, self.document, loc, message)


def load_defaults(path: Path) -> LoadedDefaults:
    """Read and validate the defaults file, raising ProblemsFound with file:line:col problems."""
    shown = display_path(path)
    try:
        document = read_yaml(Path(path).read_bytes())
    except OSError as error:
        raise ProblemsFound([Problem(shown, 1, 1, "", f"cannot read the figure defaults: {error.strerror}")]) from None
    except YamlReadError as error:
        raise ProblemsFound([error.problem(shown)]) from None
    try:
        values = FigureDefaults.model_validate(document.data)
    except ValidationError as error:
        raise ProblemsFound(
            [_defaults_problem(shown, document, detail) for detail in error.errors(include_url=False)]
        ) from None
    loaded = LoadedDefaults(values, shown, document)
    problems = []
    if values.default_model not in values.models:
        problems.append(
            loaded.problem_at(
                ("default_model",),
                f"no profile named {values.default_model!r} under `models`"
                + did_you_mean(values.default_model, values.models),
            )
        )
    for name, profile in values.models.items():
        for side in SIZE_ARGUMENTS:
            if getattr(profile, side) % profile.size_multiple:
                problems.append(
                    loaded.problem_at(("models", name, side), size_problem(profile, side, getattr(profile, side)))
                )
        for argument in (*SIZE_ARGUMENTS, *sorted(RESERVED_ARGUMENTS)):
            if argument in profile.arguments:
                problems.append(
                    loaded.problem_at(
                        ("models", name, "arguments", argument),
                        f"`{argument}` cannot be a profile argument; "
                        + (
                            "set the size with the profile's `width:` and `height:`"
                            if argument in SIZE_ARGUMENTS
                            else "the figure pipeline sets it itself"
                        ),
                    )
                )
    if problems:
        raise ProblemsFound(problems)
    return loaded


def size_problem(profile: ModelProfile, side: str, value: int) -> str:
    """Why ``value`` pixels cannot be ``profile``'s width or height, with the two nearest sizes it takes."""
    step = profile.size_multiple
    below, above = max(step, value // step * step), (value // step + 1) * step
    return (
        f"{side} {value} is not a multiple of {step}, which {profile.label} ({profile.pipeline}) needs: "
        f"the pipeline would quietly resize it; use {below} or {above}"
    )


def _defaults_problem(shown: str, document, detail: dict) -> Problem:
    loc, message = tuple(detail["loc"]), detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "extra_forbidden":
        in_profile = len(loc) == 3 and loc[0] == "models"
        fields = list((ModelProfile if in_profile else FigureDefaults).model_fields)
        message = f"unknown field {loc[-1]!r}" + did_you_mean(str(loc[-1]), fields) + f" (allowed: {', '.join(fields)})"
        if len(loc) == 1 and loc[0] in ModelProfile.model_fields:
            message += "; a model's settings now live in a named profile under `models:` (see the file's comments)"
    elif detail["type"] == "missing":
        message = "this field is required"
    elif loc[-1:] == ("[key]",):  # a mapping's key (an adapter repository's id), not one of its values
        loc, message = loc[:-1], f"{loc[-2]!r} is not a Hub repository id: write it as owner/name"
        return problem_in_document(shown, document, loc, message, prefer_key=True)
    return problem_in_document(shown, document, loc, message, prefer_key=detail["type"] == "extra_forbidden")


@dataclass(frozen=True)
class Unpinned:
    """A Hub model named without a commit: where its revision is (or goes), and the model id."""

    source: Any  # LoadedDefaults or LoadedSetting
    revision_loc: tuple  # ("models", name, "revision") or ("comparison", "revision")
    model_loc: tuple  # the `model:` line, after which `--pin` writes a missing revision
    model: str
    revision: str | None  # None: the file gives none (the Hub's "main" is used)
    declared: str | None = None  # the commit figures/defaults.yml declares for it: `--pin` writes that one

    def problem(self) -> Problem:
        given = f"`revision: {self.revision}` is a branch or tag" if self.revision else "it has no `revision`"
        message = (
            f"{self.model} is not pinned to a commit ({given}), so a change on the Hub would go unnoticed; "
            f"{PIN_HINT}, or copy the 40-character commit from the model's Hub page (Files and versions, History)"
        )
        return self.source.problem_at(self.revision_loc if self.revision else self.model_loc, message)


def unpinned_models(loaded: list[LoadedSetting], defaults: LoadedDefaults) -> list[Unpinned]:
    """Every Hub model of the profiles and of comparisons' own `model` that is not pinned to a commit."""
    found = []  # a local folder is identified by its files, not by a commit: only Hub ids need one
    d = defaults.values
    for name, profile in d.models.items():
        if not looks_like_path(profile.model) and not COMMIT.fullmatch(profile.revision):
            found.append(
                Unpinned(
                    defaults, ("models", name, "revision"), ("models", name, "model"), profile.model, profile.revision
                )
            )
    for item in loaded:
        comparison = item.setting.comparison
        adapter = comparison.adapter if comparison is not None else None
        if adapter is not None and not COMMIT.fullmatch(adapter.revision or ""):
            found.append(
                Unpinned(
                    item,
                    ("comparison", "adapter", "revision"),
                    ("comparison", "adapter", "model"),
                    adapter.model,
                    adapter.revision,
                    d.adapters.get(adapter.model),
                )
            )
        if comparison is None or comparison.models or comparison.model in (None, d.default.model):
            continue
        if not looks_like_path(comparison.model) and not COMMIT.fullmatch(comparison.revision or ""):
            profile_commits = [p.revision for p in d.models.values() if p.model == comparison.model]
            found.append(
                Unpinned(
                    item,
                    ("comparison", "revision"),
                    ("comparison", "model"),
                    comparison.model,
                    comparison.revision,
                    next((commit for commit in profile_commits if COMMIT.fullmatch(commit)), None),
                )
            )
    return found
