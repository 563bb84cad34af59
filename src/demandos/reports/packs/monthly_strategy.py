"""The monthly strategy session: is the system getting better, where should budget move, what
do buyers say, and what became of the month's decisions?

Sections:

- **agenda**: the ritual's time boxes from cadence.yaml;
- **health**: ``ws.health`` over the 13 weeks ending in the month, against the 13 weeks ending
  a month earlier (efficiency, predictability, compounding, dependence), with weekly DER;
- **budget**: media spend and pipeline created by channel over the last 3 months, each
  channel's share of both and its pipeline per media dollar; media spend by program against
  channels.yaml's budgets;
- **feedback** (``kernel_feedback``): the feedback table (win/loss interviews, surveys, NPS)
  for the month against the 3 months before: responses, themes, competitor mentions, and
  competitor signals;
- **segments**: the metric tree by ICP segment, persona and message pillar;
- **decisions**: the decisions logged from the month's start to the meeting, and how their
  metric moved since.

The month is the one looked back on (default: the last full month); the meeting is the ritual's
instance in the month after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from demandos.metrics import MetricTable, compute_many, parse_period
from demandos.metrics.components import UNASSIGNED
from demandos.metrics.health import HealthReport, Indicator
from demandos.metrics.periods import Period
from demandos.reports.charts import trend_spec
from demandos.reports.model import Cell, Chart, Group, Pack, Paragraph, Table
from demandos.reports.numbers import fmt, fmt_change
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import (
    agenda,
    looked_back_on,
    open_pack,
    person,
    trace_row,
)
from demandos.reports.packs.kernel_feedback import kernel_feedback
from demandos.reports.packs.monthly import builtin_metric, labelled, runs_in, share

WINDOW = 3  # months behind a budget shift, and the feedback each month is compared with
SCORECARD = 5  # metrics per breakdown table
HEALTH_UNITS = {"percent": "percent"}  # the others read as plain numbers


@pack("monthly_strategy")
def monthly_strategy(ctx: PackContext, period: str | None) -> Pack:
    month = looked_back_on(ctx, period, "month", "the strategy session looks back on one month")
    out, meeting = open_pack(ctx, month)
    agenda(out, ctx, meeting)
    _health(out, ctx, month)
    _budget(out, ctx, month)
    kernel_feedback(out, ctx, month, WINDOW)
    _segments(out, ctx, month)
    until = (
        meeting.start.replace(tzinfo=None) if meeting else datetime.combine(month.end, _MIDNIGHT)
    )
    _decisions(out, ctx, month, until)
    return out


_MIDNIGHT = datetime.min.time()


# -- more efficient, more predictable? -------------------------------------------------------


def _health(out: Pack, ctx: PackContext, month: Period) -> None:
    section = out.section("health", "Is the system more efficient and more predictable?")
    now = ctx.ws.health(month.label, today=ctx.today)
    before = ctx.ws.health(month.previous().label, today=ctx.today)
    if not now.weeks:
        section.add(
            Paragraph(
                f"No complete week ends in {month.label}: there is no health to read.", "muted"
            )
        )
        return
    section.add(Paragraph(_verdict(now, before)))
    rows = []
    for i in now.indicators:
        then = _indicator(before, i.id)
        change = (
            i.value - then.value
            if i.value is not None and then is not None and then.value is not None
            else None
        )
        rows.append(
            (
                Cell(i.group),
                Cell(i.name, sub=i.id),
                _health_cell(i),
                _health_cell(then),
                Cell(fmt_change(change, _unit(i)) if change is not None else "—", numeric=True),
                Cell(i.meaning if i.value is not None else f"{i.state}: {i.reason}"),
            )
        )
    section.add(
        Table(
            ("group", "indicator", _window(now), _window(before), "change", "what it says"),
            tuple(rows),
            f"demandos health for {month.label} (13 weeks to {now.weeks[-1].week}) against "
            f"{month.previous().label} (13 weeks to "
            f"{before.weeks[-1].week if before.weeks else 'none'}).",
        )
    )
    der = builtin_metric(ctx, "der")
    points = [(w.week, w.der) for w in now.weeks]
    if der is not None:
        for label, value in points:
            out.trace(der, label, "value", value)
    spec = trend_spec(
        f"Weekly DER, {points[0][0]} to {points[-1][0]} (all channels)",
        points,
        unit_label="DER (ratio)",
        target=_target(ctx, der, month),
    )
    missing = [w.week for w in now.weeks if w.der is None]
    if len(missing) == len(now.weeks):
        section.add(
            Paragraph(f"No week from {points[0][0]} to {points[-1][0]} has a DER.", "muted")
        )
        return
    section.add(
        Chart(
            f"Weekly DER, {points[0][0]} to {points[-1][0]}",
            spec,
            tuple((label, fmt(value, "ratio")) for label, value in points),
            f"Weekly {der or 'DER'}: pipeline created ÷ fully loaded cost, all channels"
            + (f"; no value for {', '.join(missing)}" if missing else "")
            + ".",
        )
    )


def _indicator(report: HealthReport, id: str) -> Indicator | None:
    try:
        return report.get(id)
    except KeyError:
        return None


def _unit(i: Indicator) -> str:
    return HEALTH_UNITS.get(i.unit, "count")


def _health_cell(i: Indicator | None) -> Cell:
    if i is None or i.value is None:
        return Cell("—", "muted", numeric=True)
    return Cell(fmt(i.value, _unit(i)), numeric=True)


def _window(report: HealthReport) -> str:
    return f"13 weeks to {report.weeks[-1].week}" if report.weeks else report.period


def _verdict(now: HealthReport, before: HealthReport) -> str:
    """Two sentences: more efficient? more predictable?"""
    parts = []
    trend = _indicator(now, "efficiency_trend")
    if trend is not None and trend.value is not None:
        word = "more" if trend.value > 0 else "less"
        parts.append(
            f"{word.capitalize()} efficient: weekly DER moved {trend.value:+.3f} a week over the "
            f"13 weeks to {now.weeks[-1].week}."
        )
    else:
        parts.append("Efficiency: not enough complete weeks to fit a DER trend.")
    stable_now, stable_then = (
        _indicator(now, "pipeline_stability"),
        _indicator(before, "pipeline_stability"),
    )
    error_now, error_then = _indicator(now, "forecast_error"), _indicator(before, "forecast_error")
    if _both(stable_now, stable_then) and _both(error_now, error_then):
        assert stable_now and stable_then and error_now and error_then  # for mypy
        steadier = (stable_now.value or 0) > (stable_then.value or 0)
        closer = (error_now.value or 0) < (error_then.value or 0)
        word = (
            "more predictable"
            if steadier and closer
            else "less predictable"
            if not steadier and not closer
            else "mixed on predictability"
        )
        parts.append(
            f"{word.capitalize()} than a month earlier: pipeline stability "
            f"{stable_then.value:.2f} → {stable_now.value:.2f} (higher is steadier), forecast "
            f"error {error_then.value:.0%} → {error_now.value:.0%} (lower is better)."
        )
    else:
        parts.append("Predictability: not enough complete weeks in one of the two windows.")
    return " ".join(parts)


def _both(a: Indicator | None, b: Indicator | None) -> bool:
    return a is not None and b is not None and a.value is not None and b.value is not None


def _target(ctx: PackContext, metric: str | None, month: Period) -> float | None:
    if metric is None:
        return None
    return ctx.ws.metrics(month.label, today=ctx.today).get(metric).target


# -- budget shifts ---------------------------------------------------------------------------


def _budget(out: Pack, ctx: PackContext, month: Period) -> None:
    section = out.section("budget", "Budget shifts between programs")
    months = [month.shift(-n) for n in range(WINDOW - 1, -1, -1)]
    span = f"{months[0].label} to {months[-1].label}"
    pipeline = builtin_metric(ctx, "pipeline_created")
    media = builtin_metric(ctx, "media_spend")
    if pipeline is None or media is None:
        missing = " and ".join(
            b for b, m in (("pipeline_created", pipeline), ("media_spend", media)) if m is None
        )
        section.add(
            Paragraph(f"metrics.yaml has no metric computed by {missing}: no budget view.", "muted")
        )
        return
    labels = [m.label for m in months]
    tables = compute_many(ctx.ws.facts, ctx.ws.specs, labels, by="channel", today=ctx.today)
    total_spend, spend = _summed(out, tables, media)
    total_pipe, pipe = _summed(out, tables, pipeline)
    if not total_spend and not total_pipe:
        section.add(Paragraph(f"No media spend and no pipeline from {span}.", "muted"))
        out.notes.append(f"No spend or pipeline data from {span}: the budget view is empty.")
        return
    kinds = {c.id: c.type for c in ctx.ws.specs.channels.channels}
    names = {c.id: c.name for c in ctx.ws.specs.channels.channels}
    members = sorted(
        {m for m in (*spend, *pipe) if m != UNASSIGNED and (spend.get(m) or pipe.get(m))},
        key=lambda m: (
            not spend.get(m),
            -(pipe.get(m, 0.0) / spend[m]) if spend.get(m) else -pipe.get(m, 0.0),
        ),
    )
    cur = out.currency
    rows = []
    for m in members:
        s, p = spend.get(m, 0.0), pipe.get(m, 0.0)
        cost_share, pipe_share = share(s, total_spend), share(p, total_pipe)
        gap = pipe_share - cost_share if pipe_share is not None and cost_share is not None else None
        rows.append(
            (
                Cell(names.get(m, m), sub=m),
                Cell(kinds.get(m, "not in channels.yaml")),
                Cell(fmt(s, "currency", cur), numeric=True),
                Cell(fmt(cost_share, "percent"), numeric=True),
                Cell(fmt(p, "currency", cur), numeric=True),
                Cell(fmt(pipe_share, "percent"), numeric=True),
                Cell(fmt(p / s, "currency", cur) if s else "no media spend", numeric=True),
                Cell(
                    fmt_change(gap, "percent"),
                    None if gap is None else "good" if gap > 0 else "bad",
                    numeric=True,
                ),
            )
        )
    rows.append(
        (
            Cell("All channels"),
            Cell(""),
            Cell(fmt(total_spend, "currency", cur), numeric=True),
            Cell(fmt(1.0 if total_spend else None, "percent"), numeric=True),
            Cell(fmt(total_pipe, "currency", cur), numeric=True),
            Cell(fmt(1.0 if total_pipe else None, "percent"), numeric=True),
            Cell(
                fmt(total_pipe / total_spend, "currency", cur) if total_spend else "—", numeric=True
            ),
            Cell(""),
        )
    )
    section.add(Paragraph(_shift_sentence(spend, pipe, total_spend, total_pipe, span, cur)))
    section.add(
        Table(
            (
                "channel",
                "type",
                "media spend",
                "share of spend",
                "pipeline",
                "share of pipeline",
                "pipeline per $",
                "pipeline − spend share",
            ),
            tuple(rows),
            f"{span} summed, by channel: {media} and {pipeline}. Shares are of media spend; "
            "people, tools, agency and other costs carry no channel.",
        )
    )
    section.add(_programs(out, ctx, months, media))


def _summed(
    out: Pack, tables: Sequence[MetricTable], metric: str
) -> tuple[float, dict[str, float]]:
    """The metric summed over the tables (``compute_many``: every table lists the members of
    all of them), in total and per member; each value other than zero is traced."""
    total, members = 0.0, dict[str, float]()
    for table in tables:
        row = table.get(metric)
        trace_row(out, row, "value")
        total += row.value or 0.0
        for m in table.members(metric):
            if m.value:  # a member without a value may be listed only for the other months
                trace_row(out, m, "value")
            if m.member is not None:
                members[m.member] = members.get(m.member, 0.0) + (m.value or 0.0)
    return total, members


def _shift_sentence(
    spend: dict[str, float],
    pipe: dict[str, float],
    total_spend: float,
    total_pipe: float,
    span: str,
    cur: str,
) -> str:
    paid = {m: pipe.get(m, 0.0) / s for m, s in spend.items() if s and m != UNASSIGNED}
    free = sum(p for m, p in pipe.items() if not spend.get(m) and m != UNASSIGNED)
    parts = []
    if len(paid) >= 2:
        best = max(paid, key=lambda m: paid[m])
        worst = min(paid, key=lambda m: paid[m])
        parts.append(
            f"Per media dollar over {span}, {best} returned {fmt(paid[best], 'currency', cur)} of "
            f"pipeline and {worst} {fmt(paid[worst], 'currency', cur)}: moving budget from {worst} "
            f"({share(spend[worst], total_spend):.0%} of media spend, "
            f"{share(pipe.get(worst, 0.0), total_pipe) or 0:.0%} of pipeline) towards {best} is "
            "the shift to discuss, as far as it can take more spend at that return."
        )
    elif paid:
        (only,) = paid
        parts.append(f"Only {only} had media spend over {span}: no paid channel to compare.")
    else:
        parts.append(f"No channel had media spend over {span}.")
    if total_pipe:
        parts.append(
            f"Channels without media spend brought {free / total_pipe:.0%} of pipeline "
            f"({fmt(free, 'currency', cur)}); their cost is people and tools."
        )
    return " ".join(parts)


def _programs(out: Pack, ctx: PackContext, months: list[Period], media: str) -> Group | Paragraph:
    """Media spend by program over the months against channels.yaml's monthly budgets."""
    tables = compute_many(
        ctx.ws.facts, ctx.ws.specs, [m.label for m in months], by="program", today=ctx.today
    )
    if media in (*tables[0].unsupported, *tables[0].not_allowed):
        return Paragraph(f"{media} has no breakdown by program.", "muted")
    _, spend = _summed(out, tables, media)
    cur = out.currency
    rows = []
    for p in ctx.ws.specs.channels.programs:
        active = [m for m in months if runs_in(p, m)]
        budget = p.monthly_budget * len(active) if p.monthly_budget is not None else None
        spent = spend.pop(p.id, 0.0)
        if not spent and not budget:
            continue
        pacing = share(spent, budget)
        rows.append(
            (
                Cell(p.name, sub=p.id),
                Cell(p.channel),
                Cell(person(ctx, p.owner)),
                Cell(fmt(spent, "currency", cur), numeric=True),
                Cell(
                    fmt(budget, "currency", cur) if budget is not None else "no budget",
                    numeric=budget is not None,
                ),
                Cell(
                    fmt(pacing, "percent"),
                    None if pacing is None else "good" if 0.9 <= pacing <= 1.1 else "warn",
                    numeric=True,
                ),
            )
        )
    for member, spent in spend.items():
        if spent and member != UNASSIGNED:
            rows.append(
                (
                    Cell(member),
                    Cell("not in channels.yaml", "warn"),
                    Cell(""),
                    Cell(fmt(spent, "currency", cur), numeric=True),
                    Cell("—"),
                    Cell("—"),
                )
            )
    span = f"{months[0].label} to {months[-1].label}"
    if not rows:
        return Paragraph(f"No program had media spend or a budget from {span}.", "muted")
    return Group(
        (
            Paragraph(
                "By program: pipeline cannot be credited to programs (opportunities carry a "
                "channel, not a program), so programs are compared with their budgets."
            ),
            Table(
                ("program", "channel", "owner", "media spend", "budget", "spend ÷ budget"),
                tuple(rows),
                f"{span} summed, {media} by program; budget: channels.yaml's monthly_budget × the "
                "months the program ran.",
            ),
        )
    )


# -- performance by segment, persona and pillar ----------------------------------------------


def _segments(out: Pack, ctx: PackContext, month: Period) -> None:
    section = out.section("segments", "Performance by ICP segment, persona and message pillar")
    for by, what in (("segment", "ICP segment"), ("persona", "persona"), ("pillar", "pillar")):
        table = ctx.ws.metrics(month.label, by=by, today=ctx.today)
        section.add(labelled(f"By {what}:", _scorecard(out, table, what)))


def _scorecard(out: Pack, table: MetricTable, what: str) -> Table | Paragraph:
    """The first metrics of the tree that the breakdown has values for, one column each."""
    skip = {*table.unsupported, *table.not_allowed}
    metrics = [
        r
        for r in table.totals()
        if r.metric not in skip and any(m.value is not None for m in table.members(r.metric))
    ][:SCORECARD]
    if not metrics:
        return Paragraph(f"No metric has a value by {what} for {table.period}.", "muted")
    first = metrics[0].metric
    members = list(dict.fromkeys(m.member for r in metrics for m in table.members(r.metric)))
    members.sort(key=lambda m: -(_member_value(table, first, m) or 0.0))
    cur = out.currency
    rows = []
    for member in [*members, None]:
        cells = [Cell(member or f"all ({table.by} or not)")]
        for r in metrics:
            try:
                row = table.get(r.metric, member)
            except KeyError:
                cells.append(Cell("—", "muted", numeric=True))
                continue
            trace_row(out, row, "value")
            cells.append(Cell(fmt(row.value, row.unit, cur), numeric=True))
        rows.append(tuple(cells))
    caption = (
        f"{table.period} by {table.by}: the first {len(metrics)} metrics of the tree with a "
        f"value by {table.by}."
    )
    if UNASSIGNED in members:
        caption += (
            f" {UNASSIGNED}: the costs no {table.by} carries (people, tools, agency, other), so a "
            f"{table.by}'s cost ratios count its media spend only."
        )
    return Table((what, *(r.metric for r in metrics)), tuple(rows), caption)


def _member_value(table: MetricTable, metric: str, member: str | None) -> float | None:
    try:
        return table.get(metric, member).value
    except KeyError:
        return None


# -- decisions -------------------------------------------------------------------------------


def _decisions(out: Pack, ctx: PackContext, month: Period, until: datetime) -> None:
    section = out.section("decisions", "Decisions of the month and how their metric moved")
    found = [d for d in ctx.ws.cadence_log.list_decisions(since=month.start) if d.made_at < until]
    span = f"{month.start} to {until:%Y-%m-%d %H:%M}"
    if not found:
        section.add(Paragraph(f"No decision was logged from {span}."))
        return
    fy = ctx.ws.specs.workspace.fiscal_year_start_month
    tables: dict[str, MetricTable] = {}
    cur = out.currency
    rows = []
    for d in found:
        then_text, now_text, moved = "—", "—", Cell("no metric", "muted")
        if d.metric_id is not None and d.metric_period is not None:
            at = parse_period(d.metric_period, fiscal_year_start_month=fy)
            latest = latest_like(at, month)
            table = tables.setdefault(latest.label, ctx.ws.metrics(latest.label, today=ctx.today))
            try:
                row = table.get(d.metric_id)
            except KeyError:
                row = None
            unit = row.unit if row else "count"
            then_text = f"{fmt(d.metric_value, unit, cur)} ({d.metric_period})"
            if row is not None:
                trace_row(out, row, "value")
                now_text = f"{fmt(row.value, unit, cur)} ({row.period})"
                if latest.label == at.label:
                    moved = Cell("decided on this period: nothing to measure yet", "muted")
                elif d.metric_value is not None and row.value is not None:
                    change = row.value - d.metric_value
                    moved = Cell(
                        fmt_change(change, unit, cur),
                        "good" if (change >= 0) == (row.direction == "higher_is_better") else "bad",
                        numeric=True,
                    )
                else:
                    moved = Cell("no value to compare", "muted")
        rows.append(
            (
                Cell(f"{d.made_at:%Y-%m-%d}"),
                Cell(d.title, sub=d.ritual_id or ""),
                Cell(person(ctx, d.owner)),
                Cell(d.metric_id or ""),
                Cell(then_text, numeric=True),
                Cell(now_text, numeric=True),
                moved,
            )
        )
    section.add(
        Table(
            ("made", "decision", "owner", "metric", "when decided", "now", "moved since"),
            tuple(rows),
            f"Decisions logged from {span}. 'Now' is the metric for the latest period of the "
            f"same kind (week, month) that ends by {month.last_day}, all channels.",
        )
    )


def latest_like(period: Period, month: Period) -> Period:
    """The last period of ``period``'s grain that ends by the end of ``month`` (``period``
    itself when it ends later)."""
    latest = period
    while latest.shift(1).end <= month.end:
        latest = latest.shift(1)
    return latest
