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
    "input": {"name", "checked"},  # `type` is set below
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


# Built once: the options are parsed a single time, not for each of a thousand pages.
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    # The tabs need radio buttons and no other kind of input (text fields, file pickers): every input is
    # made a radio, whatever type it said (a table in the sanitiser, so no Python runs per attribute).
    set_tag_attribute_values={"input": {"type": "radio"}},
    url_schemes={"http", "https", "mailto"},
    link_rel=None,
    strip_comments=True,
)


def sanitize_page_html(html: str) -> str:
    """Drop scripts, event handlers, styles and non-web links; keep structure and classes."""
    return _CLEANER.clean(html)
