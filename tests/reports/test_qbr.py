"""The QBR pack on the demo company: sections, and numbers equal to the engine's."""

from __future__ import annotations

from pathlib import Path

import pytest

from demandos.reports import render
from demandos.reports.model import Pack, Table
from demandos.workspace import Workspace

from .conftest import NOW

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qbr(demo_ws: Workspace) -> Pack:
    return demo_ws.review("qbr", now=NOW)  # default: the last full quarter


def test_sections_and_default_quarter(qbr: Pack) -> None:
    assert qbr.period == "2026-Q3" and qbr.instance == "qbr 2026-Q4"
    assert [s.id for s in qbr.sections] == ["agenda", "north_star", "plan", "health", "decisions"]
    assert all(s.blocks for s in qbr.sections)


def test_numbers_equal_the_engine(qbr: Pack, demo_ws: Workspace) -> None:
    tables = {}
    for t in qbr.traced:
        table = tables.setdefault(t.period, demo_ws.metrics(t.period))
        expected = getattr(table.get(t.metric), t.field)
        assert t.value == (pytest.approx(expected, rel=1e-9) if expected is not None else None), t
    weeks = {t.period for t in qbr.traced if "-W" in t.period}
    assert len(weeks) == 13


def test_health_indicators_are_the_health_report(qbr: Pack, demo_ws: Workspace) -> None:
    report = demo_ws.health("2026-Q3")
    (table,) = [b for b in qbr.get("health").blocks if isinstance(b, Table)]
    assert [row[1].sub for row in table.rows] == [i.id for i in report.indicators]


def test_renders_three_formats(qbr: Pack, artifacts: Path) -> None:
    for fmt in ("html", "md", "pdf"):
        data = render(qbr, fmt)  # type: ignore[arg-type]
        (artifacts / f"qbr-2026-Q3.{fmt}").write_bytes(data)
    assert (artifacts / "qbr-2026-Q3.pdf").read_bytes().startswith(b"%PDF-")
    assert "## System health" in (artifacts / "qbr-2026-Q3.md").read_text()
