"""The monthly performance deep-dive: the month against plan, then one metric taken apart.

Sections:

- **agenda**: the ritual's time boxes from cadence.yaml;
- **tree**: every metric of the tree for the month against target, with the month before;
- **focus**: the one metric (or channel) with the biggest gap to target, the rule that chose
  it and the runner-ups: first the metric furthest short of its target for all channels; when
  none is short, the channel whose ratio metric is furthest off that metric's all-channel
  target; when nothing is short, the north star;
- **trend**: the focus over the last 12 months against its target;
- **breakdown**: the focus by channel and by ICP segment;
- **drivers**: why it moved on the month before (``ws.explain``: its drivers and, by channel,
  each channel's rate and mix effects);
- **attribution**: the month's pipeline by channel under six attribution models side by side,
  won revenue with its influence, source and CAC by source (``packs.attribution``);
- **findings**: what the numbers say, in sentences, for the strategy session.

The month is the one looked back on (default: the last full month); the meeting is the ritual's
instance in the month after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from demandos.errors import DemandosError
from demandos.metrics import MetricTable, MetricValue
from demandos.metrics.decompose import Explanation, Part
from demandos.metrics.periods import Period
from demandos.reports.model import (
    Bullets,
    Cell,
    Group,
    Pack,
    Paragraph,
    Table,
)
from demandos.reports.numbers import fmt, fmt_change
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.attribution import attribution_section
from demandos.reports.packs.common import (
    agenda,
    gap,
    good,
    looked_back_on,
    open_pack,
    person,
    plan_table,
    trace_row,
)
from demandos.reports.packs.monthly import (
    Shortfall,
    breakdown,
    builtin_metric,
    channel_shortfalls,
    direction_word,
    labelled,
    monthly_trend,
    share,
    shortfalls,
    trend_sentence,
    where,
)

RUNNER_UPS = 4
MEMBER_PARTS = 3  # the channels whose rate and mix moved the focus most


@dataclass(frozen=True)
class Focus:
    """The deep-dive's one subject and the rule that chose it."""

    row: MetricValue  # all channels, or one channel's row
    total: MetricValue  # the metric for all channels
    rule: str  # metric | channel | north_star
    ranked: tuple[Shortfall, ...]  # the ranking under that rule, the focus first


@dataclass
class _Month:
    period: Period
    table: MetricTable
    channels: MetricTable
    segments: MetricTable


@pack("monthly_deep_dive")
def monthly_deep_dive(ctx: PackContext, period: str | None) -> Pack:
    ws = ctx.ws
    month = looked_back_on(ctx, period, "month", "the deep-dive looks back on one month")
    out, meeting = open_pack(ctx, month)
    agenda(out, ctx, meeting)
    m = _Month(
        month,
        ws.metrics(month.label, today=ctx.today),
        ws.metrics(month.label, by="channel", today=ctx.today),
        ws.metrics(month.label, by="segment", today=ctx.today),
    )
    _tree(out, ctx, m)
    focus = _focus(out, ctx, m)
    findings: list[Paragraph] = []
    if focus is None:
        for id, title in (("trend", "Trend"), ("breakdown", "Breakdown"), ("drivers", "Drivers")):
            out.section(id, title).add(Paragraph("No focus: nothing to take apart.", "muted"))
    else:
        findings += _trend(out, ctx, m, focus)
        findings += _breakdown(out, ctx, m, focus)
        findings += _drivers(out, ctx, m, focus)
    attribution_section(out, ctx, month)
    _findings(out, ctx, m, focus, findings)
    return out


# -- the month against plan ------------------------------------------------------------------


def _tree(out: Pack, ctx: PackContext, m: _Month) -> None:
    section = out.section("tree", f"Metric tree month over month: {m.period.label}")
    rows = m.table.totals()
    section.add(
        plan_table(
            out,
            ctx,
            rows,
            f"{m.period.label} ({m.period.start} to {m.period.last_day}), all channels; "
            f"previous: {m.period.previous().label}; targets scaled to the month.",
        )
    )
    missing = [r for r in rows if r.value is None]
    if missing and len(missing) == len(rows):
        reason = missing[0].reason or missing[0].state.replace("_", " ")
        section.add(Paragraph(f"No metric has a value for {m.period.label}: {reason}.", "muted"))
        out.notes.append(
            f"The store has no data for {m.period.label}: load that month's data, or pass "
            "--period with a month the store covers."
        )
    elif missing or any(r.state == "partial" for r in rows):
        section.add(
            Bullets(
                tuple(
                    Paragraph(f"{r.metric}: {r.state.replace('_', ' ')} — {r.reason}", "muted")
                    for r in rows
                    if r.reason
                )
            )
        )


# -- the focus -------------------------------------------------------------------------------


def _focus(out: Pack, ctx: PackContext, m: _Month) -> Focus | None:
    section = out.section("focus", "Focus: the biggest gap to target")
    ranked = shortfalls(m.table)
    pipeline = builtin_metric(ctx, "pipeline_created")
    off = channel_shortfalls(m.table, m.channels, pipeline)
    with_target = [r for r in m.table.totals() if r.target is not None and r.value is not None]
    month = m.period.label
    rule_text = (
        f"Rule: the metric furthest short of its target in {month}, all channels (gap = shortfall "
        "÷ target; over target for a lower-is-better metric). "
        f"{len(ranked)} of the {len(with_target)} metrics with a value and a target are short."
    )
    if ranked:
        focus = Focus(ranked[0].row, ranked[0].row, "metric", tuple(ranked[: RUNNER_UPS + 1]))
    elif off:
        total = m.table.get(off[0].row.metric)
        focus = Focus(off[0].row, total, "channel", tuple(off[: RUNNER_UPS + 1]))
        rule_text = (
            f"No metric is short of its target for all channels in {month}. Second rule: the "
            "channel whose ratio metric is furthest off that metric's all-channel target."
        )
    else:
        tops = [r for r in m.table.totals() if r.tier == 1]
        if not tops:
            section.add(
                Paragraph(
                    f"No metric and no channel is short of its target in {month}, and "
                    "metrics.yaml has no tier-1 metric to fall back on: no focus.",
                    "muted",
                )
            )
            return None
        focus = Focus(tops[0], tops[0], "north_star", ())
        rule_text = (
            f"No metric and no channel is short of its target in {month} (or none has a value): "
            "the deep-dive looks at the north star."
        )
    section.add(Paragraph(rule_text))
    row, cur = focus.row, out.currency
    trace_row(out, focus.total, "value", "target")
    if focus.rule != "north_star":
        trace_row(out, row, "value")
        lead = focus.ranked[0]
        section.add(
            Paragraph(
                f"Focus: {row.name} ({row.metric}), {month}, {where(row)}: "
                f"{fmt(row.value, row.unit, cur)} against a target of "
                f"{fmt(lead.target, row.unit, cur)}"
                f"{' (all channels)' if row.member else ''} — {_gap_words(lead)}. "
                f"Owner: {person(ctx, row.owner)}.",
                "bad" if focus.total.status == "red" and row.member is None else "warn",
            )
        )
        section.add(_ranking(out, ctx, focus.ranked, "Ranked by gap; the first is the focus."))
    elif row.value is None:
        section.add(
            Paragraph(
                f"Focus: {row.name} ({row.metric}), {month}, all channels: no value — "
                f"{row.reason or row.state.replace('_', ' ')}.",
                "muted",
            )
        )
    else:
        section.add(
            Paragraph(
                f"Focus: {row.name} ({row.metric}), {month}, all channels: "
                f"{fmt(row.value, row.unit, cur)}"
                + (f" against a target of {fmt(row.target, row.unit, cur)}." if row.target else ".")
            )
        )
    if focus.rule == "metric" and off:
        section.add(
            _ranking(
                out,
                ctx,
                off[:3],
                "Channels furthest off their metric's all-channel target (the rule when no "
                "metric is short), for the channel discussion.",
            )
        )
    return focus


def _gap_words(s: Shortfall) -> str:
    if s.row.direction == "higher_is_better":
        return f"{s.gap:.1%} short"
    return f"{s.gap:.1%} over"


def _ranking(
    out: Pack, ctx: PackContext, ranked: tuple[Shortfall, ...] | list[Shortfall], caption: str
) -> Table:
    cur = out.currency
    rows = []
    for rank, s in enumerate(ranked, 1):
        trace_row(out, s.row, "value")
        if s.row.member is None:
            trace_row(out, s.row, "target")
        rows.append(
            (
                Cell(str(rank), numeric=True),
                Cell(s.row.name, sub=s.row.metric),
                Cell(s.where),
                Cell(person(ctx, s.row.owner)),
                Cell(fmt(s.row.value, s.row.unit, cur), numeric=True),
                Cell(fmt(s.target, s.row.unit, cur), numeric=True),
                Cell(_gap_words(s), "bad", numeric=True),
            )
        )
    return Table(("#", "metric", "where", "owner", "value", "target", "gap"), tuple(rows), caption)


# -- the focus taken apart -------------------------------------------------------------------


def _trend(out: Pack, ctx: PackContext, m: _Month, focus: Focus) -> list[Paragraph]:
    row = focus.row
    section = out.section("trend", f"{row.name}: the last 12 months")
    points, chart = monthly_trend(
        out,
        ctx,
        row.metric,
        m.period,
        member=row.member,
        dimension=row.dimension,
        target=focus.total.target,
    )
    sentence = trend_sentence(points, out.currency)
    if any(p.value is not None for p in points):
        section.add(chart)
    section.add(Paragraph(sentence, None if any(p.value is not None for p in points) else "muted"))
    return [Paragraph(f"{row.name} ({where(row)}): {sentence[0].lower()}{sentence[1:]}")]


def _breakdown(out: Pack, ctx: PackContext, m: _Month, focus: Focus) -> list[Paragraph]:
    metric = focus.row.metric
    section = out.section("breakdown", f"{focus.row.name} by channel and by ICP segment")
    found = []
    for table, what in ((m.channels, "channel"), (m.segments, "ICP segment")):
        block = breakdown(out, ctx, table, metric, focus=focus.row.member)
        section.add(labelled(f"By {what}:", block))
        sentence = _spread(out, table, focus.total, what)
        if sentence:
            found.append(Paragraph(sentence))
    return found


def _spread(out: Pack, table: MetricTable, total: MetricValue, what: str) -> str | None:
    """The best and worst member (ratios), or the largest member's share (sums)."""
    members = (
        [
            r
            for r in table.members(total.metric)
            if r.value is not None and not (r.member or "(").startswith("(")
        ]
        if total.metric not in (*table.unsupported, *table.not_allowed)
        else []
    )
    if len(members) < 2:
        return None
    cur = out.currency
    if total.additive:
        top = max(members, key=lambda r: r.value or 0.0)
        part = share(top.value, total.value)
        if part is None:
            return None
        return (
            f"By {what}, {top.member} brought {part:.0%} of {total.name} "
            f"({fmt(top.value, top.unit, cur)} of {fmt(total.value, total.unit, cur)})."
        )
    ordered = sorted(members, key=lambda r: r.value or 0.0)
    if total.direction == "higher_is_better":
        ordered.reverse()
    best, worst = ordered[0], ordered[-1]
    return (
        f"By {what}, {total.name} runs from {fmt(best.value, best.unit, cur)} "
        f"({best.member}, the best) to {fmt(worst.value, worst.unit, cur)} ({worst.member}, the "
        f"worst), against {fmt(total.value, total.unit, cur)} for all channels."
    )


def _drivers(out: Pack, ctx: PackContext, m: _Month, focus: Focus) -> list[Paragraph]:
    row, cur = focus.total, out.currency
    section = out.section("drivers", f"What drove {row.name}")
    section.add(
        Paragraph(
            "The decomposition splits the change on the month before into its drivers (Shapley "
            "parts that add up to the change) and, by channel, into each channel's own rate and "
            "its share (mix); the attribution section credits the month's pipeline and revenue "
            "to the channels whose touches drove it.",
            "muted",
        )
    )
    why = _explain(ctx, row.metric, m.period.label)
    if isinstance(why, str):
        section.add(Paragraph(f"No decomposition of {row.metric}: {why}.", "muted"))
        return []
    if why.change is None:
        reason = why.reason or "no value in one of the months"
        section.add(Paragraph(f"{row.name} has no change to explain: {reason}.", "muted"))
        return []
    out.trace(row.metric, why.period, "value", why.value)
    out.trace(row.metric, why.period, "change", why.change)
    head = (
        f"{row.name} ({row.metric}), all channels, went from {fmt(why.before, row.unit, cur)} "
        f"in {why.against} to {fmt(why.value, row.unit, cur)} in {why.period} "
        f"({fmt_change(why.change, row.unit, cur)})."
    )
    found = []
    drivers = sorted(why.drivers(), key=lambda p: abs(p.contribution), reverse=True)
    if drivers:
        lead = drivers[0]
        section.add(Group((Paragraph(head), _parts(out, why, drivers, "driver", row.direction))))
        found.append(
            Paragraph(
                f"{row.name} went from {fmt(why.before, row.unit, cur)} ({why.against}) to "
                f"{fmt(why.value, row.unit, cur)} ({fmt_change(why.change, row.unit, cur)}: "
                f"{direction_word(why.change, row.direction)}); the largest driver was "
                f"{lead.name} ({fmt(lead.before, lead.unit, cur)} → "
                f"{fmt(lead.after, lead.unit, cur)}): "
                f"{fmt_change(lead.contribution, row.unit, cur)} of the change."
            )
        )
    else:
        reason = why.driver_reason or "no driver identity for this metric"
        section.add(Paragraph(f"{head} Drivers: {reason}.", "muted"))
    members = _member_effects(why, focus.row.member)
    if members:
        section.add(_parts(out, why, members, "channel", row.direction))
        top = members[0]
        found.append(
            Paragraph(
                f"By channel, {top.member}'s {top.name} moved {row.name} most: "
                f"{fmt_change(top.contribution, row.unit, cur)} "
                f"({_fmt_part(top.before, top, why, cur)} → {_fmt_part(top.after, top, why, cur)})."
            )
        )
    elif why.member_reason:
        section.add(Paragraph(f"By channel: {why.member_reason}.", "muted"))
    return found


def _explain(ctx: PackContext, metric: str, month: str) -> Explanation | str:
    try:
        return ctx.ws.explain(metric, month, by="channel", today=ctx.today)
    except DemandosError:
        pass
    try:
        return ctx.ws.explain(metric, month, today=ctx.today)
    except DemandosError as exc:
        return exc.message


def _member_effects(why: Explanation, focus: str | None) -> list[Part]:
    """The channels' rate, mix and unsplit parts that moved the metric most (the focus
    channel's first), largest first."""
    parts = [p for p in why.members() if p.contribution]
    parts.sort(key=lambda p: (p.member != focus if focus else False, -abs(p.contribution)))
    return parts[: MEMBER_PARTS * 2 if focus else MEMBER_PARTS]


def _fmt_part(value: float | None, part: Part, why: Explanation, currency: str) -> str:
    """A part's before or after value in its unit (a member's rate is in the metric's)."""
    return fmt(value, part.unit or why.unit, currency)


def _parts(out: Pack, why: Explanation, parts: list[Part], kind: str, direction: str) -> Table:
    cur = out.currency
    change = why.change or 0.0
    rows = tuple(
        (
            Cell(p.name if kind == "driver" else f"{p.member}: {p.name}"),
            Cell(_fmt_part(p.before, p, why, cur), numeric=True),
            Cell(_fmt_part(p.after, p, why, cur), numeric=True),
            Cell(
                fmt_change(p.contribution, why.unit, cur),
                "good" if good(p.contribution, direction) else "bad",
                numeric=True,
            ),
            Cell(f"{p.contribution / change:.0%}" if change else "—", numeric=True),
        )
        for p in parts
    )
    caption = (
        f"{why.metric} = {why.identity}; all channels."
        if kind == "driver"
        else f"The {len(parts)} channel effects (rate: the channel's own value; mix: its share) "
        f"that moved {why.metric} most."
    )
    return Table((kind, why.against, why.period, "part of the change", "share"), rows, caption)


# -- findings --------------------------------------------------------------------------------


def _findings(
    out: Pack, ctx: PackContext, m: _Month, focus: Focus | None, found: list[Paragraph]
) -> None:
    section = out.section("findings", "Findings for the strategy session")
    cur = out.currency
    items: list[Paragraph] = []
    if focus is not None and focus.rule != "north_star":
        s = focus.ranked[0]
        items.append(
            Paragraph(
                f"{s.row.name} ({s.where}) is the largest gap to target in {m.period.label}: "
                f"{fmt(s.row.value, s.row.unit, cur)} against {fmt(s.target, s.row.unit, cur)}, "
                f"{_gap_words(s)}.",
                "bad",
            )
        )
    items += found
    others = [s for s in shortfalls(m.table) if focus is None or s.row is not focus.row]
    if others:
        items.append(
            Paragraph(
                "Also short of target: "
                + "; ".join(f"{s.row.name} ({_gap_words(s)})" for s in others[:RUNNER_UPS])
                + "."
            )
        )
    green = [r for r in m.table.totals() if r.status == "green"]
    if green:
        best = min(green, key=lambda r: gap(r) or 0.0)
        items.append(
            Paragraph(
                f"{len(green)} metrics are green; furthest ahead: {best.name} at "
                f"{fmt(best.value, best.unit, cur)} against {fmt(best.target, best.unit, cur)}.",
                "good",
            )
        )
    if not items:
        section.add(Paragraph(f"The data for {m.period.label} gives no finding.", "muted"))
        return
    section.add(Bullets(tuple(items)))
