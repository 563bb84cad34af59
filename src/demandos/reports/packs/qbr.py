"""The quarterly business review: the quarter against plan, and is the system getting better?

Sections: the agenda; the north star for the quarter against target, the previous quarter and
the same quarter last year, with its 13 weekly values; every metric of the tree against plan;
system health (``metrics.health``: efficiency trend, predictability, compounding, campaign
dependence); the metrics off target for the quarter; the decisions of the quarter. The period is
the quarter reviewed (default: the last full one); the meeting is the ritual's instance in the
quarter after it.
"""

from __future__ import annotations

from demandos.metrics.health import HealthReport
from demandos.reports.charts import trend_spec
from demandos.reports.model import TONE_OF_STATUS, Bullets, Cell, Chart, Pack, Paragraph, Table
from demandos.reports.numbers import fmt, fmt_change, fmt_ratio
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import (
    agenda,
    looked_back_on,
    open_pack,
    person,
    status_cell,
    trace_row,
)

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

    # -- decisions -----------------------------------------------------------------------
    section = out.section("decisions", "Decisions of the quarter")
    found = [
        d
        for d in ws.cadence_log.list_decisions(since=quarter.start)
        if d.made_at.date() < quarter.end
    ]
    if found:
        section.add(
            Table(
                ("made", "decision", "owner", "metric", "value when decided"),
                tuple(
                    (
                        Cell(f"{d.made_at:%Y-%m-%d}"),
                        Cell(d.title),
                        Cell(person(ctx, d.owner)),
                        Cell(d.metric_id or ""),
                        Cell(
                            f"{d.metric_value:,.4g} ({d.metric_period})"
                            if d.metric_value is not None
                            else "—",
                            numeric=True,
                        ),
                    )
                    for d in found
                ),
            )
        )
    else:
        section.add(Paragraph(f"No decision was logged in {quarter.label}."))
    out.notes.append(
        "Not in this pack yet: the plan for the next quarter (budget and targets by program) and "
        "the kernel refinement proposals; the demand audit and strategy refresh have no pack yet."
    )
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
