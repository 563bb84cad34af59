"""The demo company once per session, with a week of actions and decisions in its log."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from demandos.cadence.log import CadenceLog
from demandos.workspace import Workspace

WEEK = "2026-W43"  # a full week of the demo's data (Mon 19 - Sun 25 Oct 2026)
NOW = datetime(2026, 11, 23, 9, 0)  # when the packs are generated (workspace time)
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DEMANDOS_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))


@pytest.fixture(scope="session")
def demo_ws(copy_demo: Callable[[str], Path]) -> Iterator[Workspace]:
    """The small demo company (`demandos demo PATH --size small`), a copy of its own."""
    ws = Workspace.open(copy_demo("reports"))
    _log_week(ws)
    yield ws
    ws.close()


def _log(ws: Workspace, when: datetime) -> CadenceLog:
    def read_metric(metric: str, period: str) -> tuple[float | None, str | None]:
        row = ws.metrics(period).get(metric)
        return row.value, row.reason

    return CadenceLog(ws.log, ws.specs, read_metric=read_metric, clock=lambda: when)


def _log_week(ws: Workspace) -> None:
    """What the team logged at the Monday review of W43 and during that week."""
    monday = _log(ws, datetime(2026, 10, 19, 10, 15))
    instance = {"ritual": "monday_review", "period": WEEK}
    monday.add_action("Fix the MQL handoff form", owner="tom", due="2026-10-21",
                      metric="mql_to_sql", **instance)  # fmt: skip
    monday.add_action("Brief two webinar derivatives", owner="priya", due="2026-10-30",
                      **instance)  # fmt: skip
    done = monday.add_action("Pause the weakest LinkedIn ad set", owner="diego",
                             due="2026-10-23", metric="cpl", **instance).item  # fmt: skip
    monday.add_decision("Shift 10% of paid social to webinars", owner="maya", metric="der",
                        rationale="webinar leads convert twice as often", **instance)  # fmt: skip
    _log(ws, datetime(2026, 10, 22, 16, 0)).complete(done.id)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = ARTIFACTS / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class References(HTMLParser):
    """What an HTML file refers to (src, href, …), its tags and its style text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.tags: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action", "data") and value:
                self.found.append(value)
            if name == "style" and value:
                self.styles.append(value)

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1] == "style":
            self.styles.append(data)

    @property
    def external(self) -> list[str]:
        """References that leave the file (anything but #fragments and data: URIs)."""
        return [r for r in self.found if not r.startswith(("#", "data:"))]
