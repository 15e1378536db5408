"""mkdocs-glightbox's zoom for comparison images, without re-parsing every finished page.

Upstream's ``on_post_page`` parses each whole page (about 300 KB when a category lists 1,000
settings, since Material puts the full nav on every page) to append a stylesheet, a script and
an init snippet: about 4.5 ms a page, more than the rest of our additions together. The snippets
do not depend on the page's content, only on where it lies (their asset links are relative), so
upstream's own code makes them on an empty page, once per folder depth, and the theme writes
them where upstream would put them: ``overrides/main.html`` ends <head> and <body> with them.
"""

from __future__ import annotations

from mkdocs import utils
from mkdocs_glightbox.plugin import LightboxPlugin

_EMPTY_PAGE = "<html><head></head><body></body></html>"
HEAD_VARIABLE, BODY_VARIABLE = "lightbox_head", "lightbox_body"  # read by overrides/main.html


class TemplateLightboxPlugin(LightboxPlugin):
    def on_config(self, config):
        self._snippets: dict[str, tuple[str, str]] = {}  # by the page's relative path to the site root
        return super().on_config(config)

    def on_page_content(self, html, page, config, **kwargs):
        # Upstream parses every page; only one with an image has anything to wrap.
        if "<img" not in html:
            return html
        return super().on_page_content(html, page, config, **kwargs)

    def on_page_context(self, context, page, config, nav):
        context[HEAD_VARIABLE], context[BODY_VARIABLE] = self.snippets_for(page, config)
        return context

    def on_post_page(self, output, page, config, **kwargs):
        return output  # the theme already wrote the snippets (see on_page_context)

    def snippets_for(self, page, config) -> tuple[str, str]:
        """What upstream would append inside <head> and inside <body> of this page."""
        if "glightbox" in page.meta:  # a page may switch the lightbox off: let upstream decide for it
            return _inner(super().on_post_page(_EMPTY_PAGE, page, config))
        to_root = utils.get_relative_url(".", page.url)
        if to_root not in self._snippets:
            self._snippets[to_root] = _inner(super().on_post_page(_EMPTY_PAGE, page, config))
        return self._snippets[to_root]


def _inner(document: str) -> tuple[str, str]:
    head = document.split("<head>", 1)[1].split("</head>", 1)[0]
    body = document.split("<body>", 1)[1].split("</body>", 1)[0]
    return head, body
