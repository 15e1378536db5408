"""Validated settings -> Markdown pages, through the Jinja templates. Pure: no file I/O here."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markdown

from ..markdown_safety import code_span, escape_plain_text, escape_prose
from ..settings.model import CATEGORIES, TOOLS, LoadedSetting
from .figures.view import PageFigures, pending_figures

SETTINGS_URL_DIR = "settings"
INDEX_PAGE = f"{SETTINGS_URL_DIR}/index.md"
PAGE_TEMPLATE = "setting.md.j2"
INDEX_TEMPLATE = "index.md.j2"
REDIRECT_TEMPLATE = "redirect.html.j2"

FiguresFor = Callable[[LoadedSetting], PageFigures]

# How a setting page's image paths reach the site root. MkDocs leaves paths in raw HTML alone, so
# they are relative to the page's URL (/settings/<slug>/); Zensical resolves them from the Markdown
# file (settings/<slug>.md), as MkDocs does for Markdown links.
SITE_ROOT_FROM_PAGE_URL = "../../"
SITE_ROOT_FROM_SOURCE_FILE = "../"


@dataclass(frozen=True)
class RenderedPage:
    path: str  # relative to the docs folder, e.g. "settings/inference-steps.md"
    markdown: str
    setting: LoadedSetting | None = None  # None for the index
    files: tuple[tuple[str, str], ...] = ()  # (path inside the site, text) of files the page shows, e.g. charts


def page_path(slug: str) -> str:
    return f"{SETTINGS_URL_DIR}/{slug}.md"


def prose_html(text: str) -> str:
    """Contributor Markdown as HTML, for places inside raw HTML blocks where Markdown is not parsed."""
    return markdown.markdown(escape_prose(text), extensions=["sane_lists"], output_format="html")


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """The Jinja environment every page is rendered with; filters make contributor text inert."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # we write Markdown; each field picks its escaping filter explicitly
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        text=escape_plain_text,
        prose=escape_prose,
        prose_html=prose_html,
        code=code_span,
        html=lambda value: html.escape(str(value), quote=True),
        json=lambda value: json.dumps(value, ensure_ascii=False),
    )
    return environment


def render_setting_page(
    environment: jinja2.Environment,
    item: LoadedSetting,
    names: Mapping[str, str],
    figures: PageFigures | None = None,
    related: list[str] | None = None,
    site_root: str = SITE_ROOT_FROM_PAGE_URL,
) -> RenderedPage:
    """One setting's page. ``names`` maps every slug to its display name, for related links."""
    related = item.setting.related if related is None else related
    comparison = item.setting.comparison
    if figures is None and comparison:
        figures = pending_figures(comparison)
    markdown = environment.get_template(PAGE_TEMPLATE).render(
        slug=item.slug,
        setting=item.setting,
        figures=figures,
        related=[(slug, names[slug]) for slug in related if slug in names],
        site_root=site_root,
        tools=TOOLS,
        source_numbers=source_numbers(item),
    )
    files = (
        *(figures.sweep.files if figures and figures.sweep else ()),
        *(figures.batch.files if figures and figures.batch else ()),
        *(file for tab in (figures.models if figures else ()) if tab.schedule for file in tab.schedule.files),
    )
    return RenderedPage(path=page_path(item.slug), markdown=markdown, setting=item, files=files)


def source_numbers(item: LoadedSetting) -> dict[str, int]:
    """Each source's number in the page's Sources list, by address, for the table's citations."""
    numbers: dict[str, int] = {}
    for number, source in enumerate(item.setting.sources, start=1):
        numbers.setdefault(source.url, number)
    return numbers


def render_index_page(environment: jinja2.Environment, loaded: list[LoadedSetting]) -> RenderedPage:
    """The "All Settings Guides" page: a card per setting, grouped by category."""
    groups = [(title, [item for item in loaded if item.setting.category == key]) for key, title in CATEGORIES.items()]
    markdown = environment.get_template(INDEX_TEMPLATE).render(groups=[g for g in groups if g[1]])
    return RenderedPage(path=INDEX_PAGE, markdown=markdown)


def render_site_pages(
    environment: jinja2.Environment,
    loaded: list[LoadedSetting],
    figures_for: FiguresFor | None = None,
    site_root: str = SITE_ROOT_FROM_PAGE_URL,
) -> list[RenderedPage]:
    """Every generated page: the index first, then one page per setting in slug order."""
    names = {item.slug: item.setting.name for item in loaded}
    related = related_both_ways(loaded)
    pages = [render_index_page(environment, loaded)]
    for item in loaded:
        figures = figures_for(item) if figures_for and item.setting.comparison else None
        pages.append(render_setting_page(environment, item, names, figures, related[item.slug], site_root))
    return pages


def related_both_ways(loaded: list[LoadedSetting]) -> dict[str, list[str]]:
    """Each setting's related slugs: the ones it lists, then the ones that list it."""
    related = {item.slug: list(item.setting.related) for item in loaded}
    for item in loaded:
        for other in item.setting.related:
            if other in related and item.slug not in related[other]:
                related[other].append(item.slug)
    return related
