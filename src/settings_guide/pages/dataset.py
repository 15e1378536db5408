"""The guide as open data: ``api/v1/settings.json`` and ``api/v1/models.json``, each with its JSON Schema, and
the page that documents them. Built from the same loaded settings, catalogue and figures as the pages, so a
tool that offers "recommended settings" reads exactly what the site shows. Keys are stable: a setting's file
name, a model's file name, a tool's key in `tools:`. A change that breaks a reader gets a new version folder.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..settings.model import Choice as SettingChoice
from ..settings.model import LoadedSetting, ModelRecommendation, Source, Tools, ValueRange
from .models import ModelPage
from .render import RenderedPage

VERSION = 1
API_DIR = f"api/v{VERSION}"
SETTINGS_FILE = f"{API_DIR}/settings.json"
MODELS_FILE = f"{API_DIR}/models.json"
SETTINGS_SCHEMA = f"{API_DIR}/settings.schema.json"
MODELS_SCHEMA = f"{API_DIR}/models.schema.json"
PAGE = "api/index.md"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Image(_Data):
    """One comparison image the site shows, with where its pixels came from (the manifest's record)."""

    profile: str | None = Field(description="The figure profile (a model's tab); null on a one-model page.")
    caption: str = Field(description="The compared value, e.g. `num_inference_steps = 4`.")
    url: str = Field(description="The image's path inside the site, e.g. `figures/inference-steps/....webp`.")
    model: str | None = Field(description="The Hub id it was made with.")
    revision: str | None = Field(description="The commit of that model.")
    seed: int | None = None
    prompt: str | None = None
    device: str | None = None


class SettingData(_Data):
    key: str = Field(description="Stable: the setting file's name, e.g. `guidance-scale`.")
    name: str
    aliases: list[str]
    category: str
    summary: str
    value_type: str
    page: str = Field(description="The setting's page, relative to the site root.")
    ranges: list[ValueRange]
    choices: list[SettingChoice]
    recommendations: list[ModelRecommendation] = Field(description="`models` holds models.json's keys.")
    tools: Tools | None = Field(description="Per tool: where the setting is, its names and defaults, or why absent.")
    related: list[str]
    sources: list[Source]
    images: list[Image]


class SettingsFile(_Data):
    version: int
    settings: list[SettingData]


class Recommended(_Data):
    setting: str = Field(description="settings.json's key of the setting.")
    value: str
    note: str | None


class NoEffect(_Data):
    setting: str
    reason: str


class ModelData(_Data):
    key: str = Field(description="Stable: the model file's name, e.g. `z-image-turbo`.")
    name: str
    aliases: list[str]
    family: str
    summary: str
    hub_id: str | None
    profile: str | None = Field(description="The figure profile its images are made with, if any.")
    licence: str
    licence_url: str
    gated: bool
    download_gb: float | None
    release: str
    runs_in: list[str]
    page: str
    recommended: list[Recommended]
    no_effect: list[NoEffect]
    start_here: dict[str, str] = Field(description="Per tool key: one line of starting values.")
    sources: list[Source]


class ModelsFile(_Data):
    version: int
    models: list[ModelData]


def _images(figures) -> list[Image]:
    if figures is None:
        return []
    return [
        Image(
            profile=tab.profile,
            caption=slot.caption,
            url=slot.image,
            model=tab.model,
            revision=tab.revision,
            seed=tab.seed,
            prompt=tab.prompt,
            device=tab.device,
        )
        for tab in figures.models
        for slot in tab.slots
        if slot.image
    ]


def settings_data(loaded: list[LoadedSetting], figures_for) -> SettingsFile:
    settings = []
    for item in loaded:
        setting = item.setting
        figures = figures_for(item) if figures_for and setting.comparison else None
        settings.append(
            SettingData(
                key=item.slug,
                name=setting.name,
                aliases=list(setting.aliases),
                category=setting.category,
                summary=setting.summary,
                value_type=setting.value_type,
                page=f"settings/{item.slug}/",
                ranges=list(setting.ranges),
                choices=list(setting.choices),
                recommendations=list(setting.recommendations),
                tools=setting.tools,
                related=list(setting.related),
                sources=list(setting.sources),
                images=_images(figures),
            )
        )
    return SettingsFile(version=VERSION, settings=settings)


def models_data(pages: list[ModelPage]) -> ModelsFile:
    models = []
    for page in pages:
        model = page.item.model
        models.append(
            ModelData(
                key=page.key,
                name=model.name,
                aliases=list(model.aliases),
                family=model.family,
                summary=model.summary,
                hub_id=model.hub_id,
                profile=model.profile,
                licence=model.licence,
                licence_url=model.licence_url,
                gated=model.gated,
                download_gb=model.download_gb,
                release=model.release,
                runs_in=list(model.runs_in),
                page=f"models/{page.key}/",
                recommended=[Recommended(setting=r.slug, value=r.row.value, note=r.row.note) for r in page.recommended],
                no_effect=[NoEffect(setting=n.slug, reason=n.reason) for n in page.no_effect],
                start_here=model.start_here.model_dump(exclude_none=True),
                sources=list(model.sources),
            )
        )
    return ModelsFile(version=VERSION, models=models)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def dataset_files(loaded: list[LoadedSetting], pages: list[ModelPage], figures_for) -> tuple[tuple[str, str], ...]:
    """(path inside the site, text) of the four files: the data and the schema each follows."""
    settings = settings_data(loaded, figures_for)
    models = models_data(pages)
    return (
        (SETTINGS_FILE, _json(settings.model_dump(mode="json"))),
        (MODELS_FILE, _json(models.model_dump(mode="json"))),
        (SETTINGS_SCHEMA, _json(SettingsFile.model_json_schema())),
        (MODELS_SCHEMA, _json(ModelsFile.model_json_schema())),
    )


def dataset_page(loaded: list[LoadedSetting], pages: list[ModelPage], figures_for) -> RenderedPage:
    """The Open Data page, which carries the dataset's files into the build."""
    files = dataset_files(loaded, pages, figures_for)
    markdown = f"""---
title: Open Data
description: "The guide as JSON for tools: every setting's names, defaults and ranges, and each model's values."
---

# Open Data

Everything this guide shows is published as JSON, for tools that want to offer "recommended settings" or
link to a page. Version {VERSION} lives under `/{API_DIR}/`; a change that breaks a reader gets a new
version folder, and keys never change meaning.

| File | What it holds | Schema |
| --- | --- | --- |
| [settings.json](../{SETTINGS_FILE}) | {len(loaded)} settings: names per tool, defaults per tool, ranges, choices, recommended values per model with sources, and every comparison image's address with the model, commit and seed that made it | [settings.schema.json](../{SETTINGS_SCHEMA}) |
| [models.json](../{MODELS_FILE}) | {len(pages)} models: licence and gating, download size, the tools that run it, its recommended value per setting, the settings that do nothing on it, and starting values per tool | [models.schema.json](../{MODELS_SCHEMA}) |

A setting's `key` is its page's name (`guidance-scale`), a model's `key` its page's name (`z-image-turbo`),
and a recommendation's `models` holds model keys. Tool keys are `diffusers`, `automatic1111`, `forge`,
`comfyui`, `swarmui` and `invokeai`. Image addresses are relative to the site's root.
"""
    return RenderedPage(PAGE, markdown, files=files)
