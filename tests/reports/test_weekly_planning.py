"""The Friday planning pack: Monday's actions, next week's calendar, production against rhythm,
the backlog and capacity, checked by hand on a small company; the demo's numbers equal the
engine's; an empty workspace says what it cannot show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from demandos.cadence.log import CadenceLog
from demandos.metrics import parse_period
from demandos.reports import render
from demandos.reports.model import Pack, Table
from demandos.reports.packs.weekly_planning import Span, read_assets, rhythm, status_of
from demandos.store.schema import VALID_FROM
from demandos.workspace import Workspace
from metrics.fixture import batch

from .conftest import NOW

pytestmark = pytest.mark.slow

FORMATS: tuple[Literal["html", "md", "pdf"], ...] = ("html", "md", "pdf")
SECTIONS = ["agenda", "monday_actions", "calendar", "rhythm", "backlog", "capacity"]
FIXTURE_NOW = datetime(2030, 3, 14, 9, 0)  # Thursday of 2030-W11: plans 2030-W12
MEETING = datetime(2030, 3, 15, 13, 0)  # Friday planning of 2030-W11

PROGRAMS = """
  - id: spring_launch
    name: Spring launch
    channel: linkedin_ads
    kind: launch
    segments: [mid_market_finance]
    pillars: [close_faster]
    owner: maya
    start: 2030-03-19
    end: 2030-04-30
    monthly_budget: 3100
  - id: webinar_series
    name: Winter webinar series
    channel: webinars
    kind: campaign
    segments: [mid_market_finance]
    pillars: [close_faster]
    owner: priya
    start: 2030-01-06
    end: 2030-03-20
    monthly_budget: 2800
  - id: summer_launch
    name: Summer launch
    channel: linkedin_ads
    kind: launch
    segments: [mid_market_finance]
    pillars: [control_spend]
    owner: maya
    start: 2030-04-02
"""
MEDIA_SPEND = """
  - id: media_spend
    name: Media spend
    tier: 3
    parent: fully_loaded_cost
    owner: maya
    builtin: media_spend
"""


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def _asset(aid: str, kind: str, status: str, published: datetime | None = None,
           owner: str | None = "priya", parent: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"asset_id": aid, "title": f"Asset {aid}", "type": kind, "status": status,
            "published_at": published, "owner": owner, "parent_asset_id": parent,
            "pillar": "close_faster"}  # fmt: skip


def _assets() -> list[dict[str, Any]]:
    baseline = parse_period("2029-W46").start  # 13 weeks: 2029-W46 to 2030-W06
    rows = [_asset(f"bl{k}", "blog_post", "published", _at(baseline + timedelta(weeks=k)))
            for k in range(13)]  # fmt: skip
    rows += [_asset(f"cs{k}", "case_study", "published", _at(baseline + timedelta(weeks=3 * k)))
             for k in range(2)]  # fmt: skip
    rows += [_asset(f"wb{k}", "webinar", "published", _at(baseline + timedelta(weeks=3 * k)))
             for k in range(4)]  # fmt: skip
    rows += [_asset(f"gd{k}", "guide", "published", _at(baseline + timedelta(weeks=2 * k)))
             for k in range(6)]  # fmt: skip
    rows += [  # the 4 weeks 2030-W07 to 2030-W10 (11 Feb - 10 Mar)
        _asset("bl-r1", "blog_post", "published", _at(date(2030, 2, 12))),
        _asset("bl-r2", "blog_post", "published", _at(date(2030, 2, 26))),
        _asset("vd-r1", "video", "published", _at(date(2030, 3, 5))),
        _asset("wb-r1", "webinar", "published", _at(date(2030, 2, 20))),
        _asset("wb-r2", "webinar", "Published", _at(date(2030, 3, 6)), parent="wb-r1"),
        _asset("gd-r1", "guide", "published", _at(date(2030, 2, 14))),
        _asset("gd-r2", "guide", "published", _at(date(2030, 3, 10), 23)),
        # outside both windows
        _asset("bl-old", "blog_post", "published", _at(date(2029, 11, 5))),
        _asset("bl-now", "blog_post", "published", _at(date(2030, 3, 12))),
        # the calendar: scheduled in the week planned, and the week after
        _asset("sc1", "blog_post", "Scheduled", _at(date(2030, 3, 20)), owner="Maya Okafor"),
        _asset("sc2", "video", "scheduled", _at(date(2030, 3, 26))),
        # the backlog
        _asset("b1", "checklist", "idea"),
        _asset("b2", "guide", "draft"),
        _asset("b3", "case_study", "brief", owner="Maya Okafor"),
        _asset("b4", "webinar", "In Review", owner="maya"),
        _asset("b5", "blog_post", "Draft", owner="Sam Rivers"),
        _asset("b6", "template", "idea", owner=None),
        _asset("b7", "video", "idea"),
        _asset("ar1", "blog_post", "archived"),
    ]
    return rows


def _log(ws: Workspace, when: datetime) -> CadenceLog:
    return CadenceLog(ws.log, ws.specs, clock=lambda: when)


def _actions(ws: Workspace) -> None:
    monday: dict[str, Any] = {"ritual": "monday_review", "period": "2030-W11"}
    log = _log(ws, datetime(2030, 3, 11, 10, 0))
    log.add_action("Fix the lead form", owner="jonas", due="2030-03-13", **monday)
    log.add_action("Brief two derivatives", owner="priya", due="2030-03-19", **monday)
    paused = log.add_action("Pause the weakest ad set", owner="maya", due="2030-03-14", **monday)
    log.add_action("Check the routing rules", owner="jonas", due="2030-03-15", **monday)
    log.add_action("Draft the launch email", owner="priya", **monday)
    late = log.add_action("Update the budget sheet", owner="maya", due="2030-03-14", **monday)
    _log(ws, datetime(2030, 3, 13, 16, 0)).complete(paused.item.id)
    _log(ws, datetime(2030, 3, 15, 15, 0)).complete(late.item.id)  # after the meeting
    _log(ws, datetime(2030, 3, 15, 14, 0)).add_action(
        "An idea after the meeting", owner="jonas", due="2030-03-20", **monday
    )
    _log(ws, datetime(2030, 3, 12, 9, 0)).add_action(
        "Rewrite the ad copy", owner="priya", due="2030-03-20", ritual="optimization",
        period="2030-W11",
    )  # fmt: skip
    old = _log(ws, datetime(2030, 3, 4, 10, 0)).add_action(
        "Last week's action", owner="maya", due="2030-03-05", ritual="monday_review",
        period="2030-W10",
    )  # fmt: skip
    _log(ws, datetime(2030, 3, 6, 10, 0)).complete(old.item.id)


@pytest.fixture(scope="module")
def small_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("planning") / "small"
    Workspace.init(root).close()
    with (root / "channels.yaml").open("a") as f:
        f.write(PROGRAMS)
    with (root / "metrics.yaml").open("a") as f:
        f.write(MEDIA_SPEND)
    ws = Workspace.open(root)
    spend = [
        {"date": date(2030, 3, 5), "channel": "linkedin_ads", "platform": "linkedin",
         "program_id": "linkedin_controllers", "amount": 1240.0, "currency": "USD"},
        {"date": date(2030, 3, 6), "channel": "google_ads", "platform": "google",
         "program_id": "google_high_intent", "amount": 800.0, "currency": "USD"},
    ]  # fmt: skip
    assets = _assets()
    with ws.facts.transaction(source="test") as tx:
        tx.load("spend", batch("spend", spend))
        tx.load("assets", batch("assets", assets))
    b7 = next(a for a in assets if a["asset_id"] == "b7")
    ws.facts.load("assets", batch("assets", [{**b7, "status": "draft"}]))  # idea -> draft
    _actions(ws)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def small(small_ws: Workspace) -> Pack:
    return small_ws.review("friday_planning", now=FIXTURE_NOW)  # default: the week after today


def _texts(pack: Pack, section: str) -> str:
    return " ".join(getattr(b, "text", "") for b in pack.get(section).blocks)


def _tables(pack: Pack, section: str) -> list[Table]:
    return [b for b in pack.get(section).blocks if isinstance(b, Table)]


def test_period_meeting_and_sections(small: Pack) -> None:
    assert small.period == "2030-W12" and small.instance == "friday_planning 2030-W11"
    assert small.meeting == MEETING
    assert [s.id for s in small.sections] == SECTIONS
    assert all(s.blocks for s in small.sections)


def test_monday_actions_as_they_stood_at_the_meeting(small: Pack) -> None:
    (table,) = _tables(small, "monday_actions")
    rows = [(r[1].text, r[4].text) for r in table.rows]
    assert rows == [
        ("Fix the lead form", "overdue 2 d"),
        ("Pause the weakest ad set", "done Wed 13 Mar"),
        ("Update the budget sheet", "overdue 1 d"),  # done only after the meeting
        ("Check the routing rules", "open, due Fri 15 Mar"),
        ("Brief two derivatives", "moved to 2030-03-19"),
        ("Draft the launch email", "open, no due date"),
    ]  # the action logged after the meeting and last week's are not there
    assert "6 action(s) from monday_review 2030-W11: 1 done, 1 moved" in _texts(
        small, "monday_actions"
    )
    assert "2 open, 2 overdue" in _texts(small, "monday_actions")


def test_calendar_programs_budget_share_and_spend(small: Pack, small_ws: Workspace) -> None:
    programs, assets = _tables(small, "calendar")
    rows = {r[0].sub: r for r in programs.rows}
    assert [r[0].sub for r in programs.rows][:2] == ["spring_launch", "webinar_series"]
    assert "audit_season_campaign" not in rows and "summer_launch" not in rows  # 2026; April
    assert len(programs.rows) == 8
    assert rows["spring_launch"][3].text == "launch starts Tue 19 Mar, ends 2030-04-30"
    assert rows["webinar_series"][3].text == "campaign ends Wed 20 Mar"
    # budget pro rata: 6 of March's 31 days at $3,100; 3 days at $2,800; 7 days at $9,000
    assert rows["spring_launch"][4].text == fmt_money(6 * 3100 / 31)
    assert rows["webinar_series"][4].text == fmt_money(3 * 2800 / 31)
    assert rows["linkedin_controllers"][4].text == fmt_money(7 * 9000 / 31)
    assert rows["seo_content_hub"][4].text == "—"  # no monthly_budget
    assert rows["linkedin_controllers"][5].text == "$1,240"  # spent in 2030-W10
    assert rows["close_notes"][5].text == "—"
    engine = small_ws.metrics("2030-W10", by="program", today=FIXTURE_NOW.date())
    assert small.traced and all(t.filter.startswith("program=") for t in small.traced)
    for t in small.traced:
        expected = engine.get(t.metric, t.filter.partition("=")[2]).value
        assert t.value == pytest.approx(expected, rel=1e-9)
    assert [r[1].sub for r in assets.rows] == ["sc1"]
    assert assets.rows[0][4].text == "Maya Okafor" and assets.rows[0][5].text == "scheduled"
    assert "Summer launch (launch, Tue 02 Apr)" in _texts(small, "calendar")


def fmt_money(value: float) -> str:
    return f"${value:,.0f}"


def test_rhythm_by_hand(small: Pack, small_ws: Workspace) -> None:
    recent = Span.of(parse_period("2030-W07"), parse_period("2030-W10"))
    baseline = Span.of(parse_period("2029-W46"), parse_period("2030-W06"))
    assert (baseline.days, recent.days) == (91, 28)
    ctx_assets = read_assets(_ctx(small_ws))
    found = {r.type: r for r in rhythm(ctx_assets, recent, baseline)}
    assert {t: (r.recent, r.baseline) for t, r in found.items()} == {
        "blog_post": (2, 13), "video": (1, 0), "case_study": (0, 2), "webinar": (2, 4),
        "guide": (2, 6),
    }  # fmt: skip
    assert found["blog_post"].expected == pytest.approx(4.0)
    assert found["webinar"].expected == pytest.approx(16 / 13)
    assert {t: r.status for t, r in found.items()} == {
        "blog_post": "behind", "video": "new", "case_study": "rare", "webinar": "ahead",
        "guide": "on rhythm",
    }  # fmt: skip
    assert found["webinar"].derivatives == 1
    # the starter's assets.yaml sets targets for blog_post, case_study and webinar: the rhythm
    # table holds the other types
    _, table = _tables(small, "rhythm")
    cells = {r[0].text: [c.text for c in r[1:]] for r in table.rows}
    assert list(cells) == ["guide", "video", "all types"]
    assert cells["guide"] == [
        "2",
        "0",
        f"{6 * 4 / 13:.1f}",
        f"{2 / (24 / 13) - 1:+.1%}",
        "on rhythm",
    ]
    assert cells["video"] == ["1", "0", "0.0", "—", "new"]
    assert cells["all types"] == ["3", "0", f"{24 / 13:.1f}", f"{3 / (24 / 13) - 1:+.1%}", ""]
    text = _texts(small, "rhythm")
    assert "Types without a target in assets.yaml are held" in text
    assert "Behind rhythm" not in text


def test_production_against_target_by_hand(small: Pack) -> None:
    # the starter's assets.yaml: case_study 1, blog_post 4, webinar 1 a month, derivatives count.
    # The meeting is Friday 15 March 2030: 15 of March's 31 days.
    table, _ = _tables(small, "rhythm")
    rows = {r[0].text: [c.text for c in r[1:]] for r in table.rows}
    assert rows == {
        # owner, target, published 1-15 March, pace, status, February
        "case_study": ["Priya Raman", "1", "0", f"{15 / 31:.1f}", "due", "0 of 1"],
        # bl-now on 12 March; February: bl12 (4 Feb), bl-r1 (12 Feb), bl-r2 (26 Feb)
        "blog_post": ["Priya Raman", "4", "1", f"{4 * 15 / 31:.1f}", "due", "3 of 4"],
        # wb-r2 (a derivative of wb-r1) on 6 March; February: wb-r1 (20 Feb)
        "webinar": ["Maya Okafor", "1", "1", f"{15 / 31:.1f}", "met", "1 of 1"],
    }
    assert "Behind target" not in _texts(small, "rhythm")


def _ctx(ws: Workspace) -> Any:
    from demandos.reports.packs import PackContext, find_ritual

    return PackContext(ws, find_ritual(ws, "friday_planning"), FIXTURE_NOW.date(), FIXTURE_NOW)


def test_backlog_by_owner_and_age(small: Pack, small_ws: Workspace) -> None:
    assert [status_of(s) for s in ("In Review", " Draft ", "in-review", "idea")] == [
        "review", "draft", "review", "idea",
    ]  # fmt: skip
    by_owner, oldest = _tables(small, "backlog")
    rows = {r[0].text: [c.text for c in r[1:6]] for r in by_owner.rows}
    assert rows == {  # idea, brief, draft, review, total
        "Maya Okafor": ["0", "1", "0", "1", "2"],
        "Priya Raman": ["1", "0", "2", "0", "3"],
        "Sam Rivers": ["0", "0", "1", "0", "1"],
        "no owner": ["1", "0", "0", "0", "1"],
    }
    assert [r[0].text for r in by_owner.rows] == list(rows)  # by name, no owner last
    versions = small_ws.facts.versions("assets").to_pyarrow().to_pylist()
    first = min(v[VALID_FROM] for v in versions if v["asset_id"] == "b7")
    b7 = next(a for a in read_assets(_ctx(small_ws)) if a.asset_id == "b7")
    assert b7.status == "draft" and b7.first_seen == first  # its first version, as an idea
    ages = {r[0].sub: r[4].text for r in oldest.rows}
    assert len(ages) == 7 and ages["b7"] == f"{(MEETING.date() - first.date()).days} d"
    assert "Neither backlog nor published: 2 scheduled, 1 archived." in _texts(small, "backlog")


def test_capacity_per_owner(small: Pack) -> None:
    (table,) = _tables(small, "capacity")
    rows = {r[0].text: [c.text for c in r[1:]] for r in table.rows}
    # open actions, overdue, due 2030-W12, backlog items, programs in 2030-W12, open items
    assert rows == {
        "Maya Okafor": ["1", "1", "0", "2", "3", "3"],
        "Jonas Berg": ["2", "1", "0", "0", "1", "2"],
        "Priya Raman": ["3", "0", "2", "3", "4", "6"],
        "Sam Rivers": ["0", "0", "0", "1", "0", "1"],
    }
    assert table.rows[-1][0].sub == "not in team.yaml"
    assert "load is counted in items" in _texts(small, "capacity")


def test_an_empty_workspace_says_what_it_cannot_show(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "empty")
    try:
        empty = ws.review("friday_planning", now=FIXTURE_NOW)
    finally:
        ws.close()
    assert [s.id for s in empty.sections] == SECTIONS
    assert "No action was logged at monday_review 2030-W11" in _texts(empty, "monday_actions")
    assert "No asset has a publish date in 2030-W12." in _texts(empty, "calendar")
    assert "No asset was published in 2030-W07–2030-W10" in _texts(empty, "rhythm")
    assert "The assets table is empty" in _texts(empty, "backlog")
    assert empty.notes and not empty.traced
    assert "NaN" not in render(empty, "md").decode()


# -- the demo company ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_ws: Workspace) -> Pack:
    return demo_ws.review("friday_planning", "2026-W44", now=NOW)


def test_demo_pack(demo: Pack, demo_ws: Workspace) -> None:
    assert demo.instance == "friday_planning 2026-W43" and [s.id for s in demo.sections] == SECTIONS
    (monday,) = _tables(demo, "monday_actions")
    assert [r[4].text for r in monday.rows] == [
        "overdue 2 d",
        "done Thu 22 Oct",
        "moved to 2026-10-30",
    ]
    assert len(demo.traced) >= 4
    engine = demo_ws.metrics("2026-W42", by="program", today=NOW.date())
    for t in demo.traced:
        assert t.period == "2026-W42"
        expected = engine.get(t.metric, t.filter.partition("=")[2]).value
        assert t.value == pytest.approx(expected, rel=1e-9)
    # the demo's asset owners are people of team.yaml, shown by name
    (_, published) = _tables(demo, "calendar")
    team = {p.name for p in demo_ws.specs.team.people}
    assert published.rows and all(r[4].text in team and not r[4].sub for r in published.rows)


def test_renders_three_formats(demo: Pack, small: Pack, artifacts: Path) -> None:
    for name, p in (("demo", demo), ("small", small)):
        for fmt in FORMATS:
            data = render(p, fmt)
            (artifacts / f"planning-{name}-{p.period}.{fmt}").write_bytes(data)
        assert (artifacts / f"planning-{name}-{p.period}.pdf").read_bytes().startswith(b"%PDF-")
        md = (artifacts / f"planning-{name}-{p.period}.md").read_text()
        assert "## Asset production against rhythm" in md and "NaN" not in md
        assert "Capacity per owner" in (artifacts / f"planning-{name}-{p.period}.html").read_text()
