"""Atomic writes: a whole new file replaces the old in one rename, and a device or a named pipe
is written to, never replaced by a file (``--out /dev/null`` must leave /dev/null a device)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from demandos.files import write_atomic


def test_a_file_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "pack.md"
    write_atomic(target, "old")
    write_atomic(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in target.parent.iterdir()] == ["pack.md"]


def test_a_named_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()))
    reader.start()
    write_atomic(pipe, b"pack")
    reader.join(timeout=10)
    assert got == [b"pack"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
