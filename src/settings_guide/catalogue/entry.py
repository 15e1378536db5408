"""What one model file holds: the schema of ``models/<key>.yml``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..settings.model import (
    TOOLS,
    HttpsUrl,
    HubId,
    LongText,
    Markdown,
    ShortText,
    Slug,
    Source,
    _Strict,
)

ToolKey = Literal[tuple(TOOLS)]  # the settings' "In Your Tool" table and the models name the same tools


class StartHere(_Strict):
    """Starting values per tool, one line each; diffusers' call is built from the figure profile."""

    automatic1111: Markdown | None = None
    forge: Markdown | None = None
    comfyui: Markdown | None = None
    swarmui: Markdown | None = None
    invokeai: Markdown | None = None


class CatalogueModel(_Strict):
    """One model a reader may use, with or without a figure profile."""

    name: ShortText = Field(description="The display name, e.g. `Z-Image-Turbo`.")
    aliases: list[ShortText] = Field(
        default_factory=list, description="Other names readers search for: short ids, the Hub id, nicknames."
    )
    family: ShortText = Field(description="The model family, e.g. `FLUX.2` or `SDXL finetune`.")
    summary: LongText = Field(description="One sentence: what the model is and what it is good at.")
    hub_id: HubId | None = Field(
        default=None, description="Its Hugging Face repository, e.g. `Tongyi-MAI/Z-Image-Turbo`."
    )
    profile: Slug | None = Field(
        default=None, description="Its figure profile in figures/defaults.yml, when the guide makes images with it."
    )
    licence: ShortText = Field(description="The licence's name, e.g. `Apache 2.0`.")
    licence_url: HttpsUrl = Field(description="Where the licence text is.")
    gated: bool = Field(default=False, description="True when the Hub asks you to accept terms first (HF_TOKEN).")
    download_gb: Annotated[float, Field(gt=0, lt=1000)] | None = Field(
        default=None, description="About how many GB its files take to download."
    )
    memory: Markdown | None = Field(default=None, description="What it needs to run: VRAM, offload, quantized files.")
    release: Annotated[str, Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")] = Field(
        description='Year and month of its release, e.g. "2025-11".'
    )
    runs_in: Annotated[list[ToolKey], Field(min_length=1)] = Field(description="The tools that run it.")
    pitfalls: Annotated[list[Markdown], Field(min_length=1)] = Field(description="What trips readers up (Markdown).")
    start_here: StartHere = Field(default_factory=StartHere, description="Starting values per tool, one line each.")
    sources: Annotated[list[Source], Field(min_length=1)] = Field(description="Where the facts come from.")


class LoadedModel(BaseModel):
    """A validated model file plus where it came from, so later checks can point at a line."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    key: str
    source_path: str
    model: CatalogueModel
    document: object = Field(default=None, repr=False, exclude=True)
