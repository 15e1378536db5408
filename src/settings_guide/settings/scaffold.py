"""The text of a new setting file: every field present, each placeholder marked with PLACEHOLDER.

The file has the shape of a valid setting, and validation (so the site build too) refuses it only
for the placeholders it still holds, naming each one's line and what to write there.

Each field is introduced by its description from the models, so the file explains itself in
the same words as the schema and the Contributing page.
"""

from __future__ import annotations

import json
import textwrap
from typing import get_args

from pydantic import TypeAdapter, ValidationError

from .json_schema import MODELINE
from .model import CATEGORIES, TOOLS, Setting, ShortText
from .placeholders import PLACEHOLDER
from .rules import slugify

VALUE_TYPES: tuple[str, ...] = get_args(Setting.model_fields["value_type"].annotation)

_HEADER = f"""\
{MODELINE}
# A new setting. Replace every {PLACEHOLDER} (`.venv/bin/settings-guide validate` lists those left,
# and the site builds the page once none is), delete the optional entries you do not need, then
# preview with `make serve`. The site's Contributing page explains every field."""

# Two bands and two compared values that satisfy the rules for each kind of value.
_BANDS = {"integer": ((1, 10), (20, 50)), "number": ((0, 1), (1, 10))}
_COMPARED = {"integer": (5, 30), "number": (0.5, 5)}
_PLACEHOLDER_URL = f"https://example.com/{PLACEHOLDER}"
_EXTRA_COMMENTS = {"category": f"One of: {', '.join(CATEGORIES)}."}


class ScaffoldError(ValueError):
    """A name or option a new setting cannot be started with; the message says why."""


def new_setting_slug(name: str) -> str:
    """The file name (without ``.yml``) and page address of a setting called ``name``."""
    return slugify(name)


def scaffold_setting(name: str, category: str = "sampling", value_type: str = "integer") -> str:
    """A complete setting file for ``name``, valid once each placeholder (marked PLACEHOLDER) is replaced."""
    _check_options(name, category, value_type)
    choice = value_type == "choice"
    options = [f"{PLACEHOLDER}: first option", f"{PLACEHOLDER}: second option"]
    values = {
        "name": _quoted(name),
        "aliases": "[]",
        "category": f"{category}  # {PLACEHOLDER}: check",
        "summary": _quoted(f"{PLACEHOLDER}: One plain sentence on what this setting changes in the image."),
        "intro": _block(
            f"**{PLACEHOLDER}:** The opening paragraph: what this setting is and why it matters, "
            "in two to four sentences."
        ),
        "what_it_does": _block(
            f"**{PLACEHOLDER}:** How this setting changes the image, step by step.\n\n"
            "A blank line starts a new paragraph. Write in your own words and link your sources."
        ),
        "value_type": value_type,
        "ranges": "[]" if choice else _ranges(_BANDS[value_type]),
        "choices": _entries([{"value": option, "description": _todo("What this option does.")} for option in options])
        if choice
        else "[]",
        "recommendations": _entries(
            [{"model": f"{PLACEHOLDER}: model name", "value": PLACEHOLDER, "note": f"{PLACEHOLDER}: a short remark"}]
        ),
        "comparison": _comparison(options if choice else _COMPARED[value_type]),
        "no_comparison": "null  # with no `comparison`, a sentence on why the page has no images",
        "tips": f"\n  - {_quoted(_todo('One short piece of practical advice.'))}",
        "related": "[]",
        "tools": _tools(),
        "sources": _entries([{"title": f"{PLACEHOLDER}: where the facts come from", "url": _PLACEHOLDER_URL}]),
    }
    lines = [_HEADER]
    for field_name, field in Setting.model_fields.items():
        lines.append("")
        comment = f"{field.description or ''} {_EXTRA_COMMENTS.get(field_name, '')}"
        lines.extend(f"# {line}" for line in textwrap.wrap(comment, width=96, break_on_hyphens=False))
        value = values[field_name]  # a KeyError here means a new model field needs a placeholder
        lines.append(f"{field_name}:{value}" if value.startswith("\n") else f"{field_name}: {value}")
    return "\n".join(lines) + "\n"


def _check_options(name: str, category: str, value_type: str) -> None:
    try:
        TypeAdapter(ShortText).validate_python(name)
    except ValidationError as error:
        detail = error.errors(include_url=False)[0]
        reason = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "too_long":
            reason = f"is {len(name)} characters long; the most is {detail['ctx']['max_length']}"
        raise ScaffoldError(f"name {name!r}: {reason[0].lower()}{reason[1:]}") from None
    if not new_setting_slug(name):
        raise ScaffoldError(f"name {name!r} needs at least one letter or digit for its file name")
    if category not in CATEGORIES:
        raise ScaffoldError(f"unknown category {category!r}; choose one of: {', '.join(CATEGORIES)}")
    if value_type not in VALUE_TYPES:
        raise ScaffoldError(f"unknown value type {value_type!r}; choose one of: {', '.join(VALUE_TYPES)}")


def _todo(text: str) -> str:
    return f"**{PLACEHOLDER}:** {text}"


def _quoted(text: str) -> str:
    # A JSON string is a valid double-quoted YAML scalar: no name can break the file.
    return json.dumps(text, ensure_ascii=False)


def _scalar(value) -> str:
    return str(value) if isinstance(value, (int, float)) else _quoted(value)


def _block(text: str) -> str:
    return "|\n" + textwrap.indent(text, "  ", lambda line: bool(line.strip())).rstrip("\n")


def _entries(items: list[dict]) -> str:
    out = []
    for item in items:
        for index, (key, value) in enumerate(item.items()):
            out.append(f"  {'- ' if index == 0 else '  '}{key}: {_scalar(value)}")
    return "\n" + "\n".join(out)


def _ranges(bands) -> str:
    labels = ("low", "high")
    return _entries(
        [
            {
                "label": f"{PLACEHOLDER}: {label}",
                "min": low,
                "max": high,
                "description": _todo(f"What {label} values do."),
            }
            for label, (low, high) in zip(labels, bands, strict=True)
        ]
    )


def _comparison(values) -> str:
    return (
        f"\n  parameter: {PLACEHOLDER}_pipeline_argument  # e.g. num_inference_steps or guidance_scale"
        f"\n  values: [{', '.join(_scalar(value) for value in values)}]"
    )


def _tools() -> str:
    # Every tool starts as "absent", the shape that needs no more keys; its placeholder says what to write.
    rows = []
    for tool in TOOLS:
        absent = f"{PLACEHOLDER}: list where {TOOLS[tool]} has this setting under places, or say why it has none"
        rows.append(f"\n  {tool}:\n    absent: {_quoted(absent)}\n    sources: [{_quoted(_PLACEHOLDER_URL)}]")
    return "".join(rows)
