"""Everything the site adds to a build, computed from the project folders (no MkDocs here)."""

from __future__ import annotations

import functools
import html
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..catalogue.entry import LoadedModel
from ..catalogue.load import find_model_files, load_catalogue, recommendation_problems
from ..errors import ProblemsFound
from ..figures.layout import published_images
from ..figures.profiles import load_defaults
from ..pages.dataset import dataset_page
from ..pages.figures.read import figures_reader
from ..pages.models import MODELS_INDEX, model_page_path, model_pages, render_model_site_pages
from ..pages.render import (
    INDEX_PAGE,
    SITE_ROOT_FROM_PAGE_URL,
    RenderedPage,
    make_environment,
    render_site_pages,
)
from ..settings.load import SETTING_SUFFIX, find_setting_files, load_settings
from ..settings.model import CATEGORIES, LoadedSetting
from ..settings.rules import slugify


@dataclass(frozen=True)
class ProjectPaths:
    """The folders a build reads, resolved against the folder holding mkdocs.yml."""

    root: Path
    settings: Path
    templates: Path
    figures: Path
    models: Path

    @classmethod
    def at(
        cls, root: Path, settings="settings", templates="templates", figures="figures", models="models"
    ) -> ProjectPaths:
        root = Path(root).resolve()
        return cls(root, root / settings, root / templates, root / figures, root / models)


@dataclass(frozen=True)
class GeneratedSite:
    settings: list[LoadedSetting]
    pages: list[RenderedPage]
    redirects: dict[str, str]  # alias slug -> setting slug
    figure_files: list[Path]  # images to publish, under the figures folder
    models: list[LoadedModel] = field(default_factory=list)  # the model catalogue, for the nav

    @property
    def generated_files(self) -> dict[str, str]:
        """Files the pages show that exist only in the build (sweep charts), by path inside the site."""
        return {path: text for page in self.pages for path, text in page.files}

    @cached_property
    def page_paths(self) -> set[str]:
        return {page.path for page in self.pages}

    def name_of(self, slug: str) -> str:
        return self._names[slug]

    @cached_property
    def _names(self) -> dict[str, str]:
        return {item.slug: item.setting.name for item in self.settings}

    def after_rendering(self) -> RenderedSite:
        """What a build needs once its pages are in MkDocs' hands: which pages are ours, and the redirects."""
        return RenderedSite(frozenset(self.page_paths), self.redirects, self._names)

    def nav_sections(self) -> dict[str, dict]:
        """The nav sections the builder puts where mkdocs.yml lists their index page."""
        return {INDEX_PAGE: settings_nav(self.settings, INDEX_PAGE), MODELS_INDEX: models_nav(self.models)}


@dataclass(frozen=True)
class RenderedSite:
    page_paths: frozenset[str]
    redirects: dict[str, str]
    names: dict[str, str]

    def name_of(self, slug: str) -> str:
        return self.names[slug]


def generate_site(
    paths: ProjectPaths, site_root: str = SITE_ROOT_FROM_PAGE_URL, site_url: str | None = None
) -> GeneratedSite:
    """Load, validate and render every setting and model; raises ProblemsFound on any bad file."""
    loaded = load_settings(find_setting_files(paths.settings))
    defaults = _defaults(paths)
    catalogue = load_catalogue(find_model_files(paths.models), list(defaults.values.models) if defaults else None)
    if problems := recommendation_problems(loaded, catalogue, paths.models):
        raise ProblemsFound(problems)
    environment = _environment(paths.templates)
    # Setting pages and thumbnails read each setting's figures once; the defaults are read once for all.
    figures_for = _remembered(_figures_reader(paths, site_url, defaults))
    pages = render_site_pages(environment, loaded, figures_for=figures_for, site_root=site_root)
    models = model_pages(catalogue, loaded, defaults.values if defaults else None, _thumbnail(figures_for))
    pages += render_model_site_pages(environment, models, loaded, _category_thumbnails(loaded, figures_for))
    pages.append(dataset_page(loaded, models, figures_for))
    return GeneratedSite(
        settings=loaded,
        pages=pages,
        redirects=alias_redirects(loaded),
        figure_files=published_figures(paths.figures),
        models=[page.item for page in models],
    )


def _defaults(paths: ProjectPaths):
    """figures/defaults.yml (profiles, prompt, seed), or None for a project without the file."""
    file = paths.figures / "defaults.yml"
    return load_defaults(file) if file.is_file() else None


def _remembered(figures_for):
    seen: dict[str, object] = {}

    def read(item: LoadedSetting):
        if item.slug not in seen:
            seen[item.slug] = figures_for(item)
        return seen[item.slug]

    return read


def _first_image(figures, profile: str | None) -> str | None:
    """The first made image of a comparison's tab for ``profile`` (any tab when None), path inside the site."""
    if figures is None:
        return None
    tabs = [tab for tab in figures.models if profile is None or tab.profile == profile]
    slot = next((slot for tab in tabs for slot in tab.slots if slot.image), None)
    if slot is None:
        return None
    # A thumbnail is shown at about 100-160 px: its smallest copy, not the 1024-px image.
    return slot.srcset[0][0] if slot.srcset else slot.image


def _thumbnail(figures_for):
    def thumbnail(item: LoadedSetting, profile: str | None) -> str | None:
        return _first_image(figures_for(item), profile) if item.setting.comparison else None

    return thumbnail


def _category_thumbnails(loaded: list[LoadedSetting], figures_for) -> dict[str, tuple[str, str]]:
    """Per category title, (setting name, image) of its first setting whose comparison has an image made."""
    found: dict[str, tuple[str, str]] = {}
    for key, title in CATEGORIES.items():
        for item in (item for item in loaded if item.setting.category == key and item.setting.comparison):
            if image := _first_image(figures_for(item), None):
                found[title] = (item.setting.name, image)
                break
    return found


def published_figures(figures: Path) -> list[Path]:
    """The figure files the site serves: every image a run made, but not its local stage cache, nor the
    lossless source image of the output-format comparison (megabytes no page shows)."""
    return published_images(figures)


@functools.lru_cache(maxsize=4)
def _environment(templates: Path):
    # One environment per templates folder for the life of the process: `mkdocs serve` rebuilds
    # reuse its compiled templates, and its loader recompiles any template whose file changed.
    return make_environment(templates)


def _figures_reader(paths: ProjectPaths, site_url: str | None, defaults=None):
    return figures_reader(paths.root, paths.figures, site_url, defaults)


def setting_file_from_docs(paths: ProjectPaths, slug: str, docs_dir: Path) -> str:
    """A setting's YAML file relative to the docs folder: its page's edit link opens the YAML."""
    return Path(os.path.relpath(paths.settings / f"{slug}{SETTING_SUFFIX}", docs_dir)).as_posix()


def alias_redirects(loaded: list[LoadedSetting]) -> dict[str, str]:
    """Each alias's URL slug that differs from its setting's own slug, mapped to that setting."""
    redirects: dict[str, str] = {}
    for item in loaded:
        for name in [item.setting.name, *item.setting.aliases]:
            key = slugify(name)
            if key and key != item.slug:
                redirects.setdefault(key, item.slug)
    return dict(sorted(redirects.items()))


def settings_nav(loaded: list[LoadedSetting], index_path: str) -> dict:
    """The nav section for the settings: the index, then one sub-section per category."""
    entries: list = [index_path]
    for key, title in CATEGORIES.items():
        # The theme inserts nav titles as HTML: escape the contributor's plain-text name.
        pages = [
            {html.escape(item.setting.name): f"settings/{item.slug}.md"}
            for item in loaded
            if item.setting.category == key
        ]
        if pages:
            entries.append({title: sorted(pages, key=lambda page: next(iter(page)).lower())})
    return {"All Settings Guides": entries}


def models_nav(models: list[LoadedModel]) -> dict:
    """The nav section for the model catalogue: its index, then one page per model."""
    pages = [{html.escape(item.model.name): model_page_path(item.key)} for item in models]
    return {"Models": [MODELS_INDEX, *sorted(pages, key=lambda page: next(iter(page)).lower())]}


def expand_nav(nav: list | None, sections: dict[str, dict]) -> list | None:
    """Put each section where mkdocs.yml lists its index page (settings/index.md, models/index.md), or at the end."""
    if nav is None:
        return None  # the builder makes the nav from the files, the generated ones included
    expanded, placed = [], set()
    for entry in nav:
        values = entry.values() if isinstance(entry, dict) else [entry]
        index = next((path for path in sections if path in values), None)
        if index is not None:
            expanded.append(sections[index])
            placed.add(index)
        else:
            expanded.append(entry)
    return expanded + [section for path, section in sections.items() if path not in placed]
