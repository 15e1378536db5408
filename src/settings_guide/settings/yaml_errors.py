"""PyYAML's syntax errors as a contributor can act on them: the place to look at, and what to change there.

libyaml (the C parser) and PyYAML's own parser word the same mistake differently but mark the same
place, so the explanation is chosen from the text at that mark, not from PyYAML's wording.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

INDENTATION_HINT = "check that this line is indented like its siblings; YAML uses spaces, not tabs"
_CLOSING = {"[": "]", "{": "}"}


def explain_syntax_error(error: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """(line, column, message), 1-based, for a parse error; PyYAML's own words only when nothing better fits."""
    context, problem = error.context or "", error.problem or ""
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return 1, 1, f"YAML syntax error: {_pyyaml_words(error)}"
    at = _Spot.of(text, mark)
    opened = _Spot.of(text, error.context_mark) if error.context_mark else at

    # 1. A quote or bracket that is never closed: the place to fix is where it opens.
    if "quoted scalar" in context and "end of stream" in problem:
        quote = opened.char
        return opened.where(f"the {quote} that opens this value is never closed; end the value with {quote}")
    if (run_on := _quoted_value_run_on(text, mark)) is not None:
        start = _Spot.of(text, run_on.start_mark)
        return start.where(
            f"the {start.char} that opens this value is not closed on this line (the next {start.char} is on "
            f"line {run_on.end_mark.line + 1}); end the value with {start.char}"
        )
    if context.startswith("while parsing a flow") and opened.char in _CLOSING:
        bracket = opened.char
        return opened.where(
            f"the {bracket} opened here is not closed; end it with {_CLOSING[bracket]}, separate its items "
            "with commas, and put an item that holds `: ` in quotes"
        )

    # 2. A character no value can start with; a tab is the usual one.
    if "cannot start any token" in problem:
        if at.char == "\t":
            return at.where("tab character; YAML uses spaces, not tabs: replace it with spaces")
        return at.where(f"a value cannot start with {at.char!r}; put the whole value in quotes")

    # 3. A `key:` where YAML is still reading the value before it.
    if problem.startswith("mapping values are not allowed"):
        before = at.text[at.indent : at.column - 1].removeprefix("- ")
        if ": " in before:
            return at.where(
                "this unquoted value holds `: `, which YAML reads as a new key; put the whole value in quotes"
            )
        if at.indent_above is not None and at.indent > at.indent_above:
            return at.line_start(at.indentation_message())
        return at.line_start(
            f"YAML reads `{before.strip()}:` as part of the value on the line above; check that line (a key "
            "needs a space after its colon) and that this line is indented like its siblings"
        )

    # 4. A line that lines up with no key above it, or a list item among keys.
    if context.startswith("while parsing a block") and at.column - 1 == at.indent:
        if at.indent_above == at.indent and at.text[at.indent :].startswith("-"):
            return at.where(
                "a list item where the mapping above expects `key: value`; put the list under its key, "
                "indented, e.g. `tips:` and then `  - A tip.`"
            )
        if at.indent_above is not None and at.indent_above != at.indent:
            return at.where(at.indentation_message())

    # 5. Text after a value's closing quote.
    if context.startswith("while parsing a block") and at.text[: at.column - 1].rstrip()[-1:] in ("'", '"'):
        return at.where("text after the closing quote; put the whole value inside the quotes")

    return at.where(f"YAML syntax error: {_pyyaml_words(error)}")


def _quoted_value_run_on(text: str, mark: yaml.Mark) -> yaml.ScalarToken | None:
    """The quoted value just before ``mark`` when it spans lines: a quote left open, closed by the next one."""
    last = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):  # only the tokens' places matter here
            if token.start_mark.index >= mark.index:
                break
            last = token
    except yaml.YAMLError:
        pass
    if isinstance(last, yaml.ScalarToken) and last.style in ('"', "'") and last.end_mark.line > last.start_mark.line:
        return last
    return None


@dataclass(frozen=True)
class _Spot:
    """A marked place in the text, with what is needed to talk about its line."""

    line: int  # 1-based
    column: int  # 1-based
    text: str  # the whole line
    indent_above: int | None  # the indentation of the nearest line above with content

    @classmethod
    def of(cls, text: str, mark: yaml.Mark) -> _Spot:
        lines = text.split("\n")
        line_text = lines[mark.line].rstrip("\r") if mark.line < len(lines) else ""
        above = next((line for line in reversed(lines[: mark.line]) if _has_content(line)), None)
        return cls(mark.line + 1, mark.column + 1, line_text, None if above is None else _indent(above))

    @property
    def char(self) -> str:
        return self.text[self.column - 1 : self.column] or "end of line"

    @property
    def indent(self) -> int:
        return _indent(self.text)

    @property
    def what(self) -> str:
        content = self.text[self.indent :]
        if content.startswith("- ") or content == "-":
            return "this list item"
        key, colon, _ = content.partition(":")
        return f"`{key}:`" if colon and key and " " not in key else "this line"

    def indentation_message(self) -> str:
        spaces = f"{self.indent} space{'s' if self.indent != 1 else ''}"
        return f"{self.what} is indented by {spaces}, the line above by {self.indent_above}; {INDENTATION_HINT}"

    def where(self, message: str) -> tuple[int, int, str]:
        return self.line, self.column, message

    def line_start(self, message: str) -> tuple[int, int, str]:
        return self.line, self.indent + 1, message


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _has_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _pyyaml_words(error: yaml.MarkedYAMLError) -> str:
    # Only the context and problem: str(error) would add PyYAML's `in "<unicode string>", line 4` lines.
    parts = [part for part in (error.context, error.problem) if part]
    return ", ".join(parts) or "could not parse"
