"""The optimization stand-up pack: drifts, ranking and budget moves checked by hand on a small
company, the change log from the operating log, and the demo's numbers equal to the engine's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from demandos.cadence.log import CadenceLog
from demandos.metrics import MetricTable, parse_period
from demandos.reports import render
from demandos.reports.model import Bullets, Pack, Paragraph, Table
from demandos.reports.packs.programs import (
    Economics,
    ProgramWeeks,
    planned_spend,
    program_weeks,
)
from demandos.reports.packs.weekly_optimization import _what, budget_move, drifts
from demandos.spec.channels import Program
from demandos.workspace import Workspace
from metrics.fixture import batch

from .conftest import NOW, WEEK

pytestmark = pytest.mark.slow

FORMATS: tuple[Literal["html", "md", "pdf"], ...] = ("html", "md", "pdf")
SECTIONS = ["agenda", "opportunities", "programs", "budget", "metric_drift", "change_log"]
REVIEWED = parse_period("2026-W10")  # Mon 2 - Sun 8 March 2026: the week the fixture reviews
FIXTURE_NOW = datetime(2026, 3, 10, 8, 0)  # Tuesday of W11, before the stand-up
CHANNEL = {
    "linkedin_controllers": "linkedin_ads",
    "google_high_intent": "google_ads",
    "audit_season_campaign": "linkedin_ads",
    "review_generation": "review_sites",
    "meta_retargeting": "meta_ads",  # not in the starter's channels.yaml
}

# (program, week offset from REVIEWED, spend, leads, opportunities, pipeline per opportunity)
PLAN = [
    *[("linkedin_controllers", -n, 1000.0, 10, 1, 5000.0) for n in (4, 3, 2, 1)],
    ("linkedin_controllers", 0, 1500.0, 6, 1, 5000.0),
    *[("google_high_intent", -n, 500.0, 10, 2, 2000.0) for n in (4, 3, 2, 1)],
    ("google_high_intent", 0, 1000.0, 18, 1, 2000.0),
    ("audit_season_campaign", 0, 1200.0, 4, 0, 0.0),
    *[("review_generation", -n, 50.0, 0, 0, 0.0) for n in (4, 3, 2)],
    ("review_generation", -1, 50.0, 0, 1, 20000.0),
    ("review_generation", 0, 50.0, 0, 0, 0.0),
    *[("meta_retargeting", -n, 100.0, 1, 1, 10000.0) for n in (3, 2, 1)],
    ("meta_retargeting", -4, 100.0, 1, 0, 0.0),
    ("meta_retargeting", 0, 100.0, 1, 0, 0.0),
]


def _company() -> dict[str, list[dict[str, Any]]]:
    """Spend, people, accounts' touches and opportunities that make PLAN, plus distractors."""
    spend: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    touches: list[dict[str, Any]] = []
    opps: list[dict[str, Any]] = []
    for program, offset, amount, leads, n_opps, size in PLAN:
        week = REVIEWED.shift(offset)
        day = week.start + timedelta(days=2)
        spend.append({"date": day, "channel": CHANNEL[program], "platform": CHANNEL[program],
                      "program_id": program, "amount": amount, "currency": "USD"})  # fmt: skip
        for i in range(leads):
            pid = f"p-{program}-{week.label}-{i}"
            at = datetime.combine(week.start, datetime.min.time()) + timedelta(days=1, minutes=i)
            people.append({"person_id": pid, "created_at": at, "lead_at": at})
            touches.append(_touch(f"t-{pid}", at, program, person=pid))
        for i in range(n_opps):
            oid = f"o-{program}-{week.label}-{i}"
            at = datetime.combine(week.start, datetime.min.time()) + timedelta(days=3, hours=i)
            opps.append({"opp_id": oid, "account_id": f"a-{oid}", "created_at": at,
                         "amount": size, "stage": "Discovery", "is_closed": False,
                         "is_won": False})  # fmt: skip
            touches.append(_touch(f"t-{oid}", at - timedelta(days=2), program, account=f"a-{oid}"))
    # Distractors: they must change no credit.
    lead = people[[p["person_id"] for p in people].index("p-linkedin_controllers-2026-W10-0")]
    touches += [
        # an earlier touch of another program, and a later one: the last touch up to the lead wins
        _touch(
            "t-x1",
            lead["lead_at"] - timedelta(days=1),
            "google_high_intent",
            person=lead["person_id"],
        ),
        _touch(
            "t-x2",
            lead["lead_at"] + timedelta(hours=1),
            "google_high_intent",
            person=lead["person_id"],
        ),
        # an earlier touch of another program on a google deal's account
        _touch(
            "t-x3",
            datetime(2026, 2, 27),
            "linkedin_controllers",
            account="a-o-google_high_intent-2026-W10-0",
        ),
        # the only touch of a deal's account is older than 90 days: unattributed
        _touch("t-x4", datetime(2025, 11, 1), "linkedin_controllers", account="a-old"),
    ]
    old = {"opp_id": "o-old", "account_id": "a-old", "created_at": datetime(2026, 3, 5)}
    opps.append({**old, "amount": 7000.0, "stage": "Discovery", "is_closed": False,
                 "is_won": False})  # fmt: skip
    # a lead with no touch at all: unattributed
    people.append({"person_id": "p-none", "created_at": datetime(2026, 3, 4),
                   "lead_at": datetime(2026, 3, 4)})  # fmt: skip
    return {"spend": spend, "people": people, "touchpoints": touches, "opportunities": opps}


def _touch(tid: str, ts: datetime, program: str, *, person: str | None = None,
           account: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"touch_id": tid, "ts": ts, "person_id": person, "account_id": account,
            "channel": CHANNEL[program], "program_id": program,
            "touch_type": "form_fill"}  # fmt: skip


def _log(ws: Workspace, when: datetime) -> CadenceLog:
    def read_metric(metric: str, period: str) -> tuple[float | None, str | None]:
        row = ws.metrics(period).get(metric)
        return row.value, row.reason

    return CadenceLog(ws.log, ws.specs, read_metric=read_metric, clock=lambda: when)


@pytest.fixture(scope="module")
def small_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("optimization") / "small")
    with ws.facts.transaction(source="test") as tx:
        for name, rows in _company().items():
            tx.load(name, batch(name, rows))
    last_week = _log(ws, datetime(2026, 3, 3, 9, 10))
    last_week.add_decision("Cap LinkedIn frequency at 3", owner="maya", metric="cpl",
                           ritual="optimization", period="2026-W10",
                           rationale="CPL drift")  # fmt: skip
    this_week = _log(ws, datetime(2026, 3, 10, 9, 5))
    this_week.add_decision("Pause two LinkedIn ad sets", owner="maya", metric="cpl",
                           ritual="optimization", period="2026-W11",
                           rationale="CPL 2.5x its 4-week level")  # fmt: skip
    this_week.add_action("Rewrite the Google ad copy", owner="jonas", due="2026-03-12",
                         ritual="optimization", period="2026-W11")  # fmt: skip
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def small(small_ws: Workspace) -> Pack:
    return small_ws.review("optimization", now=FIXTURE_NOW)  # default: the last full week


def _weeks() -> tuple[list[str], list[str]]:
    window = [REVIEWED.shift(-n).label for n in range(12, -1, -1)]
    return window, window[-5:-1]


def test_period_meeting_and_sections(small: Pack) -> None:
    assert small.period == "2026-W10" and small.instance == "optimization 2026-W11"
    assert small.meeting == datetime(2026, 3, 10, 9, 0)  # Tuesday, the first day it meets
    assert [s.id for s in small.sections] == SECTIONS
    assert all(s.blocks for s in small.sections)
    text = " ".join(b.text for b in small.get("agenda").blocks if isinstance(b, Paragraph))
    assert "Tuesday to Thursday" in text


def test_last_touch_credit_by_hand(small_ws: Workspace) -> None:
    window, trailing = _weeks()
    pw = program_weeks(small_ws.facts, [parse_period(w) for w in window])
    assert pw.get("linkedin_controllers", "2026-W10") == Economics(1500.0, 6, 1, 5000.0)
    assert pw.get("google_high_intent", "2026-W10") == Economics(1000.0, 18, 1, 2000.0)
    assert pw.total("linkedin_controllers", trailing) == Economics(4000.0, 40, 4, 20000.0)
    assert pw.total("google_high_intent", trailing) == Economics(2000.0, 40, 8, 16000.0)
    assert pw.get(None, "2026-W10") == Economics(0.0, 1, 1, 7000.0)  # no program touch
    week = pw.everything(["2026-W10"])
    engine = small_ws.metrics("2026-W10", today=FIXTURE_NOW.date())
    assert week.leads == engine.get("leads").value == 6 + 18 + 4 + 1 + 1
    assert week.pipeline == engine.get("pipeline_created").value == 5000 + 2000 + 7000


def test_drifts_ranked_by_dollars_at_stake(small_ws: Workspace) -> None:
    window, trailing = _weeks()
    pw = program_weeks(small_ws.facts, [parse_period(w) for w in window])
    found = drifts(pw, small_ws.specs.channels.programs, REVIEWED, trailing)
    assert [(o.program, o.kind) for o in found] == [
        ("linkedin_controllers", "cpl"),
        ("google_high_intent", "cost_per_opp"),
        ("audit_season_campaign", "pacing"),
    ]
    cpl, per_opp, pacing = found
    # LinkedIn: 4 weeks $4,000 for 40 leads = $100; the week $1,500 for 6 = $250 (> $125);
    # $1,500 would have bought 15 leads at $100; at stake $1,500 - 6 x $100.
    assert (cpl.week, cpl.trailing, cpl.expected, cpl.at_stake) == (250.0, 100.0, 15.0, 900.0)
    assert cpl.change_ratio == pytest.approx(1.5)
    # Google: $2,000 for 8 opportunities = $250; the week $1,000 for 1 (expected 4).
    assert (per_opp.week, per_opp.trailing, per_opp.expected) == (1000.0, 250.0, 4.0)
    assert per_opp.at_stake == 1000.0 - 250.0
    # Google's CPL: $50 before, $1,000 / 18 = $55.56 now: under $62.50, no drift.
    # The audit campaign: $3,000 a month, 7 of March's 31 days in the week; spent $1,200.
    plan = 3000.0 * 7 / 31
    assert pacing.trailing == pytest.approx(plan) and pacing.at_stake == pytest.approx(1200 - plan)
    # LinkedIn's cost per opportunity: 1,500 / 1,000 = 1.5 opportunities expected (< 2): none.
    # meta_retargeting: 4 trailing leads (< 10) and 3 opportunities (< 4): too little to judge.
    assert not [o for o in found if o.program == "meta_retargeting"]


def test_planned_spend_is_the_budget_pro_rata() -> None:
    p = Program(id="x", name="X", channel="c", kind="campaign", owner="maya",
                start=date(2026, 3, 30), end=date(2026, 4, 2), monthly_budget=3100.0)  # fmt: skip
    week = parse_period("2026-W14")  # Mon 30 Mar - Sun 5 Apr: 2 days of March, 2 of April
    assert planned_spend(p, week.start, week.end) == pytest.approx(2 * 3100 / 31 + 2 * 3100 / 30)
    assert planned_spend(p, parse_period("2026-W15").start, parse_period("2026-W15").end) == 0


def test_spend_outside_a_campaigns_dates_is_all_at_stake() -> None:
    week = parse_period("2026-W20")
    dates = {"start": date(2026, 1, 5), "end": date(2026, 3, 27)}
    ended = Program(id="old", name="Old", channel="c", kind="campaign", owner="maya",
                    monthly_budget=3000.0, **dates)  # fmt: skip
    pw = ProgramWeeks((week,), {("old", week.label): Economics(spend=400.0, leads=9)})
    (found,) = drifts(pw, [ended], week, [])
    assert (found.kind, found.trailing, found.at_stake) == ("pacing", 0.0, 400.0)
    assert _what(found) == "Spend outside its dates"


def test_budget_move_by_hand(small_ws: Workspace) -> None:
    window, _ = _weeks()
    pw = program_weeks(small_ws.facts, [parse_period(w) for w in window])
    move, why = budget_move(pw, small_ws.specs.channels.programs, "2026-W10", window)
    assert move is not None
    # 13-week pipeline per dollar: review_generation 20,000 / 250 = 80 (1 opportunity: passed
    # over), meta 30,000 / 500 = 60 (not in channels.yaml: off-kernel), google 18,000 / 3,000 =
    # 6, linkedin 25,000 / 5,500, audit 0 / 1,200 = 0: the donor.
    assert (move.donor, move.recipient) == ("audit_season_campaign", "google_high_intent")
    assert (move.donor_rate, move.recipient_rate) == (0.0, 6.0)
    amount = 0.2 * 1200 / 13
    assert move.amount == pytest.approx(amount)
    assert move.pipeline == pytest.approx(amount * 6.0)
    # CPLs over the 13 weeks: google 3,000 / 58, audit 1,200 / 4.
    assert move.leads == pytest.approx(amount / (3000 / 58) - amount / (1200 / 4))
    assert [w.split()[0] for w in why] == ["review_generation", "meta_retargeting"]


def test_pack_shows_the_ranking_and_the_move(small: Pack) -> None:
    (table,) = [b for b in small.get("opportunities").blocks if isinstance(b, Table)]
    assert [r[1].sub for r in table.rows] == [
        "linkedin_controllers", "google_high_intent", "audit_season_campaign",
    ]  # fmt: skip
    assert [r[-1].text for r in table.rows] == ["$900", "$750", "$523"]
    budget = " ".join(b.text for b in small.get("budget").blocks if isinstance(b, Paragraph))
    assert "Move $18.46 a week" in budget and "Estimate at the current average rates" in budget
    assert "+$111 pipeline a week" in budget


def test_program_rows_and_the_engine_total(small: Pack, small_ws: Workspace) -> None:
    paid, other = [b for b in small.get("programs").blocks if isinstance(b, Table)]
    rows = {r[0].text if r[0].tone == "warn" else r[0].sub: r for r in paid.rows}
    assert list(rows) == [  # by spend in the week
        "linkedin_controllers", "audit_season_campaign", "google_high_intent",
        "meta_retargeting", "review_generation",
    ]  # fmt: skip
    linkedin = [c.text for c in rows["linkedin_controllers"][2:]]
    assert linkedin == ["$1,500", "6", "$250", "$100", "1", "$1,500", "$1,000", "3.33x", "5.00x"]
    assert rows["meta_retargeting"][0].sub == "not in channels.yaml"
    (unattributed,) = other.rows
    assert unattributed[0].text == "no program touch"
    assert [c.text for c in unattributed[2:]] == ["1", "0.0", "1", "0.0", "$7,000"]
    total = " ".join(b.text for b in small.get("programs").blocks if isinstance(b, Paragraph))
    assert "leads (leads) 30; CPL (cpl) $128, 4-wk $78.57" in total  # $3,850 / 30; $6,600 / 84
    assert "media spend $3,850" in total and "summed from the programs" in total
    engine = small_ws.metrics("2026-W10", today=FIXTURE_NOW.date())
    for t in small.traced:
        assert t.period == "2026-W10" and t.filter == "all"  # the starter has no media_spend
        expected = getattr(engine.get(t.metric), t.field)
        assert t.value == (pytest.approx(expected, rel=1e-9) if expected is not None else None)


def test_change_log_from_the_operating_log(small: Pack) -> None:
    section = small.get("change_log")
    assert section.title == "Change log · optimization 2026-W11"
    now, last = [b for b in section.blocks if isinstance(b, Table)]
    assert [r[0].text for r in now.rows] == ["change", "action"]
    assert now.rows[0][2].text == "Pause two LinkedIn ad sets"
    # the cpl of the reviewed week, all programs: $3,850 / 30 leads
    assert now.rows[0][5].text == "$128 (2026-W10)"
    assert last.rows[0][1].text == "Cap LinkedIn frequency at 3"
    # kept for 2026-W09 ($1,650 / 21 leads), now 2026-W10's $3,850 / 30: up, worse
    assert last.rows[0][4].text == "$78.57 (2026-W09)"
    assert last.rows[0][5].text == "$128 (2026-W10)" and last.rows[0][6].tone == "bad"
    assert last.rows[0][6].text == "+$49.76"
    (commands,) = [b for b in section.blocks if isinstance(b, Bullets)]
    assert "--ritual optimization --period 2026-W11" in commands.items[0].text


def test_a_week_without_data_says_so(small_ws: Workspace) -> None:
    empty = small_ws.review("optimization", "2026-W30", now=FIXTURE_NOW)
    assert [s.id for s in empty.sections] == SECTIONS
    texts = {s.id: " ".join(getattr(b, "text", "") for b in s.blocks) for s in empty.sections}
    assert "No program spent in 2026-W30: nothing to rank." in texts["opportunities"]
    assert "No program spent, converted a lead or opened an opportunity" in texts["programs"]
    assert "no budget to move" in texts["budget"]
    assert "Nothing logged for optimization 2026-W31 yet." in texts["change_log"]
    assert any("No spend, lead or opportunity in 2026-W30" in n for n in empty.notes)
    assert "NaN" not in render(empty, "md").decode()


# -- the demo company ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_ws: Workspace) -> Pack:
    return demo_ws.review("optimization", WEEK, now=NOW)


def test_demo_numbers_equal_the_engine(demo: Pack, demo_ws: Workspace) -> None:
    assert [s.id for s in demo.sections] == SECTIONS
    by_program = [t for t in demo.traced if t.filter.startswith("program=")]
    assert len(by_program) >= 4  # each paid program's spend
    tables: dict[str | None, MetricTable] = {}
    for t in demo.traced:
        dim = "program" if t.filter != "all" else None
        if dim not in tables:  # one tree per breakdown, not one per number
            tables[dim] = demo_ws.metrics(t.period, by=dim, today=NOW.date())
        table = tables[dim]
        member = t.filter.partition("=")[2] or None
        expected = getattr(table.get(t.metric, member), t.field)
        assert t.value == (pytest.approx(expected, rel=1e-9) if expected is not None else None), t


def test_demo_programs_add_up_to_the_engine(demo_ws: Workspace) -> None:
    week = parse_period(WEEK)
    pw = program_weeks(demo_ws.facts, [week])
    got = pw.everything([WEEK])
    engine = demo_ws.metrics(WEEK, today=NOW.date())
    assert got.spend == pytest.approx(engine.get("media_spend").value, rel=1e-9)
    assert got.leads == engine.get("leads").value
    assert got.opps == engine.get("opportunities_created").value
    assert got.pipeline == pytest.approx(engine.get("pipeline_created").value, rel=1e-9)


def test_renders_three_formats(demo: Pack, small: Pack, artifacts: Path) -> None:
    for name, p in (("demo", demo), ("small", small)):
        for fmt in FORMATS:
            data = render(p, fmt)
            (artifacts / f"optimization-{name}-{p.period}.{fmt}").write_bytes(data)
        assert (artifacts / f"optimization-{name}-{p.period}.pdf").read_bytes().startswith(b"%PDF-")
        md = (artifacts / f"optimization-{name}-{p.period}.md").read_text()
        assert "## Optimization opportunities, by dollars at stake" in md and "NaN" not in md
        html = (artifacts / f"optimization-{name}-{p.period}.html").read_text()
        assert "Budget moves the data suggests" in html
