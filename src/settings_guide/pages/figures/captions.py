"""The caption under each image: the compared argument and its value, as a reader would type it."""

from __future__ import annotations

import json

from ... import kinds


def caption_for(parameter: str | list[str], value) -> str:
    """The caption under one image, e.g. ``num_inference_steps = 4``, or for several compared arguments
    (``a+b``, or a list) ``original_size = (256, 256) · crops_coords_top_left = (0, 0)``."""
    names = parameter if isinstance(parameter, list) else parameter.split("+")
    if len(names) > 1 and isinstance(value, list) and len(value) == len(names):
        return " · ".join(caption_for(name, item) for name, item in zip(names, value, strict=True))
    name = names[0] if len(names) == 1 else "+".join(names)
    if isinstance(value, list):  # a pair, as Python writes the tuple the pipeline gets
        value = "(" + ", ".join(map(str, value)) + ")"
    elif isinstance(value, str) and name not in UNQUOTED:
        value = json.dumps(value, ensure_ascii=False)  # so an empty negative prompt still shows as ""
    return f"{name} = {value}"


UNQUOTED = ("scheduler", "dtype", *sorted(kinds.named_values()))  # names, not text a reader would type
