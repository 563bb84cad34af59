"""The Monday performance review: last week's numbers, why they moved, what is off, what is owed.

Sections, each from the metrics engine (one ``compute_many`` call) or the operating log:

- **agenda**: the ritual's time boxes from cadence.yaml, from the meeting's start;
- **north star**: the tier-1 metric (DER) with target, status, change, trailing average and a
  13-week trend chart;
- **metric tree**: tiers 2-4 with value, change, trailing 4-week average, target status, owner;
- **what changed and why**: the north star and the largest movers, each split over its drivers
  (``metrics.decompose``: Shapley parts that add up to the change);
- **anomalies**: a robust z-score (median and MAD of the 13 complete weeks before), with each flag
  checked against the same ISO week last year (week-of-year seasonality);
- **issues**: metrics off target (amber or red) three weeks in a row;
- **off-kernel spend**: the share of the week's media spend that maps to no ICP segment or no
  message pillar, with its programs and owners (``kernel.conformance.off_kernel_spend``);
- **actions**: open actions at the meeting (overdue flagged) and those done since the last one;
- **decisions**: decisions made since the last meeting and how their metric moved since;
- **overdue workflow steps**: current steps of open workflow runs past their SLA at the meeting's
  start, on each run's clock (``workflows/runs.py``).

The period is the week reviewed (default: the last full ISO week in the workspace timezone);
the meeting is the ritual's instance in the week after it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from demandos.errors import CadenceError, DemandosError
from demandos.kernel.conformance import OffKernelSpend, off_kernel_spend
from demandos.metrics import MetricTable, MetricValue, compute_many
from demandos.metrics.periods import Period
from demandos.reports.charts import trend_spec
from demandos.reports.model import (
    TONE_OF_STATUS,
    Bullets,
    Cell,
    Chart,
    Group,
    Pack,
    Paragraph,
    Section,
    Table,
)
from demandos.reports.numbers import fmt, fmt_change, fmt_ratio
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import (
    agenda,
    good,
    looked_back_on,
    open_pack,
    person,
    status_cell,
    trace_row,
)

WEEKS = 13  # the trend and the anomaly baseline
Z_LIMIT = 3.5  # Iglewicz and Hoaglin's cut-off for the modified z-score
MIN_BASELINE = 8  # complete weeks an anomaly score needs
MOVERS = 3
OFF_TARGET_WEEKS = 3
TREE_COLUMNS = (
    "metric", "tier", "owner", "value", "change", "change %", "4-wk avg", "target", "status",
)  # fmt: skip


@dataclass
class _History:
    """The metric tree for the reviewed week, the weeks before it, and the same weeks last year."""

    week: Period
    weeks: list[Period]  # WEEKS before the reviewed one, then it
    tables: dict[str, MetricTable]

    def row(self, metric: str, label: str) -> MetricValue:
        return self.tables[label].get(metric)

    @property
    def now(self) -> MetricTable:
        return self.tables[self.week.label]

    def series(self, metric: str, weeks: Sequence[Period]) -> list[MetricValue]:
        return [self.row(metric, w.label) for w in weeks]


@pack("weekly_review")
def weekly_review(ctx: PackContext, period: str | None) -> Pack:
    ws, specs = ctx.ws, ctx.ws.specs
    week = looked_back_on(ctx, period, "week", "the Monday review looks back on one week")
    out, meeting = open_pack(ctx, week)
    if meeting is None:  # a weekly ritual meets every week
        raise CadenceError(f"{ctx.ritual.id} does not meet in {week.shift(1).label}")
    weeks = [week.shift(-n) for n in range(WEEKS, -1, -1)]
    last_year = week.same_period_last_year()
    ly_weeks = [last_year.shift(-n) for n in range(WEEKS, -1, -1)]
    labels = list(dict.fromkeys(w.label for w in [*ly_weeks, *weeks]))
    tables = compute_many(ws.facts, specs, labels, today=ctx.today)
    history = _History(week, weeks, {t.period: t for t in tables})

    agenda(out, ctx, meeting)
    north = _north_star(out, history)
    _tree(out, history, north)
    _why(out, ctx, history, north)
    _anomalies(out, history, ly_weeks)
    _issues(out, history)
    _off_kernel(out, ctx, week)
    _actions(out, ctx, meeting.start.replace(tzinfo=None))
    _decisions(out, ctx, history, meeting.start.replace(tzinfo=None))
    _overdue_steps(out, ctx, meeting.start)
    if north is not None and history.now.get(north).value is None:
        out.notes.append(
            f"{north} has no value for {week.label}: {history.now.get(north).reason}. "
            "Load that week's data, or pass --period with a week the store covers."
        )
    return out


# -- sections --------------------------------------------------------------------------------


def _north_star(out: Pack, h: _History) -> str | None:
    section = out.section("north_star", "North star")
    tops = [r for r in h.now.totals() if r.tier == 1]
    if not tops:
        section.add(Paragraph("metrics.yaml has no tier-1 metric (the north star).", "muted"))
        return None
    row = tops[0]
    cur = out.currency
    trace_row(out, row, "value", "change", "trailing_avg", "target")
    if row.value is None:
        state = row.state.replace("_", " ")
        text = f"{row.name} ({row.metric}), {row.period}, all channels: {state} — {row.reason}."
        section.add(Paragraph(text, "muted"))
    else:
        target = (
            f" against a target of {fmt(row.target, row.unit, cur)}: {row.status}"
            if row.target is not None
            else " (no target in metrics.yaml)"
        )
        prev = h.week.previous().label
        section.add(
            Paragraph(
                f"{row.name} ({row.metric}), {row.period}, all channels: "
                f"{fmt(row.value, row.unit, cur)}{target}. "
                f"Change on {prev}: {fmt_change(row.change, row.unit, cur)} "
                f"({fmt_ratio(row.change_ratio)}); trailing 4-week average "
                f"{fmt(row.trailing_avg, row.unit, cur)}.",
                TONE_OF_STATUS.get(row.status),
            )
        )
        if row.state == "partial":
            section.add(Paragraph(f"Partial: {row.reason}.", "warn"))
    trend = h.series(row.metric, h.weeks[1:])
    for point in trend:
        trace_row(out, point, "value")
    spec = trend_spec(
        f"{row.name}, last {WEEKS} weeks (all channels)",
        [(p.period, p.value) for p in trend],
        unit_label=f"{row.metric} ({row.unit})",
        target=row.target,
        amber=row.amber,
        red=row.red,
        percent=row.unit == "percent",
    )
    missing = [p.period for p in trend if p.value is None]
    caption = f"Weekly {row.metric}, {trend[0].period} to {trend[-1].period}"
    caption += f"; dashed lines: target {fmt(row.target, row.unit, cur)}" if row.target else ""
    caption += f"; no value for {', '.join(missing)}" if missing else ""
    section.add(
        Chart(
            spec["title"]["text"] if isinstance(spec.get("title"), dict) else row.name,
            spec,
            tuple((p.period, fmt(p.value, row.unit, cur)) for p in trend),
            caption + ".",
        )
    )
    return row.metric


def _tree(out: Pack, h: _History, north: str | None) -> None:
    section = out.section("metric_tree", "Metric tree: tiers 2-4")
    cur = out.currency
    rows, notes = [], []
    for row in h.now.totals():
        if row.tier == 1:
            continue
        trace_row(out, row, "value", "change", "trailing_avg", "target")
        rows.append(
            (
                Cell(row.name, sub=row.metric, indent=row.tier - 2),
                Cell(str(row.tier), numeric=True),
                Cell(row.owner),
                Cell(fmt(row.value, row.unit, cur), numeric=True),
                Cell(fmt_change(row.change, row.unit, cur), numeric=True),
                Cell(fmt_ratio(row.change_ratio), numeric=True),
                Cell(fmt(row.trailing_avg, row.unit, cur), numeric=True),
                Cell(fmt(row.target, row.unit, cur), numeric=True),
                status_cell(row),
            )
        )
        if row.reason:
            notes.append(Paragraph(f"{row.metric}: {row.state.replace('_', ' ')} — {row.reason}"))
    prev = h.week.previous().label
    section.add(
        Table(
            TREE_COLUMNS,
            tuple(rows),
            f"{h.week.label} ({h.week.start} to {h.week.last_day}), all channels; change on "
            f"{prev}; 4-week average of the 4 weeks before; targets scaled to one week.",
        )
    )
    if notes:
        section.add(Bullets(tuple(notes)))


def _why(out: Pack, ctx: PackContext, h: _History, north: str | None) -> None:
    section = out.section("why", "What changed and why")
    candidates = [
        r
        for r in h.now.totals()
        if r.tier in (2, 3) and r.change_ratio is not None and r.metric != north and r.change
    ]
    movers = sorted(candidates, key=lambda r: abs(r.change_ratio or 0), reverse=True)[:MOVERS]
    chosen = ([north] if north and h.now.get(north).change else []) + [m.metric for m in movers]
    if not chosen:
        section.add(Paragraph(f"No metric has a change to explain for {h.week.label}.", "muted"))
        return
    section.add(
        Paragraph(
            f"The north star and the {len(movers)} tier 2-3 metrics that moved most "
            f"(relative change, {h.week.previous().label} to {h.week.label}, all channels), each "
            "split over its drivers: the parts add up to the change (Shapley decomposition)."
        )
    )
    for metric in chosen:
        _explain(out, section, ctx, h, metric)


def _explain(out: Pack, section: Section, ctx: PackContext, h: _History, metric: str) -> None:
    row = h.now.get(metric)
    cur = out.currency
    verb = "rose" if (row.change or 0) > 0 else "fell"
    head = (
        f"{row.name} ({metric}) {verb} from {fmt(row.previous, row.unit, cur)} to "
        f"{fmt(row.value, row.unit, cur)} ({fmt_change(row.change, row.unit, cur)}, "
        f"{fmt_ratio(row.change_ratio)})."
    )
    out.trace(metric, row.period, "change", row.change)
    try:
        why = ctx.ws.explain(metric, h.week.label, today=ctx.today)
    except DemandosError as exc:
        section.add(Paragraph(f"{head} No decomposition: {exc.message}.", "muted"))
        return
    parts = sorted(why.drivers(), key=lambda p: abs(p.contribution), reverse=True)
    if not parts:
        reason = why.driver_reason or why.reason or "no driver identity"
        section.add(Paragraph(f"{head} Drivers: {reason}.", "muted"))
        return
    out.trace(metric, why.period, "value", why.value)
    lead = parts[0]
    intro = (
        Paragraph(
            f"{head} Largest driver: {lead.name} "
            f"({fmt(lead.before, lead.unit, cur)} → {fmt(lead.after, lead.unit, cur)}), "
            f"{fmt_change(lead.contribution, row.unit, cur)} of the change."
        ),
    )
    change = why.change or 0.0
    rows = tuple(
        (
            Cell(p.name),
            Cell(fmt(p.before, p.unit, cur), numeric=True),
            Cell(fmt(p.after, p.unit, cur), numeric=True),
            Cell(
                fmt_change(p.contribution, row.unit, cur),
                "good" if good(p.contribution, row.direction) else "bad",
                numeric=True,
            ),
            Cell(f"{p.contribution / change:.0%}" if change else "—", numeric=True),
        )
        for p in parts
    )
    table = Table(
        ("driver", why.against, why.period, "part of the change", "share"),
        rows,
        f"{metric} = {why.identity}; all channels.",
    )
    section.add(Group((*intro, table)))


def robust_z(value: float, baseline: Sequence[float]) -> float | None:
    """The modified z-score 0.6745 (x − median) ÷ MAD; with a zero MAD, the mean absolute
    deviation scaled to match (÷ 1.2533 MeanAD); None when the baseline is constant."""
    median = statistics.median(baseline)
    mad = statistics.median(abs(x - median) for x in baseline)
    if mad > 0:
        return 0.6745 * (value - median) / mad
    mean_ad = statistics.fmean(abs(x - median) for x in baseline)
    return (value - median) / (1.253314 * mean_ad) if mean_ad > 0 else None


def _baseline(rows: Sequence[MetricValue]) -> list[float]:
    return [r.value for r in rows if r.state == "ok" and r.value is not None]


def _anomalies(out: Pack, h: _History, ly_weeks: Sequence[Period]) -> None:
    section = out.section("anomalies", "Anomalies")
    cur = out.currency
    section.add(
        Paragraph(
            f"Each metric's {h.week.label} value (all channels) is scored against the "
            f"{WEEKS} complete weeks before it ({h.weeks[0].label} to {h.weeks[-2].label}): "
            f"robust z = 0.6745 × (value − median) ÷ MAD, flagged at |z| ≥ {Z_LIMIT}. "
            "Week-of-year seasonality: each flag is scored the same way for the same ISO week "
            f"last year ({ly_weeks[-1].label}); a flag that was there last year too is marked "
            "seasonal."
        )
    )
    rows, unscored = [], []
    for row in h.now.totals():
        baseline = _baseline(h.series(row.metric, h.weeks[:-1]))
        if row.value is None or len(baseline) < MIN_BASELINE:
            unscored.append(row.metric)
            continue
        z = robust_z(row.value, baseline)
        if z is None or abs(z) < Z_LIMIT:
            continue
        out.trace(row.metric, row.period, "value", row.value)
        rows.append(
            (
                Cell(row.name, sub=row.metric),
                Cell(row.owner),
                Cell(fmt(row.value, row.unit, cur), numeric=True),
                Cell(fmt(statistics.median(baseline), row.unit, cur), numeric=True),
                Cell(f"{z:+.1f}", "good" if good(z, row.direction) else "bad", numeric=True),
                _seasonal(h, row.metric, z, ly_weeks),
            )
        )
    if rows:
        section.add(
            Table(
                ("metric", "owner", "value", f"{WEEKS}-wk median", "robust z", "seasonality"),
                tuple(rows),
                f"{h.week.label}, all channels.",
            )
        )
    else:
        section.add(Paragraph(f"No metric is unusual in {h.week.label} (|z| < {Z_LIMIT})."))
    if unscored:
        section.add(
            Paragraph(
                f"Not scored (no value this week, or fewer than {MIN_BASELINE} complete weeks "
                f"before it): {', '.join(unscored)}.",
                "muted",
            )
        )


def _seasonal(h: _History, metric: str, z: float, ly_weeks: Sequence[Period]) -> Cell:
    then = h.row(metric, ly_weeks[-1].label)
    baseline = _baseline(h.series(metric, ly_weeks[:-1]))
    if then.value is None or len(baseline) < MIN_BASELINE:
        return Cell(f"not checked: no full history around {ly_weeks[-1].label}", "muted")
    z_then = robust_z(then.value, baseline)
    if z_then is not None and abs(z_then) >= Z_LIMIT and (z_then > 0) == (z > 0):
        return Cell(f"seasonal: {ly_weeks[-1].label} was unusual too (z {z_then:+.1f})", "muted")
    shown = f"z {z_then:+.1f}" if z_then is not None else "constant"
    return Cell(f"not seasonal: {ly_weeks[-1].label} was normal ({shown})")


def _issues(out: Pack, h: _History) -> None:
    section = out.section("issues", f"Issues: off target {OFF_TARGET_WEEKS} weeks in a row")
    cur = out.currency
    recent = h.weeks[-OFF_TARGET_WEEKS:]
    rows = []
    for row in h.now.totals():
        run = h.series(row.metric, recent)
        if not all(r.status in ("amber", "red") for r in run):
            continue
        for r in run:
            trace_row(out, r, "value", "target")
        rows.append(
            (
                Cell(row.name, sub=row.metric),
                Cell(row.owner),
                *(
                    Cell(
                        f"{fmt(r.value, r.unit, cur)} {r.status}",
                        TONE_OF_STATUS.get(r.status),
                        numeric=True,
                    )
                    for r in run
                ),
                Cell(fmt(row.target, row.unit, cur), numeric=True),
            )
        )
    if not rows:
        labels = [w.label for w in recent]
        section.add(Paragraph(f"No metric has been amber or red in each of {', '.join(labels)}."))
        return
    section.add(
        Paragraph(
            f"{len(rows)} metric(s) amber or red in each of the last {OFF_TARGET_WEEKS} weeks: "
            "each owner brings the cause and a proposal."
        ),
        Table(
            ("metric", "owner", *(w.label for w in recent), f"target {h.week.label}"),
            tuple(rows),
            "All channels; targets scaled to one week.",
        ),
    )


def off_kernel_text(spend: OffKernelSpend, week: str, currency: str) -> str:
    """The off-kernel spend line of the pack."""
    if spend.share is None:
        return f"No media spend in {week}."
    if not spend.programs:
        total = fmt(spend.total, "currency", currency)
        return f"All {total} of media spend in {week} maps to an ICP segment and a message pillar."
    programs = ", ".join(
        f"{o.id} {fmt(o.amount, 'currency', currency)} ({o.owner or 'no owner'})"
        for o in spend.programs
    )
    return (
        f"{fmt(spend.share, 'percent')} of media spend in {week} "
        f"({fmt(spend.off, 'currency', currency)} of {fmt(spend.total, 'currency', currency)}) "
        f"is off-kernel, mapped to no ICP segment or no message pillar: {programs}."
    )


def _off_kernel(out: Pack, ctx: PackContext, week: Period) -> None:
    specs = ctx.ws.specs
    spend = off_kernel_spend(ctx.ws.facts, specs.kernel, specs.channels, week.start, week.end)
    section = out.section("off_kernel", "Off-kernel spend")
    section.add(Paragraph(off_kernel_text(spend, week.label, out.currency)))


def _actions(out: Pack, ctx: PackContext, meeting: datetime) -> None:
    section = out.section("actions", "Actions")
    day = meeting.date()
    since = day - timedelta(days=7)
    follow = ctx.ws.cadence_log.follow_through(since, day)
    open_ = [*follow.overdue, *follow.carried_over]
    if open_:
        rows = []
        for a in open_:
            if a.due is None:
                state = Cell("no due date", "muted")
            elif a.due < day:
                state = Cell(f"overdue {(day - a.due).days} d", "bad")
            else:
                state = Cell(f"due in {(a.due - day).days} d")
            rows.append(
                (
                    Cell(f"#{a.id}", numeric=True),
                    Cell(a.title),
                    Cell(person(ctx, a.owner)),
                    Cell(a.due.isoformat() if a.due else "—"),
                    state,
                    Cell(a.metric_id or ""),
                )
            )
        section.add(
            Table(
                ("#", "action", "owner", "due", "at the meeting", "metric"),
                tuple(rows),
                f"Open on {day:%a %d %b %Y}: {len(follow.overdue)} overdue, "
                f"{len(follow.carried_over)} carried over.",
            )
        )
    else:
        section.add(Paragraph(f"No open actions in the operating log on {day}."))
    if follow.done:
        section.add(
            Paragraph(f"Done since the last review ({since}):"),
            Bullets(
                tuple(
                    Paragraph(
                        f"#{a.id} {a.title} — {person(ctx, a.owner)}, done {a.done_at:%Y-%m-%d}"
                        if a.done_at
                        else f"#{a.id} {a.title}",
                        "good",
                    )
                    for a in follow.done
                )
            ),
        )
    else:
        section.add(Paragraph(f"No action was done between {since} and {day}.", "muted"))


def _decisions(out: Pack, ctx: PackContext, h: _History, meeting: datetime) -> None:
    section = out.section("decisions", "Last week's decisions")
    since = meeting - timedelta(days=7)
    found = [
        d for d in ctx.ws.cadence_log.list_decisions(since=since.date()) if d.made_at < meeting
    ]
    if not found:
        section.add(Paragraph(f"No decision was logged between {since:%Y-%m-%d} and the meeting."))
        return
    cur = out.currency
    rows = []
    for d in found:
        then, now, moved = "—", "—", "—"
        if d.metric_id is not None:
            try:
                row = h.now.get(d.metric_id)
            except KeyError:
                row = None
            unit = row.unit if row else "count"
            then = f"{fmt(d.metric_value, unit, cur)} ({d.metric_period})"
            if row is not None:
                out.trace(row.metric, row.period, "value", row.value)
                now = f"{fmt(row.value, unit, cur)} ({row.period})"
                if d.metric_period == row.period:
                    moved = "decided on this week: nothing to measure yet"
                elif d.metric_value is not None and row.value is not None:
                    moved = fmt_change(row.value - d.metric_value, unit, cur)
        rows.append(
            (
                Cell(f"{d.made_at:%a %d %b}"),
                Cell(d.title),
                Cell(person(ctx, d.owner)),
                Cell(d.metric_id or ""),
                Cell(then, numeric=True),
                Cell(now, numeric=True),
                Cell(moved, numeric=True),
            )
        )
    section.add(
        Table(
            ("made", "decision", "owner", "metric", "when decided", "now", "moved since"),
            tuple(rows),
            f"Decisions from {since:%Y-%m-%d} to the meeting; metric values all channels.",
        )
    )


def _overdue_steps(out: Pack, ctx: PackContext, meeting: datetime) -> None:
    section = out.section("overdue_steps", "Overdue workflow steps")
    late = ctx.ws.workflows.overdue(meeting)
    when = f"{meeting:%a %d %b %Y %H:%M}"
    if not late:
        section.add(Paragraph(f"No workflow step is past its SLA at the meeting ({when})."))
        return
    zone = ctx.ws.workflows.zone
    rows = tuple(
        (
            Cell(f"#{r.run_id}", numeric=True),
            Cell(r.workflow_name),
            Cell(r.subject or ""),
            Cell(r.step_name),
            Cell(person(ctx, r.owner)),
            Cell(f"{r.due_at.astimezone(zone):%a %d %b %H:%M}"),
            Cell(r.overdue_text, "bad"),
        )
        for r in late
    )
    section.add(
        Table(
            ("run", "workflow", "subject", "step", "owner", "due", "at the meeting"),
            rows,
            f"Current steps of open runs past their SLA at the meeting ({when}), most overdue "
            "first; business-hours workflows count working time only.",
        )
    )
