"""The quarterly strategy refresh: the kernel against the evidence, the channel mix, the rollout.

Sections:

- **agenda**: the ritual's time boxes from cadence.yaml;
- **kernel**: kernel.yaml as it stands — version, positioning, segments with their fit rules,
  personas, pillars, competitors;
- **performance**: deals by segment, persona and pillar over the evidence window (the four
  quarters ending with the quarter reviewed; ``kernel.review_kernel``): closed deals and win
  rate, deals created and average deal size, deals won and sales cycle, each with its 95%
  interval, and pipeline per media dollar where spend maps to the member; then the quarter itself
  by segment from the metrics engine (traced);
- **proposals**: the kernel refinement proposals with their evidence (each comparison's values,
  difference and interval, deals per side, test statistic, raw and Holm-adjusted p-values), the
  groups whose evidence points both ways, and, muted, the differences that looked notable but had
  too few deals to test;
- **voice**: the window's win/loss notes (themes, after a win or a loss) and competitors (notes
  naming each, in the last quarter against before, competitor signals, whether kernel.yaml lists
  it);
- **channels**: pipeline created and media spend by channel for the quarter against the quarter
  before, each channel's share of both (metrics engine, by channel, traced); media spend by
  program with its kind and kernel mapping (by program, traced);
- **rollout**: rollout.yaml's phases with their dates and where the meeting falls in them.

The quarter is the one looked back on (default: the last full quarter); the meeting is the
ritual's instance in the quarter after it.
"""

from __future__ import annotations

from datetime import date, timedelta

from demandos.errors import DemandosError
from demandos.kernel.proposals import review_kernel
from demandos.metrics import MetricTable, MetricValue
from demandos.metrics.components import UNASSIGNED
from demandos.metrics.periods import Period
from demandos.reports.model import Cell, Group, Pack, Paragraph, Table, Tone
from demandos.reports.numbers import fmt, fmt_ratio
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import agenda, looked_back_on, open_pack, trace_row
from demandos.reports.packs.kernel_review import (
    kernel_section,
    performance_section,
    proposals_section,
    voice_section,
)
from demandos.spec.channels import Program


@pack("strategy_refresh")
def strategy_refresh(ctx: PackContext, period: str | None) -> Pack:
    quarter = looked_back_on(ctx, period, "quarter", "the strategy refresh looks back on a quarter")
    out, meeting = open_pack(ctx, quarter)
    agenda(out, ctx, meeting)
    review = review_kernel(ctx.ws.facts, ctx.ws.specs, quarter.label)
    out.notes.append(
        f"Performance and proposals read the evidence window {review.window.describe()} from "
        "the kernel review (docs/kernel.md), not one period of the metrics engine; the quarter "
        "by segment and the channel mix are the engine's."
    )
    kernel_section(out, ctx.ws.specs.kernel)
    performance_section(out, review)
    _quarter_by_segment(out, ctx, quarter)
    proposals_section(out, review)
    voice_section(out, review)
    _channels(out, ctx, quarter)
    _rollout(out, ctx, meeting.start.date() if meeting else None)
    return out


def builtin_id(ctx: PackContext, builtin: str) -> str | None:
    """The id of the metrics.yaml metric computed by the built-in formula ``builtin``."""
    for m in ctx.ws.specs.metrics.metrics:
        if m.builtin == builtin or (m.id == builtin and m.calculation is None):
            return m.id
    return None


def _members(table: MetricTable, metric: str | None) -> dict[str, MetricValue]:
    if metric is None:
        return {}
    return {r.member: r for r in table.members(metric) if r.member is not None}


QUARTER_METRICS = (  # builtin, column, unit
    ("pipeline_created", "pipeline created", "currency"),
    ("win_rate", "win rate", "percent"),
    ("sales_cycle_days", "sales cycle", "days"),
    ("media_spend", "media spend", "currency"),
)


def _quarter_by_segment(out: Pack, ctx: PackContext, quarter: Period) -> None:
    section = out.get("performance")
    try:
        table = ctx.ws.metrics(quarter.label, by="segment", today=ctx.today)
    except DemandosError as exc:
        section.add(
            Paragraph(f"No breakdown of {quarter.label} by segment: {exc.message}.", "muted")
        )
        return
    found = [
        (b, name, unit, _members(table, builtin_id(ctx, b))) for b, name, unit in QUARTER_METRICS
    ]
    found = [f for f in found if f[3]]
    if not found:
        section.add(
            Paragraph(
                f"metrics.yaml breaks none of pipeline created, win rate, sales cycle or media "
                f"spend down by segment: {quarter.label} by segment cannot be shown.",
                "muted",
            )
        )
        return
    kernel_order = [s.id for s in ctx.ws.specs.kernel.segments]
    seen = {m for *_, rows in found for m in rows}
    order = [m for m in kernel_order if m in seen] + sorted(seen - set(kernel_order))
    rows = []
    cur = out.currency
    for member in order:
        cells = [Cell(member, None if member in kernel_order else "muted")]
        for _, _, unit, by_member in found:
            row = by_member.get(member)
            if row is None:
                cells.append(Cell("—", "muted", numeric=True))
                continue
            trace_row(out, row, "value", "previous")
            cells.append(Cell(fmt(row.value, unit, cur), numeric=True,
                              sub=f"prev. {fmt(row.previous, unit, cur)}"))  # fmt: skip
        rows.append(tuple(cells))
    missing = [name for b, name, _ in QUARTER_METRICS if b not in {f[0] for f in found}]
    caption = f"{quarter.label} and, small, {quarter.previous().label}; metrics engine, by segment."
    if missing:
        caption += f" Not broken down by segment in metrics.yaml: {', '.join(missing)}."
    section.add(
        Group(
            (
                Paragraph(f"The quarter itself, {quarter.label}, by segment (metrics engine)."),
                Table(("segment", *(f[1] for f in found)), tuple(rows), caption),
            )
        )
    )


# -- channel mix and program portfolio -------------------------------------------------------


def share(row: MetricValue | None, total: float | None, field: str = "value") -> float | None:
    """A member's share of the total (None without a positive total or a value)."""
    value = getattr(row, field) if row is not None else None
    if value is None or not total:
        return None
    return float(value) / total


def _prev_share(value: float | None) -> str:
    return "" if value is None else f"prev. {fmt(value, 'percent')}"


def _total(table: MetricTable, metric: str | None, field: str = "value") -> float | None:
    if metric is None:
        return None
    try:
        value = getattr(table.get(metric), field)
    except KeyError:
        return None
    return float(value) if value is not None else None


def _channels(out: Pack, ctx: PackContext, quarter: Period) -> None:
    section = out.section("channels", "Channel mix and program portfolio")
    try:
        table = ctx.ws.metrics(quarter.label, by="channel", today=ctx.today)
    except DemandosError as exc:
        section.add(Paragraph(f"No breakdown by channel: {exc.message}.", "muted"))
        return
    pipe_id = builtin_id(ctx, "pipeline_created")
    cost_id = builtin_id(ctx, "media_spend")
    pipe, cost = _members(table, pipe_id), _members(table, cost_id)
    if not pipe and not cost:
        section.add(
            Paragraph(
                "metrics.yaml breaks neither pipeline created nor media spend down by channel: "
                "the channel mix cannot be shown.",
                "muted",
            )
        )
    else:
        _mix_table(out, ctx, table, quarter, (pipe_id, pipe), (cost_id, cost))
    _programs(out, ctx, quarter)


def _mix_table(
    out: Pack,
    ctx: PackContext,
    table: MetricTable,
    quarter: Period,
    pipeline: tuple[str | None, dict[str, MetricValue]],
    media: tuple[str | None, dict[str, MetricValue]],
) -> None:
    section = out.get("channels")
    cur = out.currency
    (pipe_id, pipe), (cost_id, cost) = pipeline, media
    totals = {
        "pipe": (_total(table, pipe_id), _total(table, pipe_id, "previous")),
        "cost": (_total(table, cost_id), _total(table, cost_id, "previous")),
    }
    types = {c.id: c.type for c in ctx.ws.specs.channels.channels}
    members = sorted(
        set(pipe) | set(cost),
        key=lambda m: (-((pipe[m].value or 0.0) if m in pipe else 0.0), m),
    )
    rows = []
    by_type: dict[str, list[float]] = {}
    for m in members:
        p, c = pipe.get(m), cost.get(m)
        for row in (p, c):
            if row is not None:
                trace_row(out, row, "value", "previous")
        kind = types.get(m, "not in channels.yaml" if m != UNASSIGNED else "no channel")
        sums = by_type.setdefault(kind, [0.0, 0.0, 0.0, 0.0])
        for i, (row, field) in enumerate(((p, "value"), (p, "previous"), (c, "value"),
                                          (c, "previous"))):  # fmt: skip
            sums[i] += (getattr(row, field) or 0.0) if row is not None else 0.0
        per_dollar = (
            p.value / c.value if p is not None and c is not None and p.value and c.value else None
        )
        rows.append(
            (
                Cell(m, None if m in types else "muted", sub=kind if m in types else ""),
                Cell(fmt(p.value if p else None, "currency", cur), numeric=True),
                Cell(fmt(share(p, totals["pipe"][0]), "percent"), numeric=True,
                     sub=_prev_share(share(p, totals["pipe"][1], "previous"))),
                Cell(fmt(c.value if c else None, "currency", cur), numeric=True),
                Cell(fmt(share(c, totals["cost"][0]), "percent"), numeric=True,
                     sub=_prev_share(share(c, totals["cost"][1], "previous"))),
                Cell(fmt(per_dollar, "ratio"), numeric=True),
            )
        )  # fmt: skip
    prev = quarter.previous().label
    section.add(
        Group(
            (
                Paragraph(
                    f"Where {quarter.label}'s pipeline came from and where its media went, by "
                    f"channel, with each channel's share against {prev} (small). Leads and deals "
                    "find their channel through channels.yaml's sources."
                ),
                Table(
                    (
                        "channel",
                        "pipeline created",
                        "share",
                        "media spend",
                        "share",
                        "pipeline per media $",
                    ),
                    tuple(rows),
                    f"{quarter.label}; metrics engine by channel ({pipe_id or 'no pipeline metric'}"
                    f", {cost_id or 'no media metric'}). Costs other than media carry no channel.",
                ),
            )
        )
    )
    section.add(_mix_sentence(by_type, totals, quarter))


TYPES = ("owned", "earned", "paid")


def _mix_sentence(
    by_type: dict[str, list[float]],
    totals: dict[str, tuple[float | None, float | None]],
    quarter: Period,
) -> Paragraph:
    """Owned, earned and paid shares of pipeline, this quarter against the one before."""
    pipe_now, pipe_before = totals["pipe"]
    if not pipe_now:
        return Paragraph(
            f"No pipeline created in {quarter.label} to split by channel type.", "muted"
        )
    parts = []
    for kind in (*TYPES, "not in channels.yaml", "no channel"):
        sums = by_type.get(kind)
        if sums is None or not (sums[0] or sums[1]):
            continue
        now = sums[0] / pipe_now
        before = sums[1] / pipe_before if pipe_before else None
        parts.append(f"{kind} {fmt(now, 'percent')} (from {fmt(before, 'percent')})")
    return Paragraph(f"Pipeline created in {quarter.label} by channel type: {', '.join(parts)}.")


def _mapping(program: Program) -> tuple[str, bool]:
    """A program's segments and pillars in words, and whether it is on the kernel (both set)."""
    segments = ", ".join(program.segments) or "no segment"
    pillars = ", ".join(program.pillars) or "no pillar"
    return f"{segments} · {pillars}", bool(program.segments) and bool(program.pillars)


def _programs(out: Pack, ctx: PackContext, quarter: Period) -> None:
    section = out.get("channels")
    cur = out.currency
    cost_id = builtin_id(ctx, "media_spend")
    programs = {p.id: p for p in ctx.ws.specs.channels.programs}
    try:
        table = ctx.ws.metrics(quarter.label, by="program", today=ctx.today)
    except DemandosError as exc:
        section.add(Paragraph(f"No media spend by program: {exc.message}.", "muted"))
        return
    spend = {m: r for m, r in _members(table, cost_id).items() if r.value or r.previous}
    if not spend:
        section.add(
            Paragraph(
                f"No program has media spend in {quarter.label} or {quarter.previous().label} "
                "(or metrics.yaml breaks no media spend metric down by program).",
                "muted",
            )
        )
    total = _total(table, cost_id) or 0.0
    before = _total(table, cost_id, "previous") or 0.0
    rows = []
    by_kind: dict[str, list[float]] = {}
    for member, row in sorted(spend.items(), key=lambda kv: (-(kv[1].value or 0.0), kv[0])):
        trace_row(out, row, "value", "previous")
        program = programs.get(member)
        kind = program.kind.replace("_", "-") if program else "not in channels.yaml"
        sums = by_kind.setdefault(kind, [0.0, 0.0])
        sums[0] += row.value or 0.0
        sums[1] += row.previous or 0.0
        mapping, on_kernel = _mapping(program) if program else ("—", False)
        rows.append(
            (
                Cell(program.name if program else member, sub=member if program else ""),
                Cell(program.channel if program else "—"),
                Cell(kind, None if program else "warn"),
                Cell(mapping, None if on_kernel else "warn"),
                Cell(fmt(row.value, "currency", cur), numeric=True),
                Cell(fmt(row.previous, "currency", cur), numeric=True),
                Cell(fmt_ratio(row.change_ratio), numeric=True),
            )
        )
    if rows:
        section.add(
            Group(
                (
                    Paragraph(
                        f"The program portfolio: media spend by program in {quarter.label} "
                        f"against {quarter.previous().label}, with each program's kind and the "
                        "segments and pillars channels.yaml maps it to (amber: off-kernel)."
                    ),
                    Table(
                        ("program", "channel", "kind", "segments · pillars", "media spend",
                         "previous", "change"),
                        tuple(rows),
                        f"{quarter.label}; metrics engine by program ({cost_id}).",
                    ),
                )
            )
        )  # fmt: skip
        parts = [
            f"{kind} {fmt(sums[0] / total if total else None, 'percent')} "
            f"(from {fmt(sums[1] / before if before else None, 'percent')})"
            for kind, sums in sorted(by_kind.items())
        ]
        section.add(
            Paragraph(f"Media spend of {quarter.label} by program kind: {', '.join(parts)}.")
        )
    unspent = [p for pid, p in programs.items() if pid not in spend]
    if unspent:
        off = [p.id for p in unspent if not _mapping(p)[1]]
        text = (
            f"{len(unspent)} programs of channels.yaml spent no media in either quarter (owned "
            f"and earned work): {', '.join(p.id for p in unspent)}."
        )
        if off:
            text += f" Off-kernel among them: {', '.join(off)}."
        section.add(Paragraph(text, "warn" if off else None))
    out.notes.append(
        "Pipeline by program is not in the strategy refresh: opportunities carry no program, so "
        "the portfolio shows media spend only."
    )


# -- rollout ---------------------------------------------------------------------------------

STATE_TONE: dict[str, Tone] = {"now": "good", "past": "muted"}


def _rollout(out: Pack, ctx: PackContext, day: date | None) -> None:
    section = out.section("rollout", "Rollout and maturity: next steps")
    rollout = ctx.ws.specs.rollout
    day = day or ctx.today
    start = rollout.start_date
    rows = []
    current = None
    for phase in rollout.phases:
        first = last = None
        state = "—"
        if start is not None:
            first = start + timedelta(weeks=phase.weeks.start - 1)
            last = start + timedelta(weeks=phase.weeks.end) - timedelta(days=1)
            state = "past" if last < day else ("now" if first <= day else "ahead")
            if state == "now":
                current = phase
        rows.append(
            (
                Cell(phase.name, sub=phase.id),
                Cell(f"{phase.weeks.start}–{phase.weeks.end}", numeric=True),
                Cell(f"{first:%d %b %Y} – {last:%d %b %Y}" if first and last else "not started"),
                Cell(state, STATE_TONE.get(state)),
                Cell("; ".join(phase.goals) or "—"),
                Cell("; ".join(phase.deliverables) or "—"),
            )
        )
    if start is None:
        lead = Paragraph(
            "rollout.yaml has no start_date: the rollout has not started. Its plan:", "muted"
        )
    else:
        week = (day - start).days // 7 + 1
        end = start + timedelta(weeks=max(p.weeks.end for p in rollout.phases))
        if current is not None:
            text = (
                f"On {day:%a %d %b %Y} the rollout is in week {week}: phase {current.name} "
                f"(weeks {current.weeks.start}–{current.weeks.end}). Its goals and deliverables "
                "are the next steps."
            )
        elif day < start:
            text = f"The rollout starts on {start:%a %d %b %Y}, after {day:%d %b %Y}."
        else:
            text = (
                f"On {day:%a %d %b %Y} the rollout is in week {week}: by their dates, every phase "
                f"of rollout.yaml ended by {end - timedelta(days=1):%d %b %Y}, and the plan has "
                "no phase after it."
            )
        lead = Paragraph(text)
    section.add(
        Group(
            (
                lead,
                Table(
                    ("phase", "weeks", "dates", "at the meeting", "goals", "deliverables"),
                    tuple(rows),
                    "rollout.yaml, weeks counted from its start_date.",
                ),
            )
        )
    )
    section.add(
        Paragraph(
            "This is the plan as rollout.yaml states it. Whether each phase's deliverables exist "
            "(readiness checks, maturity score) is the demand audit's finding, not this pack's.",
            "muted",
        )
    )
