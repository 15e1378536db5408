"""Values from the manifest as Python source, for the Reproduce code every image carries."""

from __future__ import annotations

import json
from typing import Any

# How the code names each dtype the manifest records.
TORCH_DTYPE_CODE = {"bf16": "torch.bfloat16", "fp16": "torch.float16", "fp32": "torch.float32"}


def python_literal(value: Any) -> str:
    """``value`` (from the manifest's JSON) as Python source; text always as one double-quoted literal.

    Contributor text (prompts) becomes a string literal and nothing else: JSON escaping covers
    quotes, backslashes and line breaks, and any other invisible or bidirectional-control
    character is written as an escape, so the code shows exactly what it runs.
    """
    if isinstance(value, str):
        quoted = json.dumps(value, ensure_ascii=False)
        return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    raise ValueError(f"cannot write {type(value).__name__} {value!r} as Python")
