"""Fixtures for spec tests: a fresh starter workspace, and a way to break it one edit at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from demandos.spec import write_starter

Edit = Callable[[str, str, str], int]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The starter workspace `demandos init` writes, in a temporary folder."""
    root = tmp_path / "ws"
    write_starter(root)
    return root


@pytest.fixture
def edit(workspace: Path) -> Edit:
    """Replace the first occurrence of ``old`` in a workspace file; returns its 1-based line.

    Fails if ``old`` is not in the file, so a changed starter cannot silently void a test.
    """

    def apply(file: str, old: str, new: str) -> int:
        path = workspace / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not found in {file}: the starter changed"
        at = text.index(old)
        path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
        return text.count("\n", 0, at) + 1

    return apply


def line_of(path: Path, needle: str) -> int:
    """The 1-based line where ``needle`` first occurs in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert needle in text
    return text.count("\n", 0, text.index(needle)) + 1
