"""What the four monthly packs share: gaps to target, breakdowns, trends and the open actions.

    ranked = shortfalls(table)                          # metrics short of target, worst first
    off = channel_shortfalls(table, by_channel, "pipeline_created")
    levers(ranked, off, 3)                              # gap × volume, one per metric
    breakdown(out, ctx, by_channel, "mql_to_sql")       # one metric over a dimension's members
    monthly_trend(out, ctx, "mql_to_sql", month)        # its last 12 months as a chart

A **shortfall** is ``common.gap`` of a metric against its target for the month (0.25: 25% short,
or 25% over for a lower-is-better metric). A channel is held to its metric's all-channel target,
which only ratios keep (a sum's target is the total's, not a channel's), so only ratio metrics
have channel shortfalls. A shortfall's **volume** is the share of the month's pipeline it stands
for: the whole (1) for a total, the channel's share of pipeline created for a channel; the
optimization sprint ranks its levers by gap × volume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from demandos.cadence.log import ActionItem
from demandos.metrics import MetricTable, MetricValue, compute_many, parse_period
from demandos.metrics.components import UNASSIGNED
from demandos.metrics.periods import Period
from demandos.reports.charts import trend_spec
from demandos.reports.model import Cell, Chart, Group, Pack, Paragraph, Table
from demandos.reports.numbers import fmt, fmt_ratio
from demandos.reports.packs import PackContext
from demandos.reports.packs.common import gap, good, trace_row
from demandos.spec.channels import Program

MONTHS = 12  # the trend a monthly pack shows


@dataclass(frozen=True)
class Shortfall:
    """A metric (all channels, or one channel's) short of its target in a month."""

    row: MetricValue
    target: float  # the all-channel target the row is held to
    gap: float  # relative, worse is larger: 0.25 is 25% short
    volume: float = 1.0  # the share of the month's pipeline it stands for

    @property
    def score(self) -> float:
        """Gap × volume: how much of the month's result the shortfall holds back."""
        return self.gap * self.volume

    @property
    def where(self) -> str:
        return where(self.row)


def builtin_metric(ctx: PackContext, builtin: str) -> str | None:
    """The id of the metrics.yaml metric computed by the built-in formula ``builtin``."""
    for m in ctx.ws.specs.metrics.metrics:
        if m.builtin == builtin or (m.id == builtin and m.calculation is None):
            return m.id
    return None


def shortfalls(table: MetricTable) -> list[Shortfall]:
    """The metrics (all channels) short of their target, the largest gap first."""
    found = []
    for row in table.totals():
        g = gap(row)
        if g is not None and g > 0 and row.target is not None:
            found.append(Shortfall(row, row.target, g))
    return sorted(found, key=lambda s: s.gap, reverse=True)


def channel_shortfalls(
    table: MetricTable, by_channel: MetricTable, pipeline: str | None
) -> list[Shortfall]:
    """Each channel's ratio metrics held to the all-channel target, furthest off first; the
    volume is the channel's share of ``pipeline`` (0 when it has none or the month has none)."""
    total_pipeline = _value(table, pipeline, None)
    found = []
    for total in table.totals():
        # A channel keeps a ratio's target (a rate, a cost per unit), not a sum's, nor a flow
        # per day like pipeline velocity, which grows with the channel's volume.
        if total.additive or total.target is None or total.unit == "currency_per_day":
            continue
        for row in by_channel.members(total.metric):
            if row.member == UNASSIGNED or row.value is None:
                continue
            g = gap(replace(row, target=total.target))
            if g is None or g <= 0:
                continue
            mine = _value(by_channel, pipeline, row.member)
            volume = mine / total_pipeline if total_pipeline and mine is not None else 0.0
            found.append(Shortfall(row, total.target, g, volume))
    return sorted(found, key=lambda s: s.gap, reverse=True)


def levers(ranked: Sequence[Shortfall], off: Sequence[Shortfall], count: int) -> list[Shortfall]:
    """The ``count`` largest gap × volume, one per metric (its largest), largest first."""
    best: dict[str, Shortfall] = {}
    for s in [*ranked, *off]:
        if s.row.metric not in best or s.score > best[s.row.metric].score:
            best[s.row.metric] = s
    return sorted(best.values(), key=lambda s: s.score, reverse=True)[:count]


def _value(table: MetricTable, metric: str | None, member: str | None) -> float | None:
    if metric is None:
        return None
    try:
        return table.get(metric, member).value
    except KeyError:
        return None


def where(row: MetricValue) -> str:
    return "all channels" if row.member is None else f"{row.dimension} {row.member}"


def breakdown(
    out: Pack, ctx: PackContext, table: MetricTable, metric: str, *, focus: str | None = None
) -> Table | Paragraph:
    """One metric over the members of ``table.by`` (traced): value, the month before, the
    change, and each member's share of the total (sums) or its gap to the target (ratios)."""
    dim = table.by or "dimension"
    total = table.get(metric)
    if metric in table.not_allowed:
        return Paragraph(
            f"{total.name} ({metric}) is not broken down by {dim}: its dimensions in "
            "metrics.yaml leave it out.",
            "muted",
        )
    if metric in table.unsupported:
        return Paragraph(
            f"{total.name} ({metric}) has no breakdown by {dim}: its data does not carry one.",
            "muted",
        )
    members = [r for r in table.members(metric) if r.value is not None or r.previous is not None]
    if not members:
        return Paragraph(
            f"No {dim} has a value for {total.name} ({metric}) in {table.period}.", "muted"
        )
    cur = out.currency
    members.sort(key=lambda r: (r.value is None, -(r.value or 0.0)))
    last = "share of total" if total.additive else "vs target"
    if not total.additive and total.target is None:
        last = "vs all channels"
    rows = []
    for r in members:
        trace_row(out, r, "value", "previous", "change")
        rows.append(
            (
                Cell(r.member or "", sub="focus" if r.member == focus else ""),
                Cell(fmt(r.value, r.unit, cur), numeric=True),
                Cell(fmt(r.previous, r.unit, cur), numeric=True),
                Cell(fmt_ratio(r.change_ratio), numeric=True),
                _last_cell(r, total),
            )
        )
    fy = ctx.ws.specs.workspace.fiscal_year_start_month
    before = parse_period(table.period, fiscal_year_start_month=fy).previous().label
    caption = f"{total.name} ({metric}), {table.period} by {dim}; the month before: {before}."
    if not total.additive and total.target is not None:
        caption += (
            f" Each {dim} against the all-channel target {fmt(total.target, total.unit, cur)}."
        )
    return Table((dim, "value", "month before", "change %", last), tuple(rows), caption)


def labelled(label: str, block: Table | Paragraph) -> Group | Paragraph:
    """A table under a short heading, kept on one page; a (muted) paragraph as it is."""
    return Group((Paragraph(label), block)) if isinstance(block, Table) else block


def share(part: float | None, whole: float | None) -> float | None:
    """``part`` ÷ ``whole``; None when either is missing or the whole is zero."""
    if part is None or not whole:
        return None
    return part / whole


def _last_cell(row: MetricValue, total: MetricValue) -> Cell:
    """A sum's share of the total; a ratio's distance to the all-channel target (or, without
    one, to the all-channel value), toned by whether it is on the good side."""
    if total.additive:
        return Cell(fmt(share(row.value, total.value), "percent"), numeric=True)
    against = total.target if total.target is not None else total.value
    if row.value is None or not against:
        return Cell("—", "muted", numeric=True)
    off = (row.value - against) / abs(against)
    return Cell(fmt_ratio(off), "good" if good(off, row.direction) else "bad", numeric=True)


def monthly_trend(
    out: Pack,
    ctx: PackContext,
    metric: str,
    month: Period,
    *,
    member: str | None = None,
    dimension: str | None = None,
    target: float | None = None,
) -> tuple[list[MetricValue], Chart]:
    """``metric`` (all channels, or one member of ``dimension``) over the ``MONTHS`` months
    ending with ``month`` (traced), as a line with the target."""
    months = [month.shift(-n) for n in range(MONTHS - 1, -1, -1)]
    tables = compute_many(
        ctx.ws.facts, ctx.ws.specs, [m.label for m in months], by=dimension, today=ctx.today
    )
    points = [t.get(metric, member) for t in tables]
    for p in points:  # a member without a value may be listed only for the other months
        if member is None or p.value is not None:
            trace_row(out, p, "value")
    last = points[-1]
    cur = out.currency
    label = "all channels" if member is None else f"{dimension} {member}"
    level = target if target is not None else last.target
    spec = trend_spec(
        f"{last.name}, {months[0].label} to {month.label} ({label})",
        [(p.period, p.value) for p in points],
        unit_label=f"{metric} ({last.unit})",
        target=level,
        amber=last.amber if member is None else None,
        red=last.red if member is None else None,
        percent=last.unit == "percent",
    )
    missing = [p.period for p in points if p.value is None]
    caption = f"Monthly {metric}, {label}"
    if level is not None:
        caption += f"; dashed: the {month.label} target {fmt(level, last.unit, cur)}"
        caption += " (all channels)" if member is not None else ""
    if missing:
        caption += f"; no value for {', '.join(missing)}"
    chart = Chart(
        f"{last.name}, {MONTHS} months ({label})",
        spec,
        tuple((p.period, fmt(p.value, p.unit, cur)) for p in points),
        caption + ".",
    )
    return points, chart


def trend_sentence(points: Sequence[MetricValue], currency: str) -> str:
    """Where the last value sits in the trend: its range and the months on target."""
    valued = [p for p in points if p.value is not None]
    if not valued:
        return f"No month from {points[0].period} to {points[-1].period} has a value."
    row = points[-1]
    low = min(valued, key=lambda p: p.value or 0.0)
    high = max(valued, key=lambda p: p.value or 0.0)
    text = (
        f"Over {points[0].period} to {row.period} it ranged from "
        f"{fmt(low.value, row.unit, currency)} ({low.period}) to "
        f"{fmt(high.value, row.unit, currency)} ({high.period})"
    )
    rated = [p for p in valued if p.status is not None]
    if rated:
        green = sum(p.status == "green" for p in rated)
        text += f"; it was green in {green} of the {len(rated)} months with a target"
    return text + "."


def direction_word(change: float, direction: str) -> str:
    return "improved" if good(change, direction) else "worsened"


def runs_in(program: Program, month: Period) -> bool:
    """Whether a channels.yaml program runs on at least one day of ``month``."""
    start, end = program.start, program.end
    return (start is None or start <= month.last_day) and (end is None or end >= month.start)


def open_actions(ctx: PackContext, day: date) -> list[ActionItem]:
    """The actions open on ``day`` as the operating log stood then, soonest due first."""
    follow = ctx.ws.cadence_log.follow_through(day, day)
    return [*follow.overdue, *follow.carried_over]
