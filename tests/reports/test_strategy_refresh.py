"""The strategy refresh pack on the demo company: sections, numbers equal to the metrics engine
and to the kernel review, shares by hand, an empty quarter, three formats."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from demandos.kernel.proposals import KernelReview, review_kernel
from demandos.reports import render
from demandos.reports.model import Block, Bullets, Group, Pack, Paragraph, Table
from demandos.reports.numbers import fmt
from demandos.reports.packs.kernel_review import show, span
from demandos.workspace import Workspace

from .conftest import NOW

pytestmark = pytest.mark.slow

SECTIONS = ["agenda", "kernel", "performance", "proposals", "voice", "channels", "rollout"]


@pytest.fixture(scope="module")
def refresh(demo_ws: Workspace) -> Pack:
    return demo_ws.review("strategy_refresh", now=NOW)  # default: the last full quarter


@pytest.fixture(scope="module")
def review(demo_ws: Workspace) -> KernelReview:
    return review_kernel(demo_ws.facts, demo_ws.specs, "2026-Q3")


def blocks(pack: Pack, section: str) -> Iterator[Block]:
    for block in pack.get(section).blocks:
        if isinstance(block, Group):
            yield from block.blocks
        else:
            yield block


def tables(pack: Pack, section: str) -> list[Table]:
    return [b for b in blocks(pack, section) if isinstance(b, Table)]


def texts(pack: Pack, section: str) -> list[str]:
    found = []
    for b in blocks(pack, section):
        if isinstance(b, Paragraph):
            found.append(b.text)
        elif isinstance(b, Bullets):
            found += [p.text for p in b.items]
    return found


def test_sections_and_default_quarter(refresh: Pack) -> None:
    assert refresh.period == "2026-Q3" and refresh.instance == "strategy_refresh 2026-Q4"
    assert refresh.meeting == datetime(2026, 10, 8, 10, 0)  # second Thursday of the quarter
    assert [s.id for s in refresh.sections] == SECTIONS
    assert all(s.blocks for s in refresh.sections)
    assert refresh.kernel_version == 1


def test_traced_numbers_equal_the_engine(refresh: Pack, demo_ws: Workspace) -> None:
    tables_by = {}
    for t in refresh.traced:
        dim, _, member = t.filter.partition("=")
        key = (t.period, dim)
        if key not in tables_by:
            tables_by[key] = demo_ws.metrics(t.period, by=dim, today=NOW.date())
        expected = getattr(tables_by[key].get(t.metric, member), t.field)
        if expected is None:
            assert t.value is None, t
        else:
            assert t.value == pytest.approx(expected, rel=1e-9, abs=1e-12), t
    dims = {t.filter.partition("=")[0] for t in refresh.traced}
    assert dims == {"segment", "channel", "program"}


def test_kernel_tables_are_the_kernel_review(refresh: Pack, review: KernelReview) -> None:
    segment, persona, pillar = tables(refresh, "performance")[:3]
    for table, dimension in ((segment, "segment"), (persona, "persona"), (pillar, "pillar")):
        rows = review.performance[dimension]
        assert [r[0].text for r in table.rows] == [m.member for m in rows]
        for row, m in zip(table.rows, rows, strict=True):
            assert row[1].text == f"{m.closed:,}" and row[3].text == f"{m.created:,}"
            assert row[2].text == show(m.win_rate, "percent", "USD")
            assert row[2].sub == span(m.win_rate_ci, "percent", "USD")
            assert row[4].text == show(m.deal_size, "currency", "USD")
            assert row[6].text == show(m.cycle_days, "days", "USD")
    assert segment.columns[-1] == "per media $" and persona.columns[-1] == "pipeline"
    mid = segment.rows[0]
    assert mid[0].text == "mid_market_finance" and mid[1].text == "118"  # counted with pandas
    assert mid[2].text == "28.8%"  # 34 won of 118: 28.81%, also with pandas


def test_proposals_show_their_evidence(refresh: Pack, review: KernelReview) -> None:
    (proposal,) = review.proposals
    heads = [t for t in texts(refresh, "proposals") if t.startswith("KP-")]
    assert heads == [
        f"{proposal.id} · Promote segment mid_market_finance — high confidence. "
        f"Change: {proposal.change}."
    ]
    (evidence,) = tables(refresh, "proposals")
    (row,) = evidence.rows
    assert row[0].text == "average deal size" and row[4].text == "115 vs 229"
    assert row[5].text == f"{proposal.evidence[0].test.statistic:+.2f}"  # type: ignore[union-attr]
    muted = [t for t in texts(refresh, "proposals") if t.startswith("scaling_saas (segment)")]
    assert len(muted) == 2 and all("not tested: 22 deals created" in t or "not tested: 8 deals won"
                                   in t for t in muted)  # fmt: skip


def test_channel_shares_by_hand(refresh: Pack, demo_ws: Workspace) -> None:
    table = demo_ws.metrics("2026-Q3", by="channel", today=NOW.date())
    pipe = table.get("pipeline_created")
    media = table.get("media_spend")
    mix = tables(refresh, "channels")[0]
    assert mix.columns[:3] == ("channel", "pipeline created", "share")
    shares = []
    for row in mix.rows:
        member = row[0].text
        p = table.get("pipeline_created", member)
        assert row[2].text == fmt(p.value / pipe.value, "percent")  # type: ignore[operator]
        assert row[2].sub == f"prev. {fmt(p.previous / pipe.previous, 'percent')}"  # type: ignore[operator]
        shares.append(p.value / pipe.value)  # type: ignore[operator]
        if row[3].text != "—":
            m = table.get("media_spend", member)
            assert row[4].text == fmt(m.value / media.value, "percent")  # type: ignore[operator]
    assert sum(shares) == pytest.approx(1.0)  # every channel with pipeline is listed
    types = {c.id: c.type for c in demo_ws.specs.channels.channels}
    members = table.members("pipeline_created")
    for kind in ("owned", "earned", "paid"):
        now = sum(r.value or 0 for r in members if types.get(r.member or "") == kind)
        before = sum(r.previous or 0 for r in members if types.get(r.member or "") == kind)
        part = (
            f"{kind} {fmt(now / pipe.value, 'percent')} "  # type: ignore[operator]
            f"(from {fmt(before / pipe.previous, 'percent')})"  # type: ignore[operator]
        )
        assert any(part in t for t in texts(refresh, "channels")), part


def test_rollout_lists_the_phases(refresh: Pack, demo_ws: Workspace) -> None:
    (phases,) = tables(refresh, "rollout")
    assert [r[0].sub for r in phases.rows] == [p.id for p in demo_ws.specs.rollout.phases]
    assert {r[3].text for r in phases.rows} == {"past"}  # the demo started in May 2025
    assert texts(refresh, "rollout")[0].startswith("On Thu 08 Oct 2026 the rollout is in week 76")


def test_an_empty_quarter_says_so(demo_ws: Workspace, artifacts: Path) -> None:
    empty = demo_ws.review("strategy_refresh", "2024-Q1", now=NOW)
    assert [s.id for s in empty.sections] == SECTIONS and all(s.blocks for s in empty.sections)
    said = " ".join(texts(empty, "performance") + texts(empty, "proposals"))
    assert "No deal was created or closed in 2023-Q2 to 2024-Q1" in said
    assert "no comparison had the deals to be tested" in said
    md = render(empty, "md").decode()
    (artifacts / "strategy-refresh-2024-Q1.md").write_text(md)
    assert re.search(r"\bnan\b", md, re.IGNORECASE) is None


def test_renders_three_formats(refresh: Pack, artifacts: Path) -> None:
    for kind in ("html", "md", "pdf"):
        (artifacts / f"strategy-refresh-2026-Q3.{kind}").write_bytes(render(refresh, kind))  # type: ignore[arg-type]
    assert (artifacts / "strategy-refresh-2026-Q3.pdf").read_bytes().startswith(b"%PDF-")
    md = (artifacts / "strategy-refresh-2026-Q3.md").read_text()
    assert "## Kernel refinement proposals" in md and "KP-" in md
    assert re.search(r"\bnan\b", md, re.IGNORECASE) is None
