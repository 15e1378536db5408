"""The placeholder `settings-guide new` writes, and the check that refuses a setting still holding one.

One marker serves both, so what the scaffold writes and what validation refuses cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator

from .schema_fields import field_at

PLACEHOLDER = "TODO"  # every placeholder text of the scaffold contains it; no finished setting does

_LEFT_OVER = f"still holds the {PLACEHOLDER} placeholder of `settings-guide new`"

# Where a field's own description does not say what to write in place of the scaffold's text.
_WHAT_TO_WRITE = {
    "absent": "where the tool has the setting, listed under `places` (then delete `absent`), "
    "or a sentence saying that the tool lacks it and what to use instead",
}


def find_placeholders(data: dict) -> Iterator[tuple[tuple, str]]:
    """Each text value that still holds the scaffold's placeholder, as (location, what to write there)."""
    for loc, text in _texts(data, ()):
        if PLACEHOLDER in text:
            yield loc, f"{_LEFT_OVER}; replace it with {_what_to_write(loc)}"


def _texts(value, loc: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, (*loc, index))


def _what_to_write(loc: tuple) -> str:
    names = [part for part in loc if isinstance(part, str)]
    if names and names[-1] in _WHAT_TO_WRITE:
        return _WHAT_TO_WRITE[names[-1]]
    field = field_at(loc)
    if field is None or not field.description:
        return "your own text"
    description = field.description.split(". ")[0].rstrip(".")  # its first sentence: enough for one line
    return description[0].lower() + description[1:]
