"""Which schema field a place in a setting file is: for messages that say what belongs there."""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .model import Setting


def model_holding(loc: tuple, root: type[BaseModel] | None = None) -> type[BaseModel] | None:
    """The model whose fields the last key of ``loc`` is among; None inside free-form values such as `arguments`.
    ``root`` is the file's model: a setting's unless told (a model file's)."""
    model = root or Setting
    for part in loc[:-1]:
        if isinstance(part, int):
            continue  # an item of a list: the list's own model holds it
        field = model.model_fields.get(part)
        model = _model_inside(field.annotation) if field else None
        if model is None:
            return None
    return model


def field_at(loc: tuple) -> FieldInfo | None:
    """The field ``loc`` names, or whose list ``loc`` is an item of; None when the schema names no field there."""
    while loc and isinstance(loc[-1], int):
        loc = loc[:-1]
    model = model_holding(loc) if loc else None
    return model.model_fields.get(loc[-1]) if model else None


def _model_inside(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_inside(arg)
        if found:
            return found
    return None
