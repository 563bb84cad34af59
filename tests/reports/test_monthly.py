"""The four monthly packs on the demo company: sections in order, numbers equal to the engine's,
the rankings and shares each pack computes checked by hand, three formats, and an empty month.

The packs run on a copy of the demo workspace whose log holds, beside conftest's week, what the
team logged in November: a decision at the deep-dive and two actions of the optimization sprint.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from demandos.metrics import MetricTable, MetricValue
from demandos.reports import render
from demandos.reports.model import Bullets, Chart, Group, Pack, Paragraph, Table
from demandos.reports.numbers import fmt, fmt_change
from demandos.reports.packs.monthly import channel_shortfalls, levers, shortfalls
from demandos.workspace import Workspace

from .conftest import NOW, _log

pytestmark = pytest.mark.slow

MONTH = "2026-10"  # the last full month at NOW (23 Nov 2026), the demo's last month of data
SECTIONS = {
    "monthly_deep_dive": [
        "agenda",
        "tree",
        "focus",
        "trend",
        "breakdown",
        "drivers",
        "attribution",
        "findings",
    ],
    "monthly_strategy": ["agenda", "health", "budget", "feedback", "segments", "decisions"],
    "optimization_sprint": [
        "agenda",
        "levers",
        "experiments",
        "actions",
        "criteria",
        "budget_response",
    ],
    "monthly_planning": ["agenda", "programs", "targets", "content", "capacity"],
}
INSTANCES = {
    "monthly_deep_dive": (MONTH, "monthly_deep_dive 2026-11", "2026-11-03T10:00:00"),
    "monthly_strategy": (MONTH, "monthly_strategy 2026-11", "2026-11-10T10:00:00"),
    "optimization_sprint": (MONTH, "optimization_sprint 2026-11", "2026-11-17T10:00:00"),
    "monthly_planning": ("2026-12", "monthly_planning 2026-11", "2026-11-24T10:00:00"),
}


@pytest.fixture(scope="module")
def ws(demo_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("monthly") / "demo"
    shutil.copytree(demo_ws.root, root)
    copy = Workspace.open(root)
    deep_dive = _log(copy, datetime(2026, 11, 3, 11, 20))
    at_deep_dive = {"ritual": "monthly_deep_dive", "period": "2026-11"}
    deep_dive.add_decision("Route LinkedIn MQLs to an SDR within an hour", owner="tom",
                           metric="mql_to_sql", **at_deep_dive)  # fmt: skip
    sprint = _log(copy, datetime(2026, 11, 17, 10, 50))
    in_sprint = {"ritual": "optimization_sprint", "period": "2026-11"}
    sprint.add_action("Test a two-field MQL handoff form", owner="tom", due="2026-12-04",
                      metric="mql_to_sql", **in_sprint)  # fmt: skip
    sprint.add_action("Cap LinkedIn bids for controllers", owner="diego", due="2026-11-27",
                      metric="cpl", **in_sprint)  # fmt: skip
    yield copy
    copy.close()


@pytest.fixture(scope="module")
def packs(ws: Workspace) -> dict[str, Pack]:
    return {kind: ws.review(kind, now=NOW) for kind in SECTIONS}


def _table(pack: Pack, section: str, index: int = 0) -> Table:
    tables = [b for b in _blocks(pack, section) if isinstance(b, Table)]
    return tables[index]


def _blocks(pack: Pack, section: str) -> list[object]:
    out: list[object] = []
    for block in pack.get(section).blocks:
        out.extend(block.blocks if isinstance(block, Group) else [block])
    return out


def _text(pack: Pack, section: str) -> str:
    parts = []
    for block in _blocks(pack, section):
        if isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Bullets):
            parts.extend(p.text for p in block.items)
    return "\n".join(parts)


def _column(table: Table, name: str) -> int:
    return table.columns.index(name)


# -- every pack ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_sections_in_order_and_default_period(packs: dict[str, Pack], kind: str) -> None:
    pack = packs[kind]
    assert [s.id for s in pack.sections] == SECTIONS[kind]
    assert all(s.blocks for s in pack.sections)
    period, instance, meeting = INSTANCES[kind]
    assert (pack.period, pack.instance) == (period, instance)
    assert pack.meeting is not None and pack.meeting.isoformat() == meeting


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_traced_numbers_equal_the_engine(packs: dict[str, Pack], ws: Workspace, kind: str) -> None:
    tables: dict[tuple[str, str | None], MetricTable] = {}
    for t in packs[kind].traced:
        dim, _, member = t.filter.partition("=") if t.filter != "all" else (None, "", "")
        key = (t.period, dim)
        if key not in tables:
            tables[key] = ws.metrics(t.period, by=dim, today=NOW.date())
        expected = getattr(tables[key].get(t.metric, member or None), t.field)
        if expected is None:
            assert t.value is None, t
        else:
            assert t.value == pytest.approx(expected, rel=1e-9, abs=1e-12), t
    assert len(packs[kind].traced) > 5


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_renders_three_formats(packs: dict[str, Pack], kind: str, artifacts: Path) -> None:
    pack = packs[kind]
    for fmt_ in ("html", "md", "pdf"):
        (artifacts / f"{kind}-{pack.period}.{fmt_}").write_bytes(render(pack, fmt_))  # type: ignore[arg-type]
    assert (artifacts / f"{kind}-{pack.period}.pdf").read_bytes().startswith(b"%PDF-")
    md = (artifacts / f"{kind}-{pack.period}.md").read_text()
    html = (artifacts / f"{kind}-{pack.period}.html").read_text()
    for section in pack.sections:
        assert f"\n## {section.title}\n" in md
        assert f'<section id="{section.id}">' in html
    assert not re.search(r"\bnan\b", md + html, flags=re.IGNORECASE)


# -- the rankings on a small table -----------------------------------------------------------


def _row(metric: str, member: str | None, value: float | None, *, target: float | None = None,
         unit: str = "percent", direction: str = "higher_is_better",
         additive: bool = False) -> MetricValue:  # fmt: skip
    return MetricValue(
        metric=metric, name=metric, tier=3, parent=None, owner="maya", unit=unit,
        direction=direction, period=MONTH, dimension="channel" if member else None,
        member=member, value=value, state="ok" if value is not None else "no_data",
        target=target, additive=additive,
    )  # fmt: skip


def test_attribution_is_the_models_credit_and_cac_by_source_by_hand(
    packs: dict[str, Pack], ws: Workspace
) -> None:
    pack = packs["monthly_deep_dive"]
    models = ("first", "last", "linear", "w_shaped", "markov", "shapley")
    compared = ws.attribution_compare(models=models, period=MONTH)
    pipeline = _table(pack, "attribution", 0)
    assert pipeline.columns == ("channel", *models)
    credit = {a.model: {r.member: r.value for r in a.rows} for a in compared.models}
    shown = [row for row in pipeline.rows if row[0].text != "no touch in the window"]
    assert [row[0].text for row in shown] == sorted(
        credit["markov"], key=lambda m: (-credit["markov"][m], m)
    )
    for row in shown:
        for i, model in enumerate(models, start=1):
            assert row[i].text == fmt(credit[model][row[0].text], "currency")
    for model in models:  # each model's column adds up to the month's pipeline
        assert sum(credit[model].values()) + compared.models[0].unattributed_value == (
            pytest.approx(compared.models[0].value)
        )
    won = ws.attribution("markov", milestone="won", period=MONTH)
    revenue = _table(pack, "attribution", 1)
    s = ws.facts.table("spend")
    media = {
        r["channel"]: r["amount"]
        for r in s.filter((s.date >= date(2026, 10, 1)) & (s.date < date(2026, 11, 1)))
        .group_by("channel").aggregate(amount=s.amount.sum()).to_pyarrow().to_pylist()
    }  # fmt: skip
    cac = _column(revenue, "CAC by source")
    checked = 0
    for r in won.rows:
        (row,) = [row for row in revenue.rows if row[0].text == r.member]
        expected = media[r.member] / r.conversions if media.get(r.member) else None
        assert row[cac].text == fmt(expected, "currency")
        assert row[_column(revenue, "influenced")].text == fmt(r.influenced, "currency")
        checked += expected is not None
    assert checked >= 3  # the paid channels
    text = _text(pack, "attribution")
    assert "Markov credits" in text and "last touch gives it" in text


def test_rankings_on_a_small_table() -> None:
    """No metric is short for all channels; channel x is off on both ratios; the gaps,
    pipeline shares and gap × volume worked out by hand."""
    totals = [
        _row("conv", None, 0.60, target=0.50),  # 20% over: not short
        _row("cpl", None, 8.0, target=10.0, unit="currency", direction="lower_is_better"),
        _row("pipeline", None, 200.0, target=100.0, unit="currency", additive=True),
        _row("velocity", None, 9.0, target=10.0, unit="currency_per_day"),  # 10% short
    ]
    cost = {"unit": "currency", "direction": "lower_is_better"}
    members = [
        _row("conv", "x", 0.30), _row("conv", "y", 0.55),
        _row("cpl", "x", 12.0, **cost), _row("cpl", "y", 6.0, **cost),
        _row("cpl", "(unassigned)", 90.0, **cost),
        _row("pipeline", "x", 50.0), _row("pipeline", "y", 150.0),
        _row("velocity", "x", 1.0),  # a flow per day: no channel target
    ]  # fmt: skip
    table = MetricTable(MONTH, "2026-10-01", "2026-11-01", None, totals)
    channels = MetricTable(MONTH, "2026-10-01", "2026-11-01", "channel", totals + members)
    ranked = shortfalls(table)
    assert [(s.row.metric, s.gap) for s in ranked] == [("velocity", pytest.approx(0.1))]
    off = channel_shortfalls(table, channels, "pipeline")
    # conv at x: (0.50 − 0.30) ÷ 0.50 = 0.4; cpl at x: (12 − 10) ÷ 10 = 0.2; x has 50 of 200
    assert [(s.row.metric, s.row.member) for s in off] == [("conv", "x"), ("cpl", "x")]
    assert [s.gap for s in off] == [pytest.approx(0.4), pytest.approx(0.2)]
    assert [s.volume for s in off] == [pytest.approx(0.25)] * 2
    chosen = levers(ranked, off, 3)  # 0.1 × 1 = 0.1, 0.4 × 0.25 = 0.1, 0.2 × 0.25 = 0.05
    assert {(s.row.metric, s.row.member) for s in chosen[:2]} == {("velocity", None),
                                                                   ("conv", "x")}  # fmt: skip
    assert chosen[2].row.metric == "cpl" and chosen[2].score == pytest.approx(0.05)
    assert channel_shortfalls(table, channels, None)[0].volume == 0.0


# -- the deep-dive ---------------------------------------------------------------------------


def _short(row: MetricValue, target: float | None) -> float | None:
    """By hand: the shortfall against ``target``, worse is larger."""
    if row.value is None or not target:
        return None
    short = (target - row.value) / abs(target)
    return short if row.direction == "higher_is_better" else -short


def test_focus_is_the_largest_gap_computed_by_hand(packs: dict[str, Pack], ws: Workspace) -> None:
    table = ws.metrics(MONTH, today=NOW.date())
    gaps = {r.metric: _short(r, r.target) for r in table.totals()}
    ranked = sorted((m for m, g in gaps.items() if g is not None and g > 0),
                    key=lambda m: -(gaps[m] or 0))  # fmt: skip
    assert ranked[0] == "mql_to_sql"  # 31.7% against 45%: 29.6% short
    pack = packs["monthly_deep_dive"]
    ranking = _table(pack, "focus", 0)
    assert [row[1].sub for row in ranking.rows] == ranked[:5]
    assert {row[2].text for row in ranking.rows} == {"all channels"}
    assert ranking.rows[0][6].text == f"{gaps['mql_to_sql']:.1%} short"
    assert "Rule: the metric furthest short of its target" in _text(pack, "focus")
    assert pack.get("trend").title == "MQL to SQL conversion: the last 12 months"
    chart = next(b for b in pack.get("trend").blocks if isinstance(b, Chart))
    assert len(chart.points) == 12 and chart.points[-1] == (MONTH, "31.7%")


def test_channels_furthest_off_by_hand(packs: dict[str, Pack], ws: Workspace) -> None:
    table = ws.metrics(MONTH, today=NOW.date())
    channels = ws.metrics(MONTH, by="channel", today=NOW.date())
    found = []
    for total in table.totals():
        if total.additive or total.target is None or total.unit == "currency_per_day":
            continue
        for row in channels.members(total.metric):
            g = _short(row, total.target)
            if row.member != "(unassigned)" and g is not None and g > 0:
                found.append((g, total.metric, row.member))
    found.sort(reverse=True)
    off = _table(packs["monthly_deep_dive"], "focus", 1)
    assert [(r[1].sub, r[2].text) for r in off.rows] == [
        (metric, f"channel {member}") for _, metric, member in found[:3]
    ]


def test_breakdown_by_channel_and_segment(packs: dict[str, Pack], ws: Workspace) -> None:
    pack = packs["monthly_deep_dive"]
    by_channel, by_segment = _table(pack, "breakdown", 0), _table(pack, "breakdown", 1)
    channels = ws.metrics(MONTH, by="channel", today=NOW.date())
    expected = {r.member: fmt(r.value, "percent") for r in channels.members("mql_to_sql")
                if r.value is not None}  # fmt: skip
    assert {r[0].text: r[1].text for r in by_channel.rows} == expected
    assert by_channel.columns[0] == "channel" and by_segment.columns[0] == "segment"
    # vs target: each channel's distance to the all-channel target of 45%, by hand
    review = next(r for r in by_channel.rows if r[0].text == "review_sites")
    value = channels.get("mql_to_sql", "review_sites").value or 0.0
    assert review[4].text == f"{(value - 0.45) / 0.45:+.1%}" and review[4].tone == "good"
    findings = _text(pack, "findings")
    assert "largest gap to target in 2026-10" in findings
    assert "the largest driver was" in findings
    drivers = _table(pack, "drivers", 0)
    why = ws.explain("mql_to_sql", MONTH, today=NOW.date())
    assert {r[0].text for r in drivers.rows} == {p.name for p in why.drivers()}


# -- the strategy session --------------------------------------------------------------------


def test_budget_shares_by_hand(packs: dict[str, Pack], ws: Workspace) -> None:
    spend: Counter[str] = Counter()
    pipeline: Counter[str] = Counter()
    for month in ("2026-08", "2026-09", MONTH):
        table = ws.metrics(month, by="channel", today=NOW.date())
        for row in table.members("media_spend"):
            spend[row.member or ""] += row.value or 0.0
        for row in table.members("pipeline_created"):
            pipeline[row.member or ""] += row.value or 0.0
    total_spend, total_pipeline = sum(spend.values()), sum(pipeline.values())
    budget = _table(packs["monthly_strategy"], "budget", 0)
    rows = {r[0].sub: r for r in budget.rows if r[0].sub}
    assert set(rows) == {m for m in {*spend, *pipeline} if spend[m] or pipeline[m]}
    for member, row in rows.items():
        assert row[_column(budget, "share of spend")].text == fmt(
            spend[member] / total_spend, "percent"
        )
        assert row[_column(budget, "share of pipeline")].text == fmt(
            pipeline[member] / total_pipeline, "percent"
        )
        per_dollar = row[_column(budget, "pipeline per $")].text
        if spend[member]:
            assert per_dollar == fmt(pipeline[member] / spend[member], "currency")
        else:
            assert per_dollar == "no media spend"
    best = max((m for m in spend if spend[m]), key=lambda m: pipeline[m] / spend[m])
    worst = min((m for m in spend if spend[m]), key=lambda m: pipeline[m] / spend[m])
    assert f"{best} returned" in _text(packs["monthly_strategy"], "budget")
    assert f"moving budget from {worst}" in _text(packs["monthly_strategy"], "budget")


def test_program_spend_against_budget(packs: dict[str, Pack], ws: Workspace) -> None:
    table = _table(packs["monthly_strategy"], "budget", 1)
    linkedin = next(r for r in table.rows if r[0].sub == "linkedin_controllers")
    spent = sum(
        ws.metrics(m, by="program", today=NOW.date()).get("media_spend", "linkedin_controllers")
        .value or 0.0
        for m in ("2026-08", "2026-09", MONTH)
    )  # fmt: skip
    assert linkedin[3].text == fmt(spent, "currency")
    assert linkedin[4].text == fmt(9130 * 3, "currency")  # channels.yaml: 9,130 a month
    assert linkedin[5].text == fmt(spent / (9130 * 3), "percent")


def test_feedback_themes_and_competitors_by_hand(packs: dict[str, Pack], ws: Workspace) -> None:
    feedback = ws.facts.table("feedback").to_pandas()
    october = feedback[(feedback.ts >= "2026-10-01") & (feedback.ts < "2026-11-01")]
    interviews = Counter(t for _, r in october.iterrows() if r.kind == "win_loss"
                         for t in set(r.tags))  # fmt: skip
    others = Counter(t for _, r in october.iterrows() if r.kind != "win_loss"
                     for t in set(r.tags))  # fmt: skip
    themes = _table(packs["monthly_strategy"], "feedback", 1)
    assert themes.columns[:3] == ("theme", "win/loss", "surveys and NPS")
    for row in themes.rows:
        tag = row[0].text
        assert (int(row[1].text), int(row[2].text)) == (interviews[tag], others[tag])
    top = max(interviews.keys() | others.keys(), key=lambda t: interviews[t] + others[t])
    first = themes.rows[0][0].text
    assert interviews[first] + others[first] == interviews[top] + others[top]
    competitors = _table(packs["monthly_strategy"], "feedback", 2)
    named = Counter(october.competitor.dropna())
    assert {r[0].text: int(r[1].text) for r in competitors.rows} == {
        c: named[c] for c in {r[0].text for r in competitors.rows}
    }
    nps = october[october.kind == "nps"].score
    responses = _table(packs["monthly_strategy"], "feedback", 0)
    row = next(r for r in responses.rows if r[0].text == "nps")
    expected = 100 * ((nps >= 9).mean() - (nps <= 6).mean())
    assert row[2].text == f"NPS {expected:+.0f}"


def test_decisions_of_the_month_and_their_movement(packs: dict[str, Pack], ws: Workspace) -> None:
    table = _table(packs["monthly_strategy"], "decisions")
    assert [r[1].text for r in table.rows] == [
        "Shift 10% of paid social to webinars",
        "Route LinkedIn MQLs to an SDR within an hour",
    ]
    der = table.rows[0]
    then = ws.metrics("2026-W42", today=NOW.date()).get("der").value
    now = ws.metrics("2026-W43", today=NOW.date()).get("der").value
    assert then is not None and now is not None
    assert der[5].text == f"{fmt(now, 'ratio')} (2026-W43)"  # the last week ending in October
    assert der[6].text == fmt_change(now - then, "ratio")
    assert table.rows[1][6].text == "decided on this period: nothing to measure yet"


def test_health_compares_two_windows(packs: dict[str, Pack], ws: Workspace) -> None:
    table = _table(packs["monthly_strategy"], "health")
    now, before = ws.health(MONTH, today=NOW.date()), ws.health("2026-09", today=NOW.date())
    assert [r[1].sub for r in table.rows] == [i.id for i in now.indicators]
    trend = next(r for r in table.rows if r[1].sub == "efficiency_trend")
    assert trend[2].text == fmt(now.get("efficiency_trend").value, "count")
    assert trend[3].text == fmt(before.get("efficiency_trend").value, "count")
    word = "More efficient" if (now.get("efficiency_trend").value or 0) > 0 else "Less efficient"
    assert _text(packs["monthly_strategy"], "health").startswith(word)


# -- the optimization sprint -----------------------------------------------------------------


def test_levers_are_gap_times_volume_by_hand(packs: dict[str, Pack], ws: Workspace) -> None:
    table = ws.metrics(MONTH, today=NOW.date())
    channels = ws.metrics(MONTH, by="channel", today=NOW.date())
    total_pipeline = table.get("pipeline_created").value or 0.0
    scores: dict[str, tuple[float, str]] = {}
    for total in table.totals():
        candidates = [(_short(total, total.target), 1.0, "all channels")]
        if not total.additive and total.target and total.unit != "currency_per_day":
            for row in channels.members(total.metric):
                if row.member == "(unassigned)":
                    continue
                pipe = channels.get("pipeline_created", row.member).value or 0.0
                candidates.append((_short(row, total.target), pipe / total_pipeline,
                                   f"channel {row.member}"))  # fmt: skip
        for g, volume, where in candidates:
            if g is not None and g > 0 and g * volume > scores.get(total.metric, (0.0, ""))[0]:
                scores[total.metric] = (g * volume, where)
    top = sorted(scores.items(), key=lambda kv: -kv[1][0])[:3]
    levers = _table(packs["optimization_sprint"], "levers")
    assert [(r[1].sub, r[2].text, r[8].text) for r in levers.rows] == [
        (metric, where, f"{score:.3f}") for metric, (score, where) in top
    ]
    assert len(_blocks(packs["optimization_sprint"], "levers")) >= 3


def test_sprint_actions_experiments_and_criteria(packs: dict[str, Pack], ws: Workspace) -> None:
    pack = packs["optimization_sprint"]
    actions = _table(pack, "actions")
    assert [r[1].text for r in actions.rows] == [
        "Cap LinkedIn bids for controllers",
        "Test a two-field MQL handoff form",
    ]
    assert "no experiment registry yet" in _text(pack, "experiments")
    assert any("no experiment registry" in n for n in pack.notes)
    lever_metrics = {r[1].sub for r in _table(pack, "levers").rows}
    in_flight = [b for b in _blocks(pack, "experiments") if isinstance(b, Table)]
    if "mql_to_sql" in lever_metrics:  # conftest's open action on it, due 21 Oct: in flight
        assert "Fix the MQL handoff form" in [r[1].text for r in in_flight[0].rows]
    criteria = _table(pack, "criteria")
    december = ws.metrics("2026-12", today=NOW.date())
    for row in criteria.rows:
        target = december.get(row[0].sub).target
        assert row[3].text == fmt(target, december.get(row[0].sub).unit)
    assert "deep-dive on Tue 05 Jan 2027" in _text(pack, "criteria")


# -- planning --------------------------------------------------------------------------------


def test_planning_budget_targets_and_capacity(packs: dict[str, Pack], ws: Workspace) -> None:
    pack = packs["monthly_planning"]
    december = date(2026, 12, 1)
    running = [
        p for p in ws.specs.channels.programs
        if (p.start is None or p.start < date(2027, 1, 1)) and (p.end is None or p.end >= december)
    ]  # fmt: skip
    budget = sum(p.monthly_budget or 0.0 for p in running)
    assert f"{len(running)} programs run in 2026-12: {fmt(budget, 'currency')} planned" in _text(
        pack, "programs"
    )
    assert "finance_summits (ended 2026-06-30)" in _text(pack, "programs")
    targets = _table(pack, "targets")
    assert [r[0].sub for r in targets.rows] == [
        r.metric for r in ws.metrics("2026-12", today=NOW.date()).totals()
    ]
    capacity = _table(pack, "capacity")
    by_name = {r[0].text: r for r in capacity.rows}
    # on 24 Nov: Tom's handoff fix (due 21 Oct) is overdue, the sprint's form test is open;
    # Priya's briefs (due 30 Oct) are overdue; Diego's bid cap is due 27 Nov.
    assert [by_name["Tom Keller"][i].text for i in (5, 6)] == ["2", "1"]
    assert [by_name["Priya Raman"][i].text for i in (5, 6)] == ["1", "1"]
    assert [by_name["Diego Alvarez"][i].text for i in (5, 6)] == ["1", "0"]
    owned = Counter(m.owner for m in ws.specs.metrics.metrics)
    assert {r[0].text: int(r[1].text) for r in capacity.rows} == {
        p.name: owned[p.id] for p in ws.specs.team.people
    }


def test_content_calendar_counts_the_assets(ws: Workspace) -> None:
    pack = ws.review("monthly_planning", MONTH, now=NOW)  # plans October: the demo's data
    assert pack.period == MONTH and pack.instance == "monthly_planning 2026-09"
    assets = ws.facts.table("assets").to_pandas()
    october = assets[(assets.published_at >= "2026-10-01") & (assets.published_at < "2026-11-01")]
    calendar = _table(pack, "content", 0)
    assert [r[1].sub for r in calendar.rows] == list(october.sort_values("published_at").asset_id)
    assert f"{len(october)} assets are dated in 2026-10" in _text(pack, "content")


# -- a month without data --------------------------------------------------------------------


EMPTY = {
    "monthly_deep_dive": ("2024-01", "No metric has a value for 2024-01"),
    "monthly_strategy": ("2024-01", "No media spend and no pipeline from 2023-11 to 2024-01"),
    "optimization_sprint": ("2024-01", "no lever to pull"),
    "monthly_planning": ("2024-03", "No metric has a value for 2024-01 to plan from"),
}


@pytest.mark.parametrize("kind", list(EMPTY))
def test_an_empty_month_says_so(ws: Workspace, kind: str) -> None:
    period, says = EMPTY[kind]
    pack = ws.review(kind, period, now=NOW)
    assert [s.id for s in pack.sections] == SECTIONS[kind]
    assert all(s.blocks for s in pack.sections)
    text = "\n".join(_text(pack, s.id) for s in pack.sections)
    assert says in text
    assert all(t.value is None for t in pack.traced if t.field in ("value", "change"))
    md = render(pack, "md").decode()
    assert not re.search(r"\bnan\b", md, flags=re.IGNORECASE)
    if kind != "monthly_planning":
        assert pack.notes
