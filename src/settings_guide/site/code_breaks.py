"""Where long identifiers may wrap: ``adapter_<wbr>weights``, ``Euler<wbr>Discrete<wbr>Scheduler``.

Material lets inline code break anywhere, so a narrow table column or caption cut identifiers
mid-word (``adapter_we|ights``). Our CSS lets them break only where a page marks it, and this
marks those places: after ``_`` and ``.`` and between camelCase words. ``<wbr>`` is an empty
element, so a copied identifier comes out exactly as it was typed.
"""

from __future__ import annotations

import re

# Inline code as Python-Markdown writes it: no attributes, only text (a Reproduce block's code has a class).
# One regex over the page is the whole cost; it starts with a literal, so the scan is fast (a lookbehind
# for <pre> made it ten times slower: _mark_code checks that instead).
_INLINE_CODE = re.compile(r"<code>([^<]+)</code>")
_BREAK = re.compile(
    r"(&#?\w+;)"  # an entity (&lt;) passes whole: nothing is marked inside it
    r"|(?<=[A-Za-z0-9]_)(?=[A-Za-z0-9])"  # after _ between words: adapter_|weights, not __call__
    r"|(?<=[A-Za-z0-9_]\.)(?=[A-Za-z_])"  # after . before a name: pipe.|scheduler, not 1.5
    r"|(?<=[a-z])(?=[A-Z])"  # camelCase: Euler|Discrete|Scheduler
)


def break_identifiers(html: str) -> str:
    """``html`` with ``<wbr>`` where each inline code's identifiers may wrap."""
    return _INLINE_CODE.sub(_mark_code, html)


def _mark_code(match: re.Match) -> str:
    start = match.start()
    if match.string.startswith("<pre>", start - 5, start):
        return match.group(0)  # a code block: it scrolls, never wraps
    return "<code>" + _BREAK.sub(_mark, match.group(1)) + "</code>"


def _mark(match: re.Match) -> str:
    return match.group(1) or "<wbr>"
