"""The quarterly business review: the quarter against plan, and is the system getting better?

Sections: the agenda; the north star for the quarter against target, the previous quarter and
the same quarter last year, with its 13 weekly values; every metric of the tree against plan;
system health (``metrics.health``: efficiency trend, predictability, compounding, campaign
dependence); what drove the quarter's pipeline and revenue by channel under every attribution
model (``packs.attribution``); the metrics off target for the quarter; the decisions of the
quarter. The period is the quarter reviewed (default: the last full one); the meeting is the
ritual's instance in the quarter after it.
"""

from __future__ import annotations

from demandos.errors import DemandosError
from demandos.metrics import MetricValue
from demandos.metrics.health import HealthReport
from demandos.metrics.periods import Period
from demandos.reports.charts import trend_spec
from demandos.reports.model import (
    TONE_OF_STATUS,
    Bullets,
    Cell,
    Chart,
    Pack,
    Paragraph,
    Table,
    Tone,
)
from demandos.reports.numbers import fmt, fmt_change, fmt_ratio
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.attribution import attribution_section
from demandos.reports.packs.common import (
    agenda,
    good,
    looked_back_on,
    movement,
    open_pack,
    person,
    status_cell,
    trace_row,
)

DECISION_COLUMNS = (
    "made", "decision", "owner", "metric", "when decided", "at the quarter's end", "moved since",
)  # fmt: skip
HEALTH_UNITS = {"percent": "percent"}  # the others read as plain numbers (0.58, 1.43)


@pack("qbr")
def qbr(ctx: PackContext, period: str | None) -> Pack:
    ws = ctx.ws
    quarter = looked_back_on(ctx, period, "quarter", "the QBR looks back on one quarter")
    out, meeting = open_pack(ctx, quarter)
    agenda(out, ctx, meeting)
    table = ws.metrics(quarter.label, today=ctx.today)
    health = ws.health(quarter.label, today=ctx.today)
    cur = out.currency

    # -- the north star ------------------------------------------------------------------
    section = out.section("north_star", "North star for the quarter")
    tops = [r for r in table.totals() if r.tier == 1]
    if tops:
        row = tops[0]
        trace_row(out, row, "value", "target", "change", "last_year")
        section.add(
            Paragraph(
                f"{row.name} ({row.metric}), {row.period}, all channels: "
                f"{fmt(row.value, row.unit, cur)} against a target of "
                f"{fmt(row.target, row.unit, cur)}: {row.status or row.state}. "
                f"Previous quarter {fmt(row.previous, row.unit, cur)} "
                f"({fmt_change(row.change, row.unit, cur)}); same quarter last year "
                f"{fmt(row.last_year, row.unit, cur)}.",
                TONE_OF_STATUS.get(row.status),
            )
        )
        if row.metric == "der" and health.weeks:
            points = [(w.week, w.der) for w in health.weeks]
            for label, value in points:
                out.trace("der", label, "value", value)
            spec = trend_spec(
                f"Weekly {row.name}, the 13 weeks of {quarter.label} (all channels)",
                points,
                unit_label="der (ratio)",
                target=row.target,
                amber=row.amber,
                red=row.red,
            )
            section.add(
                Chart(
                    f"Weekly {row.name}, {quarter.label}",
                    spec,
                    tuple((label, fmt(value, "ratio")) for label, value in points),
                    f"Weekly der, {points[0][0]} to {points[-1][0]}; dashed lines: the target.",
                )
            )
    else:
        section.add(Paragraph("metrics.yaml has no tier-1 metric (the north star).", "muted"))

    # -- against plan --------------------------------------------------------------------
    section = out.section("plan", "The quarter against plan")
    rows = []
    for row in table.totals():
        trace_row(out, row, "value", "target", "change", "last_year")
        rows.append(
            (
                Cell(row.name, sub=row.metric, indent=row.tier - 1),
                Cell(row.owner),
                Cell(fmt(row.value, row.unit, cur), numeric=True),
                Cell(fmt(row.target, row.unit, cur), numeric=True),
                status_cell(row),
                Cell(fmt(row.previous, row.unit, cur), numeric=True),
                Cell(fmt_ratio(row.change_ratio), numeric=True),
                Cell(fmt(row.last_year, row.unit, cur), numeric=True),
            )
        )
    section.add(
        Table(
            (
                "metric",
                "owner",
                "value",
                "target",
                "status",
                "prev. quarter",
                "change %",
                "last year",
            ),
            tuple(rows),
            f"{quarter.label} ({quarter.start} to {quarter.last_day}), all channels; targets "
            "scaled to the quarter.",
        )
    )
    off = [r for r in table.totals() if r.status in ("amber", "red")]
    section.add(
        Bullets(
            tuple(
                Paragraph(
                    f"{r.name} ({r.metric}) {r.status}: {fmt(r.value, r.unit, cur)} against "
                    f"{fmt(r.target, r.unit, cur)} — {person(ctx, r.owner)}",
                    TONE_OF_STATUS.get(r.status),
                )
                for r in off
            )
        )
        if off
        else Paragraph(f"Every metric with a target is green for {quarter.label}.", "good")
    )

    _health(out, health)
    attribution_section(out, ctx, quarter)

    _next_quarter(out, ctx, quarter)
    _decisions(out, ctx, quarter)
    return out


def _health(out: Pack, health: HealthReport) -> None:
    section = out.section("health", "System health: more efficient, more predictable?")
    section.add(
        Paragraph(
            f"Over the 13 weeks {health.weeks[0].week} to {health.weeks[-1].week} "
            "(demandos health): each indicator with what it says about the system."
            if health.weeks
            else "No complete weeks in the quarter to measure system health on."
        )
    )
    rows = tuple(
        (
            Cell(i.group),
            Cell(i.name, sub=i.id),
            Cell(
                fmt(i.value, HEALTH_UNITS.get(i.unit, "count")) if i.value is not None else "—",
                "muted" if i.value is None else None,
                numeric=True,
            ),
            Cell(i.meaning if i.value is not None else f"{i.state}: {i.reason}"),
        )
        for i in health.indicators
    )
    section.add(Table(("group", "indicator", "value", "what it says"), rows, health.period))


def _next_quarter(out: Pack, ctx: PackContext, quarter: Period) -> None:
    """Targets of the next quarter against this one's numbers, and the budget's run-rate."""
    section = out.section("next_quarter", f"Plan for {quarter.shift(1).label}")
    ahead = ctx.ws.metrics(quarter.shift(1).label, today=ctx.today)
    now = ctx.ws.metrics(quarter.label, today=ctx.today)
    cur = out.currency
    rows = []
    for row in ahead.totals():
        if row.target is None:
            continue
        done = now.get(row.metric)
        trace_row(out, row, "target")
        trace_row(out, done, "value")
        lift = None
        if done.value is not None and done.value != 0:
            lift = row.target / done.value - 1
        met = done.value is not None and good(done.value - row.target, row.direction)
        asked = Cell(
            f"met already ({fmt_ratio(lift)})" if met else fmt_ratio(lift),
            "good" if met else None,
            numeric=True,
        )
        rows.append(
            (
                Cell(row.name, sub=row.metric, indent=row.tier - 1),
                Cell(person(ctx, row.owner)),
                Cell(fmt(done.value, row.unit, cur), numeric=True),
                Cell(fmt(row.target, row.unit, cur), numeric=True),
                asked,
            )
        )
    if rows:
        section.add(
            Paragraph(
                f"Each target of metrics.yaml for {ahead.period}, scaled to the quarter, against "
                f"what {quarter.label} delivered: the change it asks for, or that the quarter "
                "already met it. Set or change targets in metrics.yaml."
            ),
            Table(
                ("metric", "owner", quarter.label, f"target {ahead.period}", "change asked"),
                tuple(rows),
                "All channels.",
            ),
        )
    else:
        section.add(Paragraph("metrics.yaml sets no targets to plan against.", "muted"))
    _run_rate(out, ctx, quarter)


def _run_rate(out: Pack, ctx: PackContext, quarter: Period) -> None:
    """This quarter's media spend and pipeline by channel: the budget's starting point."""
    section = out.get("next_quarter")
    try:
        by = ctx.ws.metrics(quarter.label, by="channel", today=ctx.today)
        spend = {r.member: r for r in by.rows if r.metric == "media_spend" and r.member}
        pipeline = {r.member: r for r in by.rows if r.metric == "pipeline_created" and r.member}
    except DemandosError as exc:
        section.add(Paragraph(f"No budget run-rate by channel: {exc.message}.", "muted"))
        return
    if not spend:
        section.add(
            Paragraph(
                "No budget run-rate by channel: metrics.yaml has no media_spend metric broken "
                "down by channel.",
                "muted",
            )
        )
        return
    cur = out.currency
    total_spend = sum(r.value or 0.0 for r in spend.values())
    total_pipe = sum(r.value or 0.0 for r in pipeline.values() if r.member in spend)
    rows = []
    for channel, s in sorted(spend.items(), key=lambda kv: -(kv[1].value or 0.0)):
        p = pipeline.get(channel)
        trace_row(out, s, "value")
        if p is not None:
            trace_row(out, p, "value")
        pipe = p.value if p is not None else None
        cost = s.value or 0.0
        per_dollar = pipe / cost if pipe is not None and cost else None
        rows.append(
            (
                Cell(channel),
                Cell(fmt(s.value, "currency", cur), numeric=True),
                Cell(fmt(cost / total_spend if total_spend else None, "percent"), numeric=True),
                Cell(fmt(pipe, "currency", cur), numeric=True),
                Cell(
                    fmt(pipe / total_pipe if pipe is not None and total_pipe else None, "percent"),
                    numeric=True,
                ),
                Cell(fmt(per_dollar, "ratio"), numeric=True),
            )
        )
    section.add(
        Paragraph(
            f"The budget's run-rate: {quarter.label}'s media spend by paid channel, with the "
            "pipeline created on the same channel (channels.yaml sources). A channel whose "
            "share of pipeline is below its share of spend is where a budget cut costs least."
        ),
        Table(
            ("channel", "media spend", "share", "pipeline created", "share", "pipeline per $"),
            tuple(rows),
            f"{quarter.label}, paid channels with spend.",
        ),
    )


def _decisions(out: Pack, ctx: PackContext, quarter: Period) -> None:
    """The quarter's decisions and how their metric moved since, to the quarter's end."""
    section = out.section("decisions", "Decisions of the quarter")
    found = [
        d
        for d in ctx.ws.cadence_log.list_decisions(since=quarter.start)
        if d.made_at.date() < quarter.end
    ]
    if not found:
        section.add(Paragraph(f"No decision was logged in {quarter.label}."))
        return
    cur = out.currency
    rows = []
    for d in found:
        until = min(quarter.end, ctx.today)
        row, moved = movement(ctx, d.metric_id, d.metric_period, d.metric_value, until)
        unit = row.unit if row is not None else "count"
        if row is not None:
            trace_row(out, row, "value")
        rows.append(
            (
                Cell(f"{d.made_at:%Y-%m-%d}"),
                Cell(d.title),
                Cell(person(ctx, d.owner)),
                Cell(d.metric_id or ""),
                Cell(
                    f"{fmt(d.metric_value, unit, cur)} ({d.metric_period})"
                    if d.metric_period
                    else "—",
                    numeric=True,
                ),
                Cell(
                    f"{fmt(row.value, unit, cur)} ({row.period})" if row is not None else "—",
                    numeric=True,
                ),
                Cell(
                    fmt_change(moved, unit, cur) if moved is not None else "—",
                    _tone(moved, row),
                    numeric=True,
                ),
            )
        )
    section.add(
        Table(
            DECISION_COLUMNS,
            tuple(rows),
            f"Decisions made in {quarter.label}; each metric all channels, in the last full "
            "period of the grain it was decided on.",
        )
    )


def _tone(moved: float | None, row: MetricValue | None) -> Tone:
    if moved is None or row is None:
        return None
    return "good" if good(moved, row.direction) else "bad"
