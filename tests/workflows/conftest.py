"""Workspaces for the workflow tests: the starter `demandos init` writes, with a small extra
procedure whose cycle times are easy to count by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from demandos.workspace import Workspace

TINY = """\
id: tiny
name: Tiny procedure
owner: maya
trigger: a test
sla: 3h
steps:
  - id: one
    name: Step one
    sla: 1h
  - id: two
    name: Step two
    owner: jonas
    sla: 2h
"""


def make_workspace(root: Path, *, log_url: str | None = None) -> Path:
    """The starter workspace (America/New_York, business hours mon-fri 09:00-17:00) plus
    workflows/tiny.yaml."""
    Workspace.init(root, name="Acme Demand").close()
    (root / "workflows" / "tiny.yaml").write_text(TINY)
    if log_url is not None:
        config = root / "demandos.yaml"
        text = config.read_text()
        config.write_text(text.replace("  # log_url: postgresql", f"  log_url: {log_url}\n  # x"))
    return root


class Now:
    """The time the runs see, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fixed(now: datetime) -> Callable[[], datetime]:
    return lambda: now.astimezone(UTC)
