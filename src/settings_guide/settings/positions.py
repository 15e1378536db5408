"""Where a value sits in a file, as users should read it: display paths and file:line:column problems.

A leaf module: the schema (model.py), the loader (load.py) and the figure defaults all point at
lines through it, and it imports none of them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem

if TYPE_CHECKING:
    from .yaml_reader import YamlDocument


def display_path(path: Path) -> str:
    """The path as users should see it: relative to the working folder when possible."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    relative = Path(os.path.relpath(path))
    return path.as_posix() if relative.parts[:1] == ("..",) else relative.as_posix()


def problem_in_document(
    shown: str, document: YamlDocument, loc: tuple, message: str, *, prefer_key: bool = False
) -> Problem:
    position = document.position_of(loc, prefer_key=prefer_key)
    return Problem(shown, position.line, position.column, _field_path(loc), message)


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
