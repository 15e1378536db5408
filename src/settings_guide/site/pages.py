"""Everything the site adds to a build, computed from the project folders (no MkDocs here)."""

from __future__ import annotations

import functools
import html
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..figures.layout import published_images
from ..pages.figures.read import figures_reader
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

    @classmethod
    def at(cls, root: Path, settings="settings", templates="templates", figures="figures") -> ProjectPaths:
        root = Path(root).resolve()
        return cls(root, root / settings, root / templates, root / figures)


@dataclass(frozen=True)
class GeneratedSite:
    settings: list[LoadedSetting]
    pages: list[RenderedPage]
    redirects: dict[str, str]  # alias slug -> setting slug
    figure_files: list[Path]  # images to publish, under the figures folder

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
    """Load, validate and render every setting; raises ProblemsFound on any bad file."""
    loaded = load_settings(find_setting_files(paths.settings))
    environment = _environment(paths.templates)
    figures_for = _figures_reader(paths, site_url)
    pages = render_site_pages(environment, loaded, figures_for=figures_for, site_root=site_root)
    return GeneratedSite(
        settings=loaded,
        pages=pages,
        redirects=alias_redirects(loaded),
        figure_files=published_figures(paths.figures),
    )


def published_figures(figures: Path) -> list[Path]:
    """The figure files the site serves: every image a run made, but not its local stage cache, nor the
    lossless source image of the output-format comparison (megabytes no page shows)."""
    return published_images(figures)


@functools.lru_cache(maxsize=4)
def _environment(templates: Path):
    # One environment per templates folder for the life of the process: `mkdocs serve` rebuilds
    # reuse its compiled templates, and its loader recompiles any template whose file changed.
    return make_environment(templates)


def _figures_reader(paths: ProjectPaths, site_url: str | None):

    return figures_reader(paths.root, paths.figures, site_url)


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


def expand_nav(nav: list | None, section: dict) -> list | None:
    """Put the settings section where mkdocs.yml lists settings/index.md (or at the end)."""
    if nav is None:
        return None  # the builder makes the nav from the files, the generated ones included
    expanded, placed = [], False
    for entry in nav:
        values = entry.values() if isinstance(entry, dict) else [entry]
        if INDEX_PAGE in values:
            expanded.append(section)
            placed = True
        else:
            expanded.append(entry)
    return expanded if placed else [*expanded, section]
