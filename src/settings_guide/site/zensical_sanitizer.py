"""The nh3 clean-up of generated pages, as a Python-Markdown extension for the Zensical build.

The MkDocs plugin cleans each generated page's HTML in ``on_page_content``; Zensical runs no
MkDocs plugin, but it renders Markdown with Python-Markdown, so the same last layer runs here
as the final postprocessor, on the same HTML (the page body before the theme wraps it).
"""

from __future__ import annotations

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

from .code_breaks import break_identifiers
from .html_safety import sanitize_page_html

LAST = 0  # after every other postprocessor, so nothing is added back after the clean-up


class SanitizeGeneratedPages(Extension):
    def __init__(self, **kwargs):
        self.config = {"pages": [[], "Markdown paths (e.g. settings/eta.md) of the generated pages to clean"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.postprocessors.register(_Sanitizer(md, set(self.getConfig("pages"))), "settings_guide_sanitize", LAST)


class _Sanitizer(Postprocessor):
    def __init__(self, md: Markdown, pages: set[str]):
        super().__init__(md)
        self.pages = pages

    def run(self, text: str) -> str:
        path = _page_path(self.md)
        # A page we cannot identify is cleaned too: failing safe costs a hand-written page's extras, not safety.
        # Then, as in the MkDocs build, long identifiers get their <wbr> wrap points.
        return break_identifiers(sanitize_page_html(text)) if path is None or path in self.pages else text


def _page_path(md: Markdown) -> str | None:
    """The page Zensical is rendering, from the context it registers on each Markdown instance."""
    try:
        from zensical.extensions.context import ContextPreprocessor
    except ImportError:
        return None
    context = ContextPreprocessor.from_markdown(md)
    return context.page.path.replace("\\", "/") if context else None


def makeExtension(**kwargs) -> SanitizeGeneratedPages:
    return SanitizeGeneratedPages(**kwargs)
