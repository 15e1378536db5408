"""The last line of defence: generated pages keep only the HTML our templates produce."""

from __future__ import annotations

import nh3

_TAGS = {
    "a", "blockquote", "br", "code", "dd", "details", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li", "ol", "p", "pre", "span", "strong", "summary",
    "table", "tbody", "td", "th", "thead", "tr", "ul", "del", "sup", "sub", "kbd", "abbr",
    "input", "label",  # content tabs (one per model): radio inputs and their labels
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"class", "id", "title", "role", "aria-label", "aria-hidden"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "input": {"type", "name", "checked"},
    "label": {"for"},
    # "Reproduce this image": code for every image, kept out of the search index the first view downloads.
    "details": {"data-search-exclude"},
    # Sweep scrubbers: javascripts/scrubber.js reads each point's image and numbers from these.
    "div": {"data-tabs", "data-sg-start", "data-sg-label"},
    "li": {
        "data-sg-srcset", "data-sg-width", "data-sg-height", "data-sg-caption",
        "data-sg-difference", "data-sg-seconds",
    },
}  # fmt: skip


def _only_radio_inputs(element: str, attribute: str, value: str) -> str | None:
    # The tabs need radio buttons; no other kind of input (text fields, file pickers) belongs on a page.
    if element == "input" and attribute == "type" and value != "radio":
        return None
    return value


def sanitize_page_html(html: str) -> str:
    """Drop scripts, event handlers, styles and non-web links; keep structure and classes."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
        attribute_filter=_only_radio_inputs,
    )
