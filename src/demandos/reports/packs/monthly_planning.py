"""Monthly planning: next month's programs and budget, targets, content calendar and owners.

Sections:

- **agenda**: the ritual's time boxes from cadence.yaml;
- **programs**: the channels.yaml programs that run in the planned month with their monthly
  budget; a program without one is planned at its media spend of the last full month, labelled
  as a run-rate; set against the media spend target;
- **targets**: each metric's target for the planned month as the engine gives it (scaled to the
  month), beside its value and status in the last full month;
- **content**: the content calendar: assets dated in the planned month, assets in production
  without a date, the last months' publishing rhythm and the pillars it covers;
- **capacity**: per person of team.yaml: metrics and programs owned, the budget they run, and
  the actions open at the meeting.

The period is the month planned (default: the month after today's); the meeting is the ritual's
instance in the month before it, and the month reviewed is the last full one at the meeting
(two months before the planned one).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from demandos.metrics import MetricTable
from demandos.metrics.periods import Period
from demandos.reports.model import TONE_OF_STATUS, Bullets, Cell, Pack, Paragraph, Table
from demandos.reports.numbers import fmt, fmt_ratio
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import (
    agenda,
    gap,
    looking_ahead_to,
    open_pack,
    person,
    status_cell,
    trace_row,
)
from demandos.reports.packs.monthly import builtin_metric, open_actions, runs_in, share

RHYTHM = 3  # months of publishing behind the production rhythm
DONE = ("published", "archived", "retired")  # asset states that are out of production


@pack("monthly_planning")
def monthly_planning(ctx: PackContext, period: str | None) -> Pack:
    ws = ctx.ws
    planned = looking_ahead_to(ctx, period, "month", "monthly planning plans one month")
    out, meeting = open_pack(ctx, planned, meets_in=planned.shift(-1))
    reviewed = planned.shift(-2)
    agenda(out, ctx, meeting)
    last = ws.metrics(reviewed.label, today=ctx.today)
    ahead = ws.metrics(planned.label, today=ctx.today)
    budgets = _programs(out, ctx, planned, reviewed, ahead)
    _targets(out, ctx, planned, reviewed, last, ahead)
    _content(out, ctx, planned, reviewed)
    day = meeting.start.date() if meeting else planned.start
    _capacity(out, ctx, planned, reviewed, last, budgets, day)
    return out


# -- programs and budget ---------------------------------------------------------------------


def _programs(
    out: Pack, ctx: PackContext, planned: Period, reviewed: Period, ahead: MetricTable
) -> dict[str, float]:
    """The programs section; returns each running program's planned budget (or run-rate)."""
    section = out.section("programs", f"Programs and budget for {planned.label}")
    cur = out.currency
    media = builtin_metric(ctx, "media_spend")
    spent: dict[str, float] = {}
    if media is not None:
        by_program = ctx.ws.metrics(reviewed.label, by="program", today=ctx.today)
        if media not in (*by_program.unsupported, *by_program.not_allowed):
            for row in by_program.members(media):
                trace_row(out, row, "value")
                if row.member is not None and row.value:
                    spent[row.member] = row.value
    programs = ctx.ws.specs.channels.programs
    running = [p for p in programs if runs_in(p, planned)]
    running.sort(key=lambda p: (p.monthly_budget is None, -(p.monthly_budget or 0.0)))
    planned_budget: dict[str, float] = {}
    rows = []
    for p in running:
        last = spent.pop(p.id, 0.0)
        if p.monthly_budget is not None:
            budget_text, budget = fmt(p.monthly_budget, "currency", cur), p.monthly_budget
        elif last:
            budget_text, budget = f"run-rate {fmt(last, 'currency', cur)}", last
        else:
            budget_text, budget = "no budget, no spend", 0.0
        planned_budget[p.id] = budget
        pacing = share(last, p.monthly_budget)
        rows.append(
            (
                Cell(p.name, sub=f"{p.id} · {p.kind.replace('_', '-')}"),
                Cell(p.channel),
                Cell(person(ctx, p.owner)),
                _kernel_cell(p.segments, p.pillars),
                Cell(budget_text, "muted" if p.monthly_budget is None else None, numeric=True),
                Cell(fmt(last, "currency", cur), numeric=True),
                Cell(fmt(pacing, "percent"), numeric=True),
            )
        )
    if not programs:
        section.add(
            Paragraph("channels.yaml lists no programs: there is no plan to show.", "muted")
        )
    elif not running:
        section.add(Paragraph(f"No program of channels.yaml runs in {planned.label}.", "muted"))
    else:
        from_spec = sum(p.monthly_budget or 0.0 for p in running)
        rate = sum(planned_budget[p.id] for p in running if p.monthly_budget is None)
        section.add(
            Paragraph(
                f"{len(running)} programs run in {planned.label}: "
                f"{fmt(from_spec + rate, 'currency', cur)} planned, "
                f"{fmt(from_spec, 'currency', cur)} from channels.yaml's monthly budgets"
                + (
                    f" and {fmt(rate, 'currency', cur)} as the {reviewed.label} media spend "
                    "(run-rate) of programs without a budget."
                    if rate
                    else "."
                )
                + _against_target(out, ahead, media, from_spec + rate)
            ),
            Table(
                (
                    "program",
                    "channel",
                    "owner",
                    "kernel",
                    f"budget {planned.label}",
                    f"media spend {reviewed.label}",
                    "spend ÷ budget",
                ),
                tuple(rows),
                f"Budget: monthly_budget in channels.yaml; a program without one at its "
                f"{reviewed.label} media spend (run-rate). Media spend: {media or 'media spend'} "
                "by program. Kernel: the ICP segments and message pillars it maps to.",
            ),
        )
    ended = [p for p in programs if p not in running]
    if ended:
        section.add(
            Paragraph(
                f"Not running in {planned.label}: "
                + "; ".join(f"{p.id} ({_dates(p.start, p.end, planned)})" for p in ended)
                + ".",
                "muted",
            )
        )
    stray = {k: v for k, v in spent.items() if not k.startswith("(")}
    if stray:
        section.add(
            Paragraph(
                f"Spend in {reviewed.label} on programs channels.yaml does not list: "
                + ", ".join(f"{k} {fmt(v, 'currency', cur)}" for k, v in stray.items())
                + ".",
                "warn",
            )
        )
    return planned_budget


def _kernel_cell(segments: tuple[str, ...], pillars: tuple[str, ...]) -> Cell:
    """How a program maps to the kernel: its ICP segments and message pillars, or off-kernel."""
    if not segments and not pillars:
        return Cell("off-kernel", "warn")
    text = f"{len(segments)} segment{'s' * (len(segments) != 1)}, "
    text += f"{len(pillars)} pillar{'s' * (len(pillars) != 1)}"
    return Cell(text, None if segments and pillars else "warn")


def _against_target(out: Pack, ahead: MetricTable, media: str | None, total: float) -> str:
    if media is None:
        return ""
    row = ahead.get(media)
    if row.target is None:
        return ""
    trace_row(out, row, "target")
    cur = out.currency
    word = "over" if total > row.target else "within"
    return (
        f" That is {word} the {media} target for {row.period} ({fmt(row.target, row.unit, cur)})."
    )


def _dates(start: date | None, end: date | None, month: Period) -> str:
    if start is not None and start > month.last_day:
        return f"starts {start}"
    return f"ended {end}"


# -- targets ---------------------------------------------------------------------------------


def _targets(
    out: Pack,
    ctx: PackContext,
    planned: Period,
    reviewed: Period,
    last: MetricTable,
    ahead: MetricTable,
) -> None:
    section = out.section("targets", f"Targets for {planned.label}")
    cur = out.currency
    rows, short = [], []
    for row in ahead.totals():
        then = last.get(row.metric)
        trace_row(out, row, "target", "amber", "red")
        trace_row(out, then, "value")
        needed = (
            (row.target - then.value) / abs(then.value)
            if row.target is not None and then.value
            else None
        )
        g = gap(replace(then, target=row.target))
        if g is not None and g > 0:
            short.append(
                f"{row.name} ({fmt(then.value, then.unit, cur)} against "
                f"{fmt(row.target, row.unit, cur)})"
            )
        rows.append(
            (
                Cell(row.name, sub=row.metric, indent=row.tier - 1),
                Cell(person(ctx, row.owner)),
                Cell(fmt(then.value, then.unit, cur), numeric=True),
                status_cell(then),
                Cell(fmt(row.target, row.unit, cur), numeric=True),
                Cell(fmt(row.amber, row.unit, cur), numeric=True),
                Cell(fmt(row.red, row.unit, cur), numeric=True),
                Cell(
                    "met already" if g is not None and g <= 0 else fmt_ratio(needed),
                    "good" if g is not None and g <= 0 else None,
                    numeric=True,
                ),
            )
        )
    if short:
        section.add(
            Paragraph(
                f"{len(short)} metrics would miss their {planned.label} target at their "
                f"{reviewed.label} level: " + "; ".join(short) + ".",
                "warn",
            )
        )
    elif any(r.value is not None for r in last.totals()):
        section.add(
            Paragraph(f"At their {reviewed.label} level every metric meets its target.", "good")
        )
    else:
        section.add(
            Paragraph(
                f"No metric has a value for {reviewed.label} to plan from; the targets stand.",
                "muted",
            )
        )
    section.add(
        Table(
            (
                "metric",
                "owner",
                f"value {reviewed.label}",
                "status",
                f"target {planned.label}",
                "amber",
                "red",
                "change to reach",
            ),
            tuple(rows),
            f"Targets for {planned.label} as the engine gives them (metrics.yaml, scaled to the "
            f"month for sums); values and status for {reviewed.label}, all channels.",
        )
    )


# -- content calendar ------------------------------------------------------------------------


def _assets(ctx: PackContext) -> list[dict[str, Any]]:
    t = ctx.ws.facts.table("assets")
    rows: list[dict[str, Any]] = t.to_pyarrow().to_pylist()
    return rows


def _in(row: dict[str, Any], month: Period) -> bool:
    when = row.get("published_at")
    return when is not None and month.contains(when.date() if isinstance(when, datetime) else when)


def _content(out: Pack, ctx: PackContext, planned: Period, reviewed: Period) -> None:
    section = out.section("content", f"Content calendar for {planned.label}")
    assets = _assets(ctx)
    dated = sorted((a for a in assets if _in(a, planned)), key=lambda a: a["published_at"])
    undated = [a for a in assets if a.get("published_at") is None and a["status"] not in DONE]
    months = [reviewed.shift(-n) for n in range(RHYTHM - 1, -1, -1)]
    made = {
        m.label: sum(1 for a in assets if _in(a, m) and a["status"] == "published") for m in months
    }
    if dated:
        section.add(
            Paragraph(f"{len(dated)} assets are dated in {planned.label}:"),
            _asset_table(dated, f"Assets with published_at in {planned.label}."),
        )
    else:
        section.add(
            Paragraph(
                f"No asset in the assets table is dated in {planned.label}: the calendar for the "
                "month is still empty.",
                "warn",
            )
        )
    if undated:
        section.add(_asset_table(undated, "In production without a date (status not published)."))
    elif assets:
        section.add(Paragraph("No asset is in production without a date.", "muted"))
    if not assets:
        section.add(Paragraph("The assets table is empty: no content to plan from.", "muted"))
        return
    average = sum(made.values()) / len(made)
    section.add(
        Paragraph(
            "Publishing rhythm: "
            + ", ".join(f"{n} in {label}" for label, n in made.items())
            + f" ({fmt(average, 'count')} a month)."
        )
    )
    pillars = [p.id for p in ctx.ws.specs.kernel.pillars]
    last = [a for a in assets if _in(a, reviewed) and a["status"] == "published"]
    had = Counter(a.get("pillar") or "(no pillar)" for a in last)
    plan = Counter(a.get("pillar") or "(no pillar)" for a in dated)
    rows = tuple(
        (
            Cell(p, sub="" if p in pillars else "not a pillar of kernel.yaml"),
            Cell(str(had[p]), numeric=True),
            Cell(str(plan[p]), "warn" if p in pillars and not plan[p] else None, numeric=True),
        )
        for p in [*pillars, *sorted((set(had) | set(plan)) - set(pillars))]
    )
    section.add(
        Table(
            ("pillar", f"published {reviewed.label}", f"dated {planned.label}"),
            rows,
            "Message pillars of kernel.yaml and the assets carrying each.",
        )
    )


def _asset_table(assets: list[dict[str, Any]], caption: str) -> Table:
    return Table(
        ("date", "title", "type", "pillar", "segments", "owner", "status"),
        tuple(
            (
                Cell(f"{a['published_at']:%Y-%m-%d}" if a.get("published_at") else "—"),
                Cell(a["title"], sub=a["asset_id"]),
                Cell(a.get("type") or ""),
                Cell(a.get("pillar") or "—"),
                Cell(", ".join(a.get("segments") or ()) or "—"),
                Cell(a.get("owner") or "—"),
                Cell(a["status"]),
            )
            for a in assets
        ),
        caption,
    )


# -- capacity and owners ---------------------------------------------------------------------


def _capacity(
    out: Pack,
    ctx: PackContext,
    planned: Period,
    reviewed: Period,
    last: MetricTable,
    budgets: dict[str, float],
    day: date,
) -> None:
    section = out.section("capacity", "Capacity and owners")
    specs = ctx.ws.specs
    cur = out.currency
    actions = open_actions(ctx, day)
    roles = {r.id: r.name for r in specs.team.roles}
    running = [p for p in specs.channels.programs if p.id in budgets]
    rows, loads, details = [], [], []
    for who in specs.team.people:
        metrics = [m.id for m in specs.metrics.metrics if m.owner == who.id]
        off = [
            r.metric for r in last.totals() if r.owner == who.id and r.status in ("amber", "red")
        ]
        programs = [p for p in running if p.owner == who.id]
        mine = [a for a in actions if a.owner == who.id]
        late = [a for a in mine if a.due is not None and a.due < day]
        rituals = [r.id for r in specs.cadence.rituals if r.owner == who.id]
        owns = [
            f"{what}: {', '.join(ids)}"
            for what, ids in (
                ("metrics", metrics),
                (f"off target in {reviewed.label}", off),
                ("programs", [p.id for p in programs]),
                ("rituals", rituals),
            )
            if ids
        ]
        if mine:
            loads.append((who.name, mine, late))
        rows.append(
            (
                Cell(who.name, sub=roles.get(who.role, who.role)),
                Cell(str(len(metrics)), numeric=True),
                Cell(str(len(off)), TONE_OF_STATUS["amber"] if off else None, numeric=True),
                Cell(str(len(programs)), numeric=True),
                Cell(fmt(sum(budgets[p.id] for p in programs), "currency", cur), numeric=True),
                Cell(str(len(mine)), numeric=True),
                Cell(str(len(late)), "bad" if late else None, numeric=True),
            )
        )
        details.append(
            Paragraph(f"{who.name}: " + ("; ".join(owns) or "owns nothing in the specs") + ".")
        )
    section.add(
        Table(
            (
                "person",
                "metrics",
                f"off target {reviewed.label}",
                f"programs {planned.label}",
                "budget run",
                "open actions",
                "overdue",
            ),
            tuple(rows),
            f"team.yaml, metrics.yaml, channels.yaml and cadence.yaml; actions open on {day} in "
            f"the operating log; budget run: their programs' {planned.label} budget or run-rate.",
        )
    )
    section.add(Paragraph("What each person owns:"), Bullets(tuple(details)))
    if loads:
        loads.sort(key=lambda x: (-len(x[2]), -len(x[1])))
        section.add(
            Paragraph(f"Open actions on {day}, by owner (overdue first):"),
            Bullets(
                tuple(
                    Paragraph(
                        f"{name}: "
                        + "; ".join(
                            f"#{a.id} {a.title} (due {a.due or 'not set'})"
                            for a in sorted(mine, key=lambda a: a not in late)
                        ),
                        "bad" if late else None,
                    )
                    for name, mine, late in loads
                )
            ),
        )
    else:
        section.add(Paragraph(f"No action is open in the operating log on {day}."))
