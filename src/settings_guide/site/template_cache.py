"""Compiled theme templates, kept in memory across `mkdocs serve` rebuilds.

MkDocs makes a new Jinja environment for the theme on every rebuild, so every rebuild compiles
Material's templates again: about a third of a rebuild of our site. Jinja's bytecode cache lets a
new environment reuse the compiled code; it stores the source's checksum with the code, so an
edited template (ours in overrides/, or the theme's) is compiled afresh.
"""

from __future__ import annotations

import jinja2


class InMemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # checks the checksum; a changed source resets the bucket

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


# For the life of the process: a build is one process, `mkdocs serve` is one process for all rebuilds.
THEME_TEMPLATES = InMemoryBytecodeCache()
