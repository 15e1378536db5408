"""The model catalogue -> a page per model, the Models index, the cheat sheet and the home page's two ways in,
through the Jinja templates. Pure: no file I/O here; everything comes from the loaded settings, the catalogue
and the figure profiles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jinja2

from ..catalogue.entry import LoadedModel
from ..python_code import TORCH_DTYPE_CODE, python_literal
from ..settings.model import CATEGORIES, TOOLS, LoadedSetting, ModelRecommendation
from .render import RenderedPage, page_path

MODELS_URL_DIR = "models"
MODELS_INDEX = f"{MODELS_URL_DIR}/index.md"
CHEAT_SHEET = "cheat-sheet.md"
HOME_PAGE = "index.md"
MODEL_TEMPLATE = "model.md.j2"
MODELS_INDEX_TEMPLATE = "models-index.md.j2"
CHEAT_SHEET_TEMPLATE = "cheat-sheet.md.j2"
HOME_TEMPLATE = "home.md.j2"
TAB_ANCHOR = "model-{profile}"  # the anchor inside a setting page's tab for a profile (templates/setting.md.j2)

Thumbnail = Callable[[LoadedSetting, str | None], str | None]  # (setting, profile) -> image path inside the site


@dataclass(frozen=True)
class Recommended:
    """One recommendation row of a setting page, as a model page lists it."""

    slug: str
    setting: str
    row: ModelRecommendation


@dataclass(frozen=True)
class Compared:
    """A setting page that shows images made with the model: its tab (anchor), and a thumbnail once made."""

    slug: str
    setting: str
    anchor: str | None  # None on a single-model page: the page has no tabs
    thumbnail: str | None = None


@dataclass(frozen=True)
class NoEffect:
    slug: str
    setting: str
    reason: str


@dataclass(frozen=True)
class ModelPage:
    """Everything a model's page shows."""

    item: LoadedModel
    recommended: list[Recommended] = field(default_factory=list)
    compared: list[Compared] = field(default_factory=list)
    no_effect: list[NoEffect] = field(default_factory=list)
    diffusers_code: str | None = None  # the base call of its figure profile

    @property
    def key(self) -> str:
        return self.item.key


def model_page_path(key: str) -> str:
    return f"{MODELS_URL_DIR}/{key}.md"


def recommended_for(key: str, settings: list[LoadedSetting]) -> list[Recommended]:
    """Every recommendation row that names the model's key, setting by setting."""
    return [
        Recommended(item.slug, item.setting.name, row)
        for item in settings
        for row in item.setting.recommendations
        if key in row.models
    ]


def compared_on(
    profile: str | None, default_profile: str | None, settings: list[LoadedSetting], thumbnail: Thumbnail | None
) -> tuple[list[Compared], list[NoEffect]]:
    """The setting pages with the profile's images (a tab of theirs, or the whole page for the default model's
    one-model comparisons), and those whose tab says the setting does nothing on it."""
    compared, no_effect = [], []
    if profile is None:
        return compared, no_effect
    for item in settings:
        comparison = item.setting.comparison
        if comparison is None:
            continue
        if comparison.models is None:
            own_model = comparison.model is not None
            if profile == default_profile and not own_model:
                compared.append(Compared(item.slug, item.setting.name, None, _thumb(thumbnail, item, None)))
            continue
        entry = next((entry for entry in comparison.models if entry.profile == profile), None)
        if entry is None:
            continue
        if entry.no_effect is not None:
            no_effect.append(NoEffect(item.slug, item.setting.name, entry.no_effect))
        else:
            anchor = TAB_ANCHOR.format(profile=profile) if len(comparison.models) > 1 else None
            compared.append(Compared(item.slug, item.setting.name, anchor, _thumb(thumbnail, item, profile)))
    return compared, no_effect


def _thumb(thumbnail: Thumbnail | None, item: LoadedSetting, profile: str | None) -> str | None:
    return thumbnail(item, profile) if thumbnail is not None else None


def diffusers_code(profile, prompt: str, negative_prompt: str | None, seed: int) -> str:
    """The profile's base call as a reader would start: load at the pinned commit, then one image."""
    pipeline = profile.pipeline
    lines = [
        "import torch",
        f"from diffusers import {pipeline}",
        "",
        f"pipe = {pipeline}.from_pretrained(",
        f"    {python_literal(profile.model)}, revision={python_literal(profile.revision)}, "
        f"dtype={TORCH_DTYPE_CODE[profile.dtype]}",
        ")",
        'pipe.to("cuda")  # or pipe.enable_model_cpu_offload() when it does not fit',
        "image = pipe(",
        f"    prompt={python_literal(prompt)},",
    ]
    if profile.negative_prompt and negative_prompt:
        lines.append(f"    negative_prompt={python_literal(negative_prompt)},")
    lines += [f"    {name}={python_literal(value)}," for name, value in profile.arguments.items()]
    lines += [
        f"    width={profile.width},",
        f"    height={profile.height},",
        f'    generator=torch.Generator("cpu").manual_seed({seed}),',
        ").images[0]",
        'image.save("image.png")',
    ]
    return "\n".join(lines) + "\n"


def model_pages(
    catalogue: list[LoadedModel],
    settings: list[LoadedSetting],
    defaults=None,
    thumbnail: Thumbnail | None = None,
) -> list[ModelPage]:
    """The data of every model's page; ``defaults`` are figures/defaults.yml's values (None: no profiles)."""
    profiles = defaults.models if defaults is not None else {}
    default_profile = defaults.default_model if defaults is not None else None
    pages = []
    for item in catalogue:
        profile_name = item.model.profile  # the comparisons name it even where figures/defaults.yml is absent
        compared, no_effect = compared_on(profile_name, default_profile, settings, thumbnail)
        code = None
        if profile_name in profiles:
            code = diffusers_code(profiles[profile_name], defaults.prompt, defaults.negative_prompt, defaults.seed)
        pages.append(ModelPage(item, recommended_for(item.key, settings), compared, no_effect, code))
    return pages


def cheat_sheet_rows(pages: list[ModelPage], settings: list[LoadedSetting]) -> list[tuple[LoadedSetting, list]]:
    """One row per setting with a recommendation for any model: per model, its rows' values (or none)."""
    rows = []
    for item in settings:
        cells = [[r.row for r in page.recommended if r.slug == item.slug] for page in pages]
        if any(cells):
            rows.append((item, cells))
    return rows


def render_model_site_pages(
    environment: jinja2.Environment,
    pages: list[ModelPage],
    settings: list[LoadedSetting],
    thumbnails: Mapping[str, str | None] | None = None,
) -> list[RenderedPage]:
    """The Models index, a page per model, the cheat sheet, and the home page with both ways in."""
    groups = [(title, [item for item in settings if item.setting.category == key]) for key, title in CATEGORIES.items()]
    rendered = [
        RenderedPage(MODELS_INDEX, environment.get_template(MODELS_INDEX_TEMPLATE).render(pages=pages)),
        RenderedPage(
            CHEAT_SHEET,
            environment.get_template(CHEAT_SHEET_TEMPLATE).render(
                pages=pages, rows=cheat_sheet_rows(pages, settings), page_path=page_path
            ),
        ),
        RenderedPage(
            HOME_PAGE,
            environment.get_template(HOME_TEMPLATE).render(
                pages=pages, groups=[g for g in groups if g[1]], thumbnails=thumbnails or {}
            ),
        ),
    ]
    for page in pages:
        markdown = environment.get_template(MODEL_TEMPLATE).render(page=page, model=page.item.model, tools=TOOLS)
        rendered.append(RenderedPage(model_page_path(page.key), markdown))
    return rendered
