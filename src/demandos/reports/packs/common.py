"""What every pack builder shares: its period, its pack, its agenda, and how it shows metrics.

    period = looked_back_on(ctx, given, "month", "the deep-dive looks back on one month")
    out, meeting = open_pack(ctx, period)      # the meeting is the instance after the period
    agenda(out, ctx, meeting)
    metric_table(out, table.totals(), "the month, all channels")

A pack looks back on a period (a week, month or quarter) and is discussed at the ritual's
instance in the period after it; every metric number it shows is traced (``Pack.trace``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from demandos.cadence.rhythm import Occurrence, ritual_instance
from demandos.errors import CadenceError, DemandosError
from demandos.metrics import MetricValue, current_period, parse_period
from demandos.metrics.periods import Grain, Period
from demandos.reports.model import (
    TONE_OF_STATUS,
    Agenda,
    Cell,
    Pack,
    Paragraph,
    Slot,
    Table,
)
from demandos.reports.numbers import fmt, fmt_change, fmt_ratio
from demandos.reports.packs import PackContext

EXAMPLES = {"week": "2026-W47", "month": "2026-11", "quarter": "2026-Q3"}


def looked_back_on(ctx: PackContext, period: str | None, grain: Grain, what: str) -> Period:
    """The period a pack looks back on: ``period`` (checked to be a ``grain``), else the last
    full ``grain`` before today in the workspace timezone. ``what`` says why, for the error."""
    fy = ctx.ws.specs.workspace.fiscal_year_start_month
    if period is None:
        return current_period(grain, ctx.today, fiscal_year_start_month=fy).previous()
    found = parse_period(period, fiscal_year_start_month=fy)
    if found.grain != grain:
        raise CadenceError(
            f"{period!r} is a {found.grain}: {what}",
            hint=f"pass the {grain} reviewed, e.g. --period {EXAMPLES[grain]}",
        )
    return found


def looking_ahead_to(ctx: PackContext, period: str | None, grain: Grain, what: str) -> Period:
    """The period a planning pack plans: ``period``, else the next ``grain`` after today."""
    fy = ctx.ws.specs.workspace.fiscal_year_start_month
    if period is None:
        return current_period(grain, ctx.today, fiscal_year_start_month=fy).shift(1)
    return looked_back_on(ctx, period, grain, what)


def open_pack(ctx: PackContext, period: Period, *, meets_in: Period | None = None) -> tuple[
    Pack, Occurrence | None
]:  # fmt: skip
    """A new pack on ``period``, discussed at the ritual's instance in ``meets_in`` (default:
    the period after it); the instance is None when the ritual does not meet then."""
    specs = ctx.ws.specs
    try:
        meeting = ritual_instance(specs, ctx.ritual.id, (meets_in or period.shift(1)).label)
    except CadenceError:
        meeting = None
    out = Pack(
        kind=ctx.ritual.kind,
        ritual_id=ctx.ritual.id,
        title=ctx.ritual.name,
        workspace=specs.workspace.name,
        period=period.label,
        start=period.start,
        end=period.end,
        generated_at=ctx.now,
        meeting=meeting.start.replace(tzinfo=None) if meeting else None,
        instance=meeting.key if meeting else None,
        kernel_version=specs.kernel.version,
        currency=specs.workspace.currency,
    )
    return out, meeting


def person(ctx: PackContext, person_id: str | None) -> str:
    """A person's name from team.yaml (the id when team.yaml does not know it)."""
    names = {p.id: p.name for p in ctx.ws.specs.team.people}
    return names.get(person_id or "", person_id or "")


def agenda(out: Pack, ctx: PackContext, meeting: Occurrence | datetime | None) -> None:
    """The ritual's time boxes from cadence.yaml, from the meeting's start."""
    if meeting is None:
        return
    starts = meeting.start if isinstance(meeting, Occurrence) else meeting
    section = out.section("agenda", f"Agenda · {starts:%a %d %b %Y, %H:%M}")
    slots, at = [], starts
    for item in ctx.ritual.agenda:
        slots.append(Slot(f"{at:%H:%M}", item.minutes, item.item, person(ctx, item.owner)))
        at += timedelta(minutes=item.minutes)
    if not slots:
        section.add(Paragraph(f"cadence.yaml gives {ctx.ritual.id} no agenda.", "muted"))
        return
    section.add(Agenda(tuple(slots), starts.replace(tzinfo=None)))
    planned = ctx.ritual.duration_minutes
    total = sum(s.minutes for s in slots)
    if total != planned:
        section.add(
            Paragraph(
                f"The time boxes add up to {total} minutes; the meeting is booked for {planned}.",
                "warn",
            )
        )


def status_cell(row: MetricValue) -> Cell:
    """A metric's status against target, or why it has none, as a toned cell."""
    if row.state in ("no_data", "not_computed"):
        return Cell(row.state.replace("_", " "), "muted")
    text: str = row.status or "no target"
    if row.state == "partial":
        text += " (partial)"
    return Cell(text, TONE_OF_STATUS.get(row.status))


def trace_row(out: Pack, row: MetricValue, *fields: str) -> None:
    """Record the ``fields`` of a metric row as numbers the pack shows."""
    for name in fields:
        out.trace(row.metric, row.period, name, getattr(row, name), _filter(row))


def _filter(row: MetricValue) -> str:
    if row.member is None:
        return "all"
    return f"{row.dimension}={row.member}"


def good(change: float, direction: str) -> bool:
    """Whether a change is an improvement for a metric with this direction."""
    return change >= 0 if direction == "higher_is_better" else change <= 0


PLAN_COLUMNS = ("metric", "owner", "value", "target", "status", "previous", "change %")


def plan_table(
    out: Pack, ctx: PackContext, rows: Iterable[MetricValue], caption: str, *, tier_from: int = 1
) -> Table:
    """Metrics against target with their change on the previous period (traced)."""
    cur = out.currency
    cells = []
    for row in rows:
        trace_row(out, row, "value", "target", "previous", "change")
        cells.append(
            (
                Cell(row.name, sub=row.metric, indent=max(0, row.tier - tier_from)),
                Cell(person(ctx, row.owner)),
                Cell(fmt(row.value, row.unit, cur), numeric=True),
                Cell(fmt(row.target, row.unit, cur), numeric=True),
                status_cell(row),
                Cell(fmt(row.previous, row.unit, cur), numeric=True),
                Cell(fmt_ratio(row.change_ratio), numeric=True),
            )
        )
    return Table(PLAN_COLUMNS, tuple(cells), caption)


def gap(row: MetricValue) -> float | None:
    """How far a metric is from its target, relative and signed so that worse is larger:
    0.25 when it is 25% short of (or over, for lower-is-better) its target; None without one."""
    if row.value is None or not row.target:
        return None
    short = (row.target - row.value) / abs(row.target)
    return short if row.direction == "higher_is_better" else -short


def describe(out: Pack, row: MetricValue) -> str:
    """``Pipeline created (pipeline_created), 2026-11, all channels: $1.2M (+$80k)``."""
    cur = out.currency
    where = "all channels" if row.member is None else f"{row.dimension} {row.member}"
    change = (
        f" ({fmt_change(row.change, row.unit, cur)} on the period before)"
        if row.change is not None
        else ""
    )
    value = fmt(row.value, row.unit, cur)
    return f"{row.name} ({row.metric}), {row.period}, {where}: {value}{change}"


def movement(
    ctx: PackContext, metric: str | None, then_period: str | None, then_value: float | None,
    until: date,
) -> tuple[MetricValue | None, float | None]:  # fmt: skip
    """How a decision's metric moved: its value in the last full period of the same grain as the
    one it was decided on (a week for a week), ending by ``until``, and the change since then.

    (None, None) when the decision names no metric or period; the change is None when either
    value is missing or the latest period is the one decided on.
    """
    if metric is None or then_period is None:
        return None, None
    fy = ctx.ws.specs.workspace.fiscal_year_start_month
    try:
        then = parse_period(then_period, fiscal_year_start_month=fy)
        row = ctx.ws.metrics(
            current_period(then.grain, until, fiscal_year_start_month=fy).previous().label,
            today=ctx.today,
        ).get(metric)
    except (DemandosError, KeyError):  # a metric or period metrics.yaml no longer has
        return None, None
    if row.period == then.label or row.value is None or then_value is None:
        return row, None
    return row, row.value - then_value


def by_owner(items: Sequence[tuple[str | None, str]]) -> dict[str, list[str]]:
    """Group (owner id, text) pairs by owner, keeping order; an item without owner under ''."""
    grouped: dict[str, list[str]] = {}
    for owner, text in items:
        grouped.setdefault(owner or "", []).append(text)
    return grouped
