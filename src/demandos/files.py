"""Writing files so that a crash never leaves half of one: the old file or the new, whole.

    write_atomic(path, data)    # bytes or text (UTF-8)

The data goes to a temporary file beside ``path``, is flushed to disk, and replaces ``path`` in
one rename; the folder is synced too, so the rename itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` (creating its folder): readers see the old file or the new.

    A path that is not a regular file (``/dev/null``, a named pipe) is written to as it is: a
    rename would replace the device or pipe with a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path.exists() and not path.is_file():
        with path.open("wb") as f:
            f.write(raw)
        return
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def fsync_file(path: Path) -> None:
    """Flush a file (or a folder's entries) that is already written to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename in it); quietly skipped where the system cannot."""
    with contextlib.suppress(OSError):
        fsync_file(path)
