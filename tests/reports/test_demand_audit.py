"""The quarterly demand audit pack on the demo company: sections, numbers equal to the engine's
and the audit's, three formats."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from demandos.reports import render
from demandos.reports.model import Chart, Group, Pack, Paragraph, Table
from demandos.reports.numbers import fmt
from demandos.rollout import audit
from demandos.workspace import Workspace

from .conftest import NOW

pytestmark = pytest.mark.slow

SECTIONS = ["agenda", "maturity", "failure_modes", "stack", "data_quality", "fix_first"]


@pytest.fixture(scope="module")
def pack(demo_ws: Workspace) -> Pack:
    return demo_ws.review("demand_audit", "2026-Q3", now=NOW)


def tables(pack: Pack, section: str) -> list[Table]:
    found = []
    for block in pack.get(section).blocks:
        inner = block.blocks if isinstance(block, Group) else (block,)
        found += [b for b in inner if isinstance(b, Table)]
    return found


def test_sections_and_meeting(pack: Pack) -> None:
    assert (pack.period, pack.instance) == ("2026-Q3", "demand_audit 2026-Q3")
    assert pack.meeting is not None and pack.meeting.month == 9  # month 3 of the quarter
    assert [s.id for s in pack.sections] == SECTIONS
    assert all(s.blocks for s in pack.sections)
    assert pack.notes == []  # the quarter is over and every failure mode is measured


def test_default_is_the_quarter_it_meets_in_so_far(demo_ws: Workspace) -> None:
    found = demo_ws.review("demand_audit", now=NOW)  # Mon 23 Nov 2026
    assert (found.period, found.instance) == ("2026-Q4", "demand_audit 2026-Q4")
    assert found.end.isoformat() == "2026-11-23"
    assert any("2026-Q4 is not over" in note for note in found.notes)


def test_numbers_equal_the_engine(pack: Pack, demo_ws: Workspace) -> None:
    health = demo_ws.health("2026-Q3", today=NOW.date())
    shown = defaultdict(list)
    for t in pack.traced:
        shown[t.field].append(t)
        if t.field == "health":
            assert t.value == health.get(t.metric).value
            continue
        expected = demo_ws.metrics(t.period, today=NOW.date()).get(t.metric).value
        assert t.value == pytest.approx(expected, rel=1e-9), t
    assert {t.metric for t in shown["health"]} == {"top_program_share", "peak_to_median"}
    weeks = [t for t in shown["value"] if "-W" in t.period]
    assert [t.period for t in weeks] == [w.week for w in health.weeks] and len(weeks) == 13
    (chart,) = [b for b in pack.get("failure_modes").blocks if isinstance(b, Chart)]
    assert [label for label, _ in chart.points] == [w.week for w in health.weeks]


def test_maturity_and_fixes_are_the_audit(pack: Pack, demo_ws: Workspace) -> None:
    report = audit(demo_ws, "2026-Q3", today=NOW.date())
    scores, checks = tables(pack, "maturity")
    assert [row[0].text for row in scores.rows] == [s.name for s in report.scores]
    assert [row[1].text for row in scores.rows] == [fmt(s.share, "percent") for s in report.scores]
    assert [row[1].sub for row in checks.rows] == [r.id for r in report.results]
    (fixes,) = tables(pack, "fix_first")
    assert [row[1].sub for row in fixes.rows] == [f.check.id for f in report.fix_first()]
    assert [row[0].text for row in tables(pack, "failure_modes")[0].rows] == [
        "Heroic campaign",
        "Tool-first trap",
        "Vanity metrics",
        "Shared or missing ownership",
        "Starting from scratch",
    ]


def test_stack_costs_by_hand(pack: Pack, demo_ws: Workspace) -> None:
    tools = demo_ws.specs.stack.tools
    by: dict[str, float] = defaultdict(float)
    for tool in tools:
        by[tool.category.replace("_", " ")] += float(tool.monthly_cost)
    total = sum(by.values())
    categories, flagged = tables(pack, "stack")
    assert {row[0].text: row[2].text for row in categories.rows} == {
        k: fmt(v, "currency") for k, v in by.items()
    }
    assert [row[0].sub for row in flagged.rows] == ["dreamdata", "intent_data"]
    (intro,) = [
        b
        for g in pack.get("stack").blocks
        if isinstance(g, Group)
        for b in g.blocks
        if isinstance(b, Paragraph)
    ]
    cost = demo_ws.metrics("2026-Q3", today=NOW.date()).get("fully_loaded_cost").value
    assert f"{fmt(total * 3, 'currency')} over the 3 month(s)" in intro.text
    assert f"{fmt(total * 3 / cost, 'percent')} of fully loaded cost" in intro.text


def test_data_quality_counts_the_quarantine(pack: Pack, demo_ws: Workspace) -> None:
    from demandos.intake.quarantine import summary

    quarantined, fresh = tables(pack, "data_quality")
    by: dict[tuple[str, str], int] = defaultdict(int)
    for group in summary(demo_ws.facts):
        by[(group.source, group.reason)] += group.rows
    assert {(r[0].text, r[1].text): int(r[2].text) for r in quarantined.rows} == by
    assert [r[0].text for r in fresh.rows][:3] == ["accounts", "people", "touchpoints"]


def test_renders_three_formats(pack: Pack, artifacts: Path) -> None:
    for fmt_ in ("html", "md", "pdf"):
        data = render(pack, fmt_)  # type: ignore[arg-type]
        (artifacts / f"demand_audit-2026-Q3.{fmt_}").write_bytes(data)
    assert (artifacts / "demand_audit-2026-Q3.pdf").read_bytes().startswith(b"%PDF-")
    markdown = (artifacts / "demand_audit-2026-Q3.md").read_text()
    assert "## Failure modes, measured" in markdown and not re.search(r"\bnan\b", markdown, re.I)
