"""Workspaces for the cadence tests: the starter workspace `demandos init` writes, edited."""

from __future__ import annotations

from pathlib import Path

import pytest

from demandos.workspace import Workspace

LAST_FRIDAY = """
  - id: last_friday_retro
    name: Monthly retro
    kind: custom
    frequency: monthly
    day: last friday
    time: "16:00"
    duration_minutes: 30
    owner: priya
    attendees: [maya]
"""


def make_workspace(
    root: Path,
    *,
    name: str = "Acme Demand",
    timezone: str = "America/New_York",
    fiscal_year_start_month: int = 1,
    log_url: str | None = None,
) -> Path:
    """The starter workspace with a timezone, a fiscal year start, a last-friday ritual."""
    Workspace.init(root, name=name).close()
    config = root / "demandos.yaml"
    text = config.read_text()
    text = text.replace("timezone: America/New_York", f"timezone: {timezone}")
    text = text.replace(
        "fiscal_year_start_month: 1", f"fiscal_year_start_month: {fiscal_year_start_month}"
    )
    if log_url is not None:
        text = text.replace("  # log_url: postgresql", f"  log_url: {log_url}\n  # postgresql")
    config.write_text(text)
    cadence = root / "cadence.yaml"
    cadence.write_text(cadence.read_text().rstrip("\n") + "\n" + LAST_FRIDAY)
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "acme")


@pytest.fixture
def berlin(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "berlin", timezone="Europe/Berlin")
