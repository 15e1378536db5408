"""What contributor Markdown may contain, and how plain text is escaped for Markdown.

Setting files are untrusted. Prose fields may use Markdown, but never raw HTML,
attribute lists (``{: onclick=...}``), template syntax or links that run code.
Validation rejects those with a clear message; rendering escapes them again so a
gap in one layer is not a hole in the site.
"""

from __future__ import annotations

import re

ALLOWED_LINK_SCHEMES = ("http", "https", "mailto")

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_RAW_HTML = re.compile(r"<(?=[A-Za-z/!?])")
_ATTRIBUTE_LIST = re.compile(r"\{\s*[:#.]|\{\s*[A-Za-z_-]+\s*=")
_TEMPLATE = re.compile(r"\{\{|\{%|\{#")
_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]*)")
_REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S*?)>?(?:\s|$)", re.MULTILINE)
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)\s*:")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>])")


def split_code(text: str) -> list[tuple[bool, str]]:
    """Split Markdown into (is_code, chunk) pieces: fenced blocks and code spans are code."""
    pieces: list[tuple[bool, str]] = []
    prose_lines: list[str] = []
    fence: str | None = None
    fenced: list[str] = []
    for line in text.splitlines(keepends=True):
        opening = _FENCE.match(line)
        if fence is None and opening:
            pieces.extend(_split_code_spans("".join(prose_lines)))
            prose_lines, fence, fenced = [], opening.group(1), [line]
        elif fence is not None:
            fenced.append(line)
            if line.strip().startswith(fence) and line.strip(fence[0] + " \n") == "":
                pieces.append((True, "".join(fenced)))
                fence = None
        else:
            prose_lines.append(line)
    if fence is not None:
        pieces.append((True, "".join(fenced)))
    pieces.extend(_split_code_spans("".join(prose_lines)))
    return [piece for piece in pieces if piece[1]]


def _split_code_spans(text: str) -> list[tuple[bool, str]]:
    pieces, start = [], 0
    for match in _CODE_SPAN.finditer(text):
        pieces.append((False, text[start : match.start()]))
        pieces.append((True, match.group(0)))
        start = match.end()
    pieces.append((False, text[start:]))
    return pieces


def unsafe_markdown(text: str) -> list[str]:
    """Reasons this Markdown may not be published, each naming the offending text."""
    reasons: list[str] = []
    for is_code, chunk in split_code(text):
        if is_code:
            info = chunk.splitlines()[0].strip().lstrip("`~") if chunk.lstrip(" ").startswith(("```", "~~~")) else ""
            if info and not re.fullmatch(r"[A-Za-z0-9_+-]+", info.strip()):
                reasons.append(f"a code fence may name only a language, not {info.strip()!r}")
            continue
        if match := _RAW_HTML.search(chunk):
            reasons.append(
                f"raw HTML is not allowed ({_snippet(chunk, match.start())}); use Markdown, or put code in `backticks`"
            )
        if match := _TEMPLATE.search(chunk):
            reasons.append(f"template syntax is not allowed ({_snippet(chunk, match.start())})")
        elif match := _ATTRIBUTE_LIST.search(chunk):
            reasons.append(f"attribute lists are not allowed ({_snippet(chunk, match.start())})")
        for target in [*_INLINE_LINK.findall(chunk), *_REFERENCE_LINK.findall(chunk)]:
            if reason := _unsafe_link(target):
                reasons.append(reason)
    return reasons


def _unsafe_link(target: str) -> str | None:
    if "&" in target or any(ord(char) < 32 for char in target):
        return f"link target {target!r} may not contain '&' or control characters"
    scheme = _SCHEME.match(target)
    if scheme and scheme.group(1).lower() not in ALLOWED_LINK_SCHEMES:
        return f"link target {target!r} uses '{scheme.group(1)}:'; only https, http and mailto links are allowed"
    return None


def _snippet(text: str, at: int) -> str:
    return repr(text[at : at + 24].split("\n")[0])


def escape_prose(text: str) -> str:
    """Neutralise HTML and attribute syntax outside code, keeping the rest as Markdown."""
    out = []
    for is_code, chunk in split_code(text):
        if is_code:
            out.append(chunk)
        else:
            out.append(chunk.replace("<", "&lt;").replace("{", "&#123;"))
    return "".join(out)


def escape_plain_text(text: str) -> str:
    """Plain text (names, labels) made inert: no Markdown, HTML or attribute meaning survives."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def code_span(text: str) -> str:
    """Plain text shown as inline code, with a fence longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"
