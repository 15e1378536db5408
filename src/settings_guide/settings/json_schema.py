"""The setting files' JSON Schema for editors: draft-07, generated from the pydantic models.

Pydantic writes 2020-12-style schemas (``$defs``, ``$ref`` beside other keywords). The YAML
language server and check-jsonschema handle draft-07 best, so this module converts: it moves
``$defs`` to ``definitions``, wraps ``$ref`` that has siblings in ``allOf`` and forbids
unknown keys in every object. The models stay the one place where the schema is defined.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from .model import Setting

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
SCHEMA_FILE_NAME = "schema.json"  # next to the setting files, so the modeline needs no path
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE_NAME}"

# Keywords whose value is one schema, a list of schemas, or a mapping of names to schemas.
_ONE_SCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
# Pydantic leaks these constraint names into the schema when a validator wraps the type
# (e.g. Seed's BeforeValidator); JSON Schema spells them differently.
_CONSTRAINT_NAMES = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


class _AllChainSteps(GenerateJsonSchema):
    """Pydantic describes only the first step of a validator chain; keep every step's constraints.

    Our text types are chains (``Text`` converts, then ``Field(pattern=...)`` checks), and
    without this the ``pattern`` of slugs, identifiers and https links would be lost.
    """

    def chain_schema(self, schema) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for step in schema["steps"]:
            merged.update(self.generate_inner(step))
        return merged


def setting_json_schema(model: type[BaseModel] = Setting) -> dict[str, Any]:
    """The JSON Schema (draft-07) of one setting file (or another file of ``model``, a model file's);
    unknown keys are rejected everywhere."""
    generated = model.model_json_schema(ref_template="#/definitions/{model}", schema_generator=_AllChainSteps)
    definitions = generated.pop("$defs", {})
    schema = {"$schema": DRAFT_07, **_to_draft_07(generated)}
    if definitions:
        schema["definitions"] = {name: _to_draft_07(definitions[name]) for name in sorted(definitions)}
    return schema


def setting_json_schema_text(model: type[BaseModel] = Setting) -> str:
    """The schema as the text of ``settings/schema.json`` (``models/schema.json`` for a model file's): stable,
    indented, ending in a newline."""
    return json.dumps(setting_json_schema(model), indent=2, ensure_ascii=False) + "\n"


def _to_draft_07(node: dict[str, Any]) -> dict[str, Any]:
    """One schema node and everything below it, in draft-07 form."""
    converted: dict[str, Any] = {}
    for key, value in node.items():
        key = _CONSTRAINT_NAMES.get(key, key)
        if key in _ONE_SCHEMA and isinstance(value, dict):
            value = _to_draft_07(value)
        elif key in _ONE_SCHEMA and isinstance(value, list):  # tuple-style items
            value = [_to_draft_07(item) for item in value]
        elif key in _SCHEMA_LISTS:
            value = [_to_draft_07(item) for item in value]
        elif key in _SCHEMA_MAPS:
            value = {name: _to_draft_07(item) for name, item in value.items()}
        elif (key.startswith("$") and key not in ("$ref", "$comment")) or key == "prefixItems":
            raise ValueError(f"JSON Schema keyword {key!r} has no draft-07 form; extend _to_draft_07")
        converted[key] = value
    if "$ref" in converted and len(converted) > 1:
        # Draft-07 ignores every keyword beside $ref; allOf keeps the description and default.
        converted = {"allOf": [{"$ref": converted.pop("$ref")}], **converted}
    if converted.get("type") == "object" or "properties" in converted or "patternProperties" in converted:
        converted.setdefault("additionalProperties", False)
    return converted
