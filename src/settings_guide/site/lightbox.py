"""mkdocs-glightbox's zoom for comparison images, without re-parsing every finished page.

Upstream's ``on_post_page`` parses each whole page (about 300 KB when a category lists 1,000
settings, since Material puts the full nav on every page) to append a stylesheet, a script and
an init snippet: about 4.5 ms a page, more than the rest of our additions together. The snippets
do not depend on the page's content, only on its URL, so they are made by upstream's own code on
an empty page and spliced into the real one before ``</head>`` and ``</body>``.
"""

from __future__ import annotations

from mkdocs_glightbox.plugin import LightboxPlugin

_EMPTY_PAGE = "<html><head></head><body></body></html>"


class SplicingLightboxPlugin(LightboxPlugin):
    def on_page_content(self, html, page, config, **kwargs):
        # Upstream parses every page; only one with an image has anything to wrap.
        if "<img" not in html:
            return html
        return super().on_page_content(html, page, config, **kwargs)

    def on_post_page(self, output, page, config, **kwargs):
        head, body = _inner(super().on_post_page(_EMPTY_PAGE, page, config, **kwargs))
        return splice_before_closing_tags(output, head, body)


def _inner(document: str) -> tuple[str, str]:
    """What upstream added inside <head> and inside <body> of the empty page."""
    head = document.split("<head>", 1)[1].split("</head>", 1)[0]
    body = document.split("<body>", 1)[1].split("</body>", 1)[0]
    return head, body


def splice_before_closing_tags(page_html: str, head: str, body: str) -> str:
    """``page_html`` with ``head`` appended to its <head> and ``body`` to its <body>.

    The first ``</head>`` is the head's own: text before it (title, meta description) is escaped
    by the theme. The last ``</body>`` closes the page.
    """
    head_end, body_end = page_html.find("</head>"), page_html.rfind("</body>")
    if head_end < 0 or body_end < head_end:
        return page_html  # not a themed page (e.g. a bare HTML file): upstream would not find one either
    return page_html[:head_end] + head + page_html[head_end:body_end] + body + page_html[body_end:]
