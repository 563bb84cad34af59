"""Kernel conformance and ICP fit on a small hand-made workspace, every number by hand.

The starter kernel: segments mid_market_finance (Manufacturing, Wholesale, Professional
Services, Healthcare; 200-2,000 employees; revenue 50M-1B; US, CA) and scaling_saas (Software,
Internet; 100-1,000 employees; US, CA, GB); pillars close_faster, control_spend, audit_ready.
The starter's 7 programs all carry a segment and a pillar; this workspace adds brand_billboard
(a segment, no pillar, owner jonas) and events_booth (neither, owner maya).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.kernel.conformance import conformance, off_kernel_spend
from demandos.kernel.fit import NO_PERSONA, NO_SEGMENT, fit_report
from demandos.metrics.periods import parse_period
from demandos.reports.packs.weekly_review import off_kernel_text
from demandos.workspace import Workspace

from .fixture import load

EXTRA_PROGRAMS = """
  - id: brand_billboard
    name: Brand billboard
    channel: partners
    kind: always_on
    segments: [mid_market_finance]
    owner: jonas
  - id: events_booth
    name: Trade-show booth
    channel: partners
    kind: always_on
    owner: maya
"""


def _spend(day: date, program: str, amount: float) -> dict[str, Any]:
    return {"date": day, "channel": "linkedin_ads", "platform": "linkedin", "program_id": program,
            "campaign": program, "amount": amount, "currency": "USD"}  # fmt: skip


def _touch(tid: str, day: datetime, **fields: Any) -> dict[str, Any]:
    return {"touch_id": tid, "ts": day, "person_id": None, "account_id": None,
            "channel": "website", "program_id": None, "asset_id": None,
            "touch_type": "content_download", **fields}  # fmt: skip


def _opp(oid: str, account: str | None, day: datetime, amount: float) -> dict[str, Any]:
    return {"opp_id": oid, "account_id": account, "created_at": day, "amount": amount,
            "stage": "Proposal", "close_date": None, "is_closed": False, "is_won": False,
            "source": None}  # fmt: skip


ROWS: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        # mid_market_finance: all 4 rules
        {
            "account_id": "a1",
            "name": "Acme",
            "industry": "Manufacturing",
            "employees": 500,
            "annual_revenue": 1e8,
            "country": "US",
        },
        # scaling_saas: all 3 rules
        {
            "account_id": "a2",
            "name": "Bolt",
            "industry": "Software",
            "employees": 300,
            "annual_revenue": None,
            "country": "US",
        },
        # no segment; meets no rule of either: closest is the first, mid_market_finance, 0
        {
            "account_id": "a3",
            "name": "Corner",
            "industry": "Retail",
            "employees": 50,
            "annual_revenue": None,
            "country": "FR",
        },
        # no segment; scaling_saas 2/3 (misses countries), mid_market_finance 1/4
        {
            "account_id": "a4",
            "name": "Delta",
            "industry": "Software",
            "employees": 300,
            "annual_revenue": None,
            "country": "DE",
        },
        # no segment; mid_market_finance 3/4 (misses countries), scaling_saas 1/3
        {
            "account_id": "a5",
            "name": "Echo",
            "industry": "Manufacturing",
            "employees": 500,
            "annual_revenue": 1e8,
            "country": "FR",
        },
    ],
    "people": [
        {
            "person_id": "p1",
            "account_id": "a1",
            "title": "Financial Controller",
            "created_at": datetime(2026, 9, 1),
        },
        {"person_id": "p2", "account_id": "a2", "title": "CFO", "created_at": datetime(2026, 9, 1)},
        {
            "person_id": "p3",
            "account_id": "a3",
            "title": "Office Manager",
            "created_at": datetime(2026, 9, 1),
        },
        {"person_id": "p4", "account_id": "a3", "title": None, "created_at": datetime(2026, 9, 1)},
    ],
    "assets": [
        {
            "asset_id": "as1",
            "title": "Close guide",
            "type": "guide",
            "pillar": "close_faster",
            "segments": ["mid_market_finance"],
            "status": "published",
            "owner": "priya",
        },
        {
            "asset_id": "as2",
            "title": "Close checklist",
            "type": "guide",
            "pillar": "close_faster",
            "segments": None,
            "status": "published",
            "owner": "priya",
        },
        {
            "asset_id": "as3",
            "title": "Brand video",
            "type": "video",
            "pillar": "brand",
            "segments": ["scaling_saas"],
            "status": "published",
            "owner": "jonas",
        },
        {
            "asset_id": "as4",
            "title": "Draft",
            "type": "guide",
            "pillar": None,
            "segments": None,
            "status": "draft",
            "owner": "maya",
        },
    ],
    "spend": [
        _spend(date(2026, 11, 3), "linkedin_controllers", 1000.0),
        _spend(date(2026, 11, 20), "linkedin_controllers", 500.0),
        _spend(date(2026, 11, 5), "brand_billboard", 300.0),
        _spend(date(2026, 11, 30), "events_booth", 200.0),
        _spend(date(2026, 11, 6), "ghost_program", 100.0),
        _spend(date(2026, 10, 31), "linkedin_controllers", 999.0),  # October
        _spend(date(2026, 12, 1), "events_booth", 50.0),  # December
    ],
    "touchpoints": [
        _touch("t1", datetime(2026, 11, 12), account_id="a1", asset_id="as1"),  # both
        # through its person's account (a2) and its program's pillar (close_faster)
        _touch("t2", datetime(2026, 11, 5), person_id="p2", program_id="google_high_intent"),
        _touch("t3", datetime(2026, 11, 8), account_id="a3", asset_id="as3"),  # neither
        _touch("t4", datetime(2026, 11, 9), program_id="events_booth"),  # neither
        _touch("t5", datetime(2026, 10, 15), account_id="a1", asset_id="as1"),  # October
    ],
    "opportunities": [
        _opp("o1", "a1", datetime(2026, 11, 10), 10_000.0),  # pillar from t5 (October)
        _opp("o2", "a2", datetime(2026, 11, 20), 5_000.0),  # pillar from t2
        _opp("o3", "a3", datetime(2026, 11, 25), 3_000.0),  # t3 carries "brand": no pillar
        _opp("o4", None, datetime(2026, 11, 2), 2_000.0),  # no account
        _opp("o5", "a1", datetime(2026, 10, 20), 7_000.0),  # October
    ],
}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("conformance") / "ws"
    load(root, ROWS).close()
    with (root / "channels.yaml").open("a") as f:
        f.write(EXTRA_PROGRAMS)
    opened = Workspace.open(root)
    yield opened
    opened.close()


def _report(ws: Workspace) -> Any:
    return conformance(ws.facts, ws.specs.kernel, ws.specs.channels, parse_period("2026-11"))


def test_shares_by_hand(ws: Workspace) -> None:
    r = _report(ws)
    got = {s.what: (s.total, s.on_segment, s.on_pillar) for s in r.shares}
    assert got == {
        # 1,000 + 500 linkedin_controllers (both), 300 brand_billboard (segment), 200
        # events_booth and 100 ghost_program (neither); October and December left out
        "spend": (2100.0, 1800.0, 1500.0),
        "programs": (9, 8, 7),  # events_booth has no segment; it and brand_billboard no pillar
        "assets": (3, 2, 2),  # the draft is left out; as3's "brand" is not a kernel pillar
        "touches": (4, 2, 2),  # t1 and t2
        "pipeline": (20_000.0, 15_000.0, 15_000.0),  # o1 and o2
    }
    assert r.share("spend").segment_share == pytest.approx(1800 / 2100)
    assert r.share("spend").pillar_share == pytest.approx(1500 / 2100)
    assert r.share("pipeline").pillar_share == pytest.approx(0.75)


def test_off_kernel_list_with_owners(ws: Workspace) -> None:
    off = {(o.kind, o.id): (o.owner, o.missing, o.amount) for o in _report(ws).off_kernel}
    assert off == {
        ("program", "brand_billboard"): ("jonas", ("pillar",), None),
        ("program", "events_booth"): ("maya", ("segment", "pillar"), None),
        ("asset", "as2"): ("priya", ("segment",), None),
        ("asset", "as3"): ("jonas", ("pillar",), None),
        ("spend", "brand_billboard"): ("jonas", ("pillar",), 300.0),
        ("spend", "events_booth"): ("maya", ("segment", "pillar"), 200.0),
        ("spend", "ghost_program"): (None, ("segment", "pillar"), 100.0),
    }


def test_off_kernel_spend_of_some_days(ws: Workspace) -> None:
    k, c = ws.specs.kernel, ws.specs.channels
    s = off_kernel_spend(ws.facts, k, c, date(2026, 11, 30), date(2026, 12, 2))
    assert (s.total, s.off) == (250.0, 250.0)  # events_booth 200 + 50
    assert [(o.id, o.amount) for o in s.programs] == [("events_booth", 250.0)]
    s = off_kernel_spend(ws.facts, k, c, date(2026, 11, 1), date(2026, 12, 1))
    assert (s.total, s.off, s.share) == (2100.0, 600.0, pytest.approx(600 / 2100))
    assert [o.id for o in s.programs] == ["brand_billboard", "events_booth", "ghost_program"]
    empty = off_kernel_spend(ws.facts, k, c, date(2025, 1, 1), date(2025, 2, 1))
    assert (empty.total, empty.share, empty.programs) == (0.0, None, ())


def test_empty_period(ws: Workspace) -> None:
    r = conformance(ws.facts, ws.specs.kernel, ws.specs.channels, parse_period("2025-01"))
    assert r.share("spend").total == 0 and r.share("spend").segment_share is None
    assert r.share("touches").pillar_share is None
    assert r.share("programs").total == 9  # programs are not dated


def test_fit_scores_and_reasons(ws: Workspace) -> None:
    f = ws.facts
    report = fit_report(f.table("accounts"), f.table("people"), ws.specs.kernel)
    got = {a.account_id: (a.segment, a.closest, a.score, a.matched, a.failed)
           for a in report.accounts}  # fmt: skip
    rules = ("industries", "employees", "annual_revenue", "countries")
    assert got == {
        "a1": ("mid_market_finance", "mid_market_finance", 1.0, rules, ()),
        "a2": ("scaling_saas", "scaling_saas", 1.0, ("industries", "employees", "countries"),
               ()),
        "a3": (NO_SEGMENT, "mid_market_finance", 0.0, (), rules),  # a tie: the first segment
        "a4": (NO_SEGMENT, "scaling_saas", 2 / 3, ("industries", "employees"), ("countries",)),
        "a5": (NO_SEGMENT, "mid_market_finance", 0.75, rules[:3], ("countries",)),
    }  # fmt: skip
    personas = {p.person_id: p.persona for p in report.people}
    assert personas == {"p1": "controller", "p2": "finance_leader", "p3": NO_PERSONA,
                        "p4": NO_PERSONA}  # fmt: skip


def test_fit_of_one_account_and_edge_kernels(ws: Workspace) -> None:
    f, k = ws.facts, ws.specs.kernel
    one = fit_report(f.table("accounts"), f.table("people"), k, "a3")
    assert [a.account_id for a in one.accounts] == ["a3"]
    assert [p.person_id for p in one.people] == ["p3", "p4"]
    # no segment at all: no score
    none = fit_report(f.table("accounts"), f.table("people"), k.model_copy(update={"segments": ()}))
    assert {(a.segment, a.closest, a.score) for a in none.accounts} == {(NO_SEGMENT, None, None)}
    # a segment without rules takes every account that reaches it, with a full score
    open_segment = k.segments[1].model_copy(
        update={"rules": k.segments[1].rules.model_copy(
            update={"industries": (), "employees": None, "countries": ()})}
    )  # fmt: skip
    wide = fit_report(
        f.table("accounts"), f.table("people"),
        k.model_copy(update={"segments": (k.segments[0], open_segment)}),
    )  # fmt: skip
    scores = {a.account_id: (a.segment, a.score, a.failed) for a in wide.accounts}
    assert scores["a1"] == ("mid_market_finance", 1.0, ())
    assert scores["a5"] == ("scaling_saas", 1.0, ())


def _cli(ws: Workspace, *args: str) -> Any:
    result = CliRunner().invoke(app, ["kernel", *args, "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_conformance(ws: Workspace) -> None:
    data = json.loads(_cli(ws, "conformance", "--period", "2026-11", "--format", "json"))
    spend = next(s for s in data["shares"] if s["what"] == "spend")
    assert (spend["total"], spend["on_segment"], spend["on_pillar"]) == (2100.0, 1800.0, 1500.0)
    assert len(data["off_kernel"]) == 7
    text = _cli(ws, "conformance", "--period", "2026-11")
    assert "86%" in text and "71%" in text and "ghost_program" in text  # 1800/2100, 1500/2100


def test_cli_fit(ws: Workspace) -> None:
    data = json.loads(_cli(ws, "fit", "--account", "a4", "--format", "json"))
    assert data["accounts"][0]["score"] == pytest.approx(2 / 3)
    assert data["accounts"][0]["failed"] == ["countries"]
    csv_text = _cli(ws, "fit", "--format", "csv")
    lines = csv_text.strip().splitlines()
    assert lines[0] == "account_id,name,segment,closest,score,matched,failed"
    assert lines[5] == "a5,Echo,(no segment),mid_market_finance,0.75," \
        "industries;employees;annual_revenue,countries"  # fmt: skip
    assert "finance_leader" in _cli(ws, "fit")


def test_check_warns_of_off_kernel_spend(ws: Workspace) -> None:
    report = Workspace.check(ws.root, today=date(2026, 12, 4))  # reads November
    assert report.ok
    found = [f for f in report.warnings if f.rule == "off_kernel_spend"]
    assert len(found) == 1
    assert found[0].message == (
        "off-kernel media spend in 2026-11: 600 USD of 2,100 (29%) maps to no ICP segment or no "
        "message pillar: brand_billboard 300 (jonas: no pillar), events_booth 200 (maya: no "
        "segment or pillar), ghost_program 100 (no owner: no segment or pillar)"
    )
    assert found[0].location.file == "channels.yaml"
    # a month whose spend all maps to the kernel (October: linkedin_controllers), none
    november = Workspace.check(ws.root, today=date(2026, 11, 15))
    assert not [f for f in november.warnings if f.rule == "off_kernel_spend"]


def test_monday_pack_line(ws: Workspace) -> None:
    k, c = ws.specs.kernel, ws.specs.channels
    week = off_kernel_spend(ws.facts, k, c, date(2026, 11, 30), date(2026, 12, 7))  # 2026-W49
    assert off_kernel_text(week, "2026-W49", "USD") == (
        "100.0% of media spend in 2026-W49 ($250 of $250) is off-kernel, mapped to no ICP "
        "segment or no message pillar: events_booth $250 (maya)."
    )
    on = off_kernel_spend(ws.facts, k, c, date(2026, 10, 26), date(2026, 11, 2))  # 2026-W44
    assert off_kernel_text(on, "2026-W44", "USD") == (
        "All $999 of media spend in 2026-W44 maps to an ICP segment and a message pillar."
    )
    none = off_kernel_spend(ws.facts, k, c, date(2025, 1, 6), date(2025, 1, 13))
    assert off_kernel_text(none, "2025-W02", "USD") == "No media spend in 2025-W02."
