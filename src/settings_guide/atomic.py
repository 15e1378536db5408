"""Atomic, write-if-changed file output: readers never see half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> bool:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``; False if unchanged.

    ``durable`` also flushes the data to disk before the rename, so a power cut cannot leave
    an empty file under the final name. Build output that is remade each build can skip it.
    """
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def write_text_atomic(path: Path, text: str, *, durable: bool = True) -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"), durable=durable)
