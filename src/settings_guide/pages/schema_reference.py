"""The setting files' field reference as Markdown tables, generated from the models (pure).

The Contributing page holds a marker line where the MkDocs plugin puts these tables, so the
reference shows exactly what validation accepts and cannot drift from the schema.
"""

from __future__ import annotations

import re
from typing import Any

from ..settings.json_schema import setting_json_schema

SCHEMA_REFERENCE_MARKER = "<!-- schema-reference -->"
_MARKER_LINE = re.compile(rf"^[ \t]*{re.escape(SCHEMA_REFERENCE_MARKER)}[ \t]*$", re.MULTILINE)
_TYPE_NAMES = {"string": "text", "number": "number", "integer": "whole number", "boolean": "true/false"}


def insert_schema_reference(markdown: str) -> str:
    """``markdown`` with each marker line replaced by the field reference; unchanged without one."""
    if SCHEMA_REFERENCE_MARKER not in markdown:
        return markdown
    reference = schema_reference_markdown()
    return _MARKER_LINE.sub(lambda _: reference, markdown)


def schema_reference_markdown(schema: dict[str, Any] | None = None) -> str:
    """A table of a setting file's fields, then one table per nested object (entries of a list, mappings)."""
    schema = schema or setting_json_schema()
    definitions = schema.get("definitions", {})
    sections = [_table(schema, definitions)]
    for name, where in _nested_in_order(schema, definitions):
        title = f"Each entry of `{where[0]}`" if where[1] else f"`{where[0]}`"
        node = definitions[name]
        intro = f"{node['description']}\n\n" if node.get("description") else ""
        sections.append(f"### {title} {{#{_anchor(name)}}}\n\n{intro}{_table(node, definitions)}")
    return "\n\n".join(sections) + "\n"


def _table(node: dict[str, Any], definitions: dict[str, Any]) -> str:
    required = set(node.get("required", []))
    rows = ["| Field | Type | Required | What it holds |", "| --- | --- | --- | --- |"]
    for field_name, field in node["properties"].items():
        needed = "yes" if field_name in required else "no"
        if field.get("default") is not None:
            needed += f" (default `{field['default']}`)"
        cells = [f"`{field_name}`", _type_text(field, definitions), needed, field.get("description", "")]
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows)


READ_AS = "read as: "  # a schema node's `$comment` starting so gives the words the schema table uses for it


def _type_text(node: dict[str, Any], definitions: dict[str, Any]) -> str:
    """What a value must be, in a contributor's words: ``list of text, up to 80 characters``."""
    if str(node.get("$comment", "")).startswith(READ_AS):  # too nested to read well as words (a comparison value)
        return node["$comment"].removeprefix(READ_AS)
    if "$ref" in node or "allOf" in node:
        name = _ref_name(node)
        return f"[{_words(definitions[name].get('title', name))}](#{_anchor(name)}) (a mapping)"
    if "anyOf" in node:
        kinds = [_type_text(option, definitions) for option in node["anyOf"] if option.get("type") != "null"]
        return " or ".join(kinds)
    if "enum" in node:
        return "one of " + ", ".join(f"`{value}`" for value in node["enum"])
    kind = node.get("type")
    if kind == "array":
        items = node.get("items", {})
        if "$ref" in items:
            name = _ref_name(items)
            text = f"list of [{_words(definitions[name].get('title', name))}](#{_anchor(name)}) entries"
        else:
            text = f"list of {_type_text(items, definitions)}"
        return text + _count(node.get("minItems"), node.get("maxItems"))
    if kind == "object":
        values = list(node.get("patternProperties", {}).values()) or [node.get("additionalProperties") or {}]
        return f"mapping of names to {_type_text(values[0], definitions)}"
    kinds = kind if isinstance(kind, list) else [kind]
    text = _or_list([_TYPE_NAMES.get(name, str(name)) for name in kinds if name != "array"]) + _limits(node)
    if "array" in kinds:  # e.g. a pipeline argument: one value, or a short list of them
        text += f", or a list of {_type_text(node.get('items', {}), definitions)}"
        text += _count(node.get("minItems"), node.get("maxItems"))
    return text


def _limits(node: dict[str, Any]) -> str:
    parts = []
    if "maxLength" in node:
        parts.append(f"up to {node['maxLength']} characters")
    for keyword, sign in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if keyword in node:
            parts.append(f"{sign} {node[keyword]}")
    return "".join(f", {part}" for part in parts)


def _count(low: int | None, high: int | None) -> str:
    if low and high:
        return f" ({low} to {high})"
    if low:
        return f" (at least {low})"
    return f" (at most {high})" if high else ""


def _or_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _nested_in_order(schema: dict[str, Any], definitions: dict[str, Any]) -> list[tuple[str, tuple[str, bool]]]:
    """Each definition once, in the order the fields lead to it, with (field, is-a-list-entry)."""
    found: dict[str, tuple[str, bool]] = {}
    queue = [schema]
    while queue:
        node = queue.pop(0)
        for field_name, field in node.get("properties", {}).items():
            for ref, is_entry in _refs_of(field):
                if ref not in found:
                    found[ref] = (field_name, is_entry)
                    queue.append(definitions[ref])
    return list(found.items())


def _refs_of(field: dict[str, Any], is_entry: bool = False) -> list[tuple[str, bool]]:
    """Definitions a field leads to, directly, through `anyOf` options, or as list entries."""
    if "$ref" in field or "allOf" in field:
        return [(_ref_name(field), is_entry)]
    refs = [ref for option in field.get("anyOf", []) for ref in _refs_of(option, is_entry)]
    if "items" in field:
        refs += _refs_of(field["items"], True)
    return refs


def _ref_name(node: dict[str, Any]) -> str:
    ref = node["$ref"] if "$ref" in node else node["allOf"][0]["$ref"]
    return ref.rsplit("/", 1)[-1]


def _anchor(definition: str) -> str:
    return f"schema-{definition.lower()}"


def _words(title: str) -> str:
    """``ModelRecommendation`` -> ``model recommendation``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", title).lower()


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
