"""The optimization sprint kickoff: the three biggest levers of the month, and how to test them.

Sections:

- **agenda**: the ritual's time boxes from cadence.yaml;
- **levers**: the three metrics (all channels, or one channel's) whose gap to target weighs most
  on the month: gap × volume, where volume is the share of the month's pipeline the row stands
  for (``monthly.levers``), each with its decomposition's leading driver (``ws.explain``);
- **experiments**: the registry's experiments (``experiments/``, ``ws.experiments``) running,
  ended or planned on the meeting's day, and those concluded since the month began with their
  decision; then the open actions on the levers' metrics;
- **actions**: the actions logged for this sprint (the ritual instance) in the operating log;
- **criteria**: for each lever, the success criterion to design its test around: the metric,
  its value for the month, and its target for the month the test is measured on;
- **budget response**: the media-mix model's reallocation of the weekly paid budget (total held,
  each channel within its cap) with the expected pipeline and its interval, and the response
  curves — read from the fit `demandos mmm fit` saved; a pack never fits one.

The month is the one looked back on (the deep-dive's month; default: the last full month); the
meeting is the ritual's instance in the month after it, and the tests are measured on the month
after the meeting's.
"""

from __future__ import annotations

from datetime import date

from demandos.cadence.rhythm import ritual_instance
from demandos.errors import CadenceError, DemandosError
from demandos.feedback import mmm
from demandos.metrics.decompose import Explanation
from demandos.metrics.periods import Period
from demandos.reports.model import Bullets, Cell, Chart, Pack, Paragraph, Table
from demandos.reports.numbers import fmt, fmt_change
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import (
    agenda,
    looked_back_on,
    open_pack,
    person,
    trace_row,
)
from demandos.reports.packs.monthly import (
    Shortfall,
    builtin_metric,
    channel_shortfalls,
    levers,
    open_actions,
    shortfalls,
)
from demandos.spec.specs import EXPERIMENTS_DIR

LEVERS = 3


@pack("optimization_sprint")
def optimization_sprint(ctx: PackContext, period: str | None) -> Pack:
    ws = ctx.ws
    month = looked_back_on(ctx, period, "month", "the sprint works on the month looked back on")
    out, meeting = open_pack(ctx, month)
    agenda(out, ctx, meeting)
    table = ws.metrics(month.label, today=ctx.today)
    channels = ws.metrics(month.label, by="channel", today=ctx.today)
    pipeline = builtin_metric(ctx, "pipeline_created")
    chosen = levers(shortfalls(table), channel_shortfalls(table, channels, pipeline), LEVERS)
    _levers(out, ctx, month, chosen, pipeline)
    day = meeting.start.date() if meeting else month.end
    _experiments(out, ctx, chosen, day, month)
    _actions(out, ctx, month)
    _criteria(out, ctx, month, chosen)
    _budget(out, ctx)
    return out


def _levers(
    out: Pack, ctx: PackContext, month: Period, chosen: list[Shortfall], pipeline: str | None
) -> None:
    section = out.section("levers", "The three biggest levers")
    volume = (
        f"the channel's share of {pipeline} in {month.label}"
        if pipeline
        else "metrics.yaml has no pipeline_created metric, so a channel weighs 0"
    )
    section.add(
        Paragraph(
            f"Each metric short of its target in {month.label} (all channels), and each "
            "channel's rate or cost per unit against its metric's all-channel target, scored "
            f"gap × volume: volume is 1 for all channels, else {volume}. One lever per metric, "
            "the largest three — the deep-dive's numbers for the same month."
        )
    )
    if not chosen:
        section.add(
            Paragraph(
                f"No metric and no channel is short of its target in {month.label} (or none has "
                "a value): no lever to pull. Pick the sprint from the strategy session's "
                "budget shifts instead.",
                "muted",
            )
        )
        out.notes.append(f"No lever: nothing is short of its target in {month.label}.")
        return
    cur = out.currency
    rows, drivers = [], []
    for rank, s in enumerate(chosen, 1):
        trace_row(out, s.row, "value")
        if s.row.member is None:
            trace_row(out, s.row, "target")
        lead = _leading_driver(out, ctx, s, month)
        drivers.append(Paragraph(f"Lever {rank}, {s.row.name} ({s.where}): {lead}"))
        rows.append(
            (
                Cell(str(rank), numeric=True),
                Cell(s.row.name, sub=s.row.metric),
                Cell(s.where),
                Cell(person(ctx, s.row.owner)),
                Cell(fmt(s.row.value, s.row.unit, cur), numeric=True),
                Cell(fmt(s.target, s.row.unit, cur), numeric=True),
                Cell(f"{s.gap:.1%}", "bad", numeric=True),
                Cell(f"{s.volume:.1%}", numeric=True),
                Cell(f"{s.score:.3f}", numeric=True),
            )
        )
    section.add(
        Table(
            ("#", "metric", "where", "owner", "value", "target", "gap", "volume", "gap × volume"),
            tuple(rows),
            f"{month.label}; gap: shortfall ÷ target (over target for lower-is-better metrics).",
        ),
        Paragraph("What moved each lever against the month before (its leading driver):"),
        Bullets(tuple(drivers)),
    )


def _leading_driver(out: Pack, ctx: PackContext, s: Shortfall, month: Period) -> str:
    """The lever's largest driver part and, for a channel, the channel's own rate and mix."""
    by = s.row.dimension if s.row.member is not None else None
    try:
        why = ctx.ws.explain(s.row.metric, month.label, by=by, today=ctx.today)
    except DemandosError as exc:
        return f"no decomposition ({exc.message})."
    if why.change is None:
        return f"no change to explain ({why.reason or 'no value in one of the months'})."
    out.trace(s.row.metric, why.period, "change", why.change)
    cur, unit = out.currency, why.unit
    parts = sorted(why.drivers(), key=lambda p: abs(p.contribution), reverse=True)
    text = f"all channels: {fmt_change(why.change, unit, cur)} against {why.against}"
    if parts:
        p = parts[0]
        text += (
            f"; largest driver {p.name} ({fmt(p.before, p.unit, cur)} → "
            f"{fmt(p.after, p.unit, cur)}), {fmt_change(p.contribution, unit, cur)}"
        )
    else:
        text += f"; drivers: {why.driver_reason or 'no driver identity'}"
    if s.row.member is not None:
        text += _member_text(why, s.row.member, cur)
    return text + "."


def _member_text(why: Explanation, member: str, cur: str) -> str:
    mine = [p for p in why.members() if p.member == member]
    if not mine:
        return f"; {member}: {why.member_reason or 'no split by channel'}"
    bits = [
        f"{p.name} {fmt(p.before, p.unit or why.unit, cur)} → "
        f"{fmt(p.after, p.unit or why.unit, cur)} ({fmt_change(p.contribution, why.unit, cur)})"
        for p in mine
    ]
    return f"; {member}'s own part: " + ", ".join(bits)


def _experiments(
    out: Pack, ctx: PackContext, chosen: list[Shortfall], day: date, month: Period
) -> None:
    section = out.section("experiments", "Open experiments and tests")
    entries = ctx.ws.experiments(today=day)
    if not (ctx.ws.root / EXPERIMENTS_DIR).is_dir():
        section.add(Paragraph(
            "This workspace has no experiment registry yet (no experiments/ folder). Register "
            "each test as experiments/<id>.yaml (hypothesis, owner, metric, variants, dates, "
            "MDE): demandos experiment plan sizes it, and conclude logs its result as a decision "
            "that the next packs list.", "muted"))  # fmt: skip
        out.notes.append("Open experiments are not listed: the workspace has no experiment "
                         "registry yet (experiments/).")  # fmt: skip
    shown = [e for e in entries if e.status != "concluded" or (
        e.decision is not None and e.decision.made_at.date() >= month.start)]  # fmt: skip
    if entries and not shown:
        section.add(Paragraph(f"No experiment of the registry is open on {day}, and none was "
                              f"concluded since {month.start}.", "muted"))  # fmt: skip
    if shown:
        section.add(Table(
            ("experiment", "status", "owner", "metric", "dates", "hypothesis or decision"),
            tuple((
                Cell(e.spec.name or e.spec.id, sub=e.spec.id),
                Cell(e.status, "bad" if e.status == "ended" else None),
                Cell(person(ctx, e.spec.owner)),
                Cell(e.spec.metric),
                Cell(f"{e.spec.start} → {e.spec.end or 'open'}"),
                Cell(e.decision.title if e.decision else e.spec.hypothesis),
            ) for e in shown),
            f"The registry on {day}: ended means past its end date without a conclusion "
            "(demandos experiment conclude <id> logs it).",
        ))  # fmt: skip
    if not chosen:
        return
    metrics = {s.row.metric for s in chosen}
    found = [a for a in open_actions(ctx, day) if a.metric_id in metrics]
    if not found:
        section.add(Paragraph(f"No open action on {', '.join(sorted(metrics))} on {day}.", "muted"))
        return
    section.add(
        Table(
            ("#", "action", "owner", "due", "metric"),
            tuple(
                (
                    Cell(f"#{a.id}", numeric=True),
                    Cell(a.title),
                    Cell(person(ctx, a.owner)),
                    Cell(
                        a.due.isoformat() if a.due else "—",
                        "bad" if a.due and a.due < day else None,
                    ),
                    Cell(a.metric_id or ""),
                )
                for a in found
            ),
            f"Open on {day} in the operating log, on the levers' metrics: work already in flight.",
        )
    )


def _actions(out: Pack, ctx: PackContext, month: Period) -> None:
    section = out.section("actions", "Actions of the sprint")
    instance = month.shift(1).label
    found = ctx.ws.cadence_log.list_actions(ritual=ctx.ritual.id, period=instance)
    key = f"{ctx.ritual.id} {instance}"
    if not found:
        section.add(
            Paragraph(
                f"No action is linked to {key} in the operating log yet: log each with "
                f"--ritual {ctx.ritual.id} --period {instance}.",
                "muted",
            )
        )
        return
    section.add(
        Table(
            ("#", "action", "owner", "due", "status", "metric"),
            tuple(
                (
                    Cell(f"#{a.id}", numeric=True),
                    Cell(a.title),
                    Cell(person(ctx, a.owner)),
                    Cell(a.due.isoformat() if a.due else "—"),
                    Cell(a.status, "good" if a.status == "done" else None),
                    Cell(a.metric_id or ""),
                )
                for a in found
            ),
            f"Actions logged for {key}, soonest due first.",
        )
    )


def _criteria(out: Pack, ctx: PackContext, month: Period, chosen: list[Shortfall]) -> None:
    section = out.section("criteria", "Test design: success criteria per lever")
    if not chosen:
        section.add(Paragraph("No lever, so no test to design.", "muted"))
        return
    measured = month.shift(2)
    targets = ctx.ws.metrics(measured.label, today=ctx.today)
    read_at = _read_at(ctx, measured)
    cur = out.currency
    rows = []
    for s in chosen:
        target_row = targets.get(s.row.metric)
        trace_row(out, target_row, "target")
        target = target_row.target
        sign = "≥" if s.row.direction == "higher_is_better" else "≤"
        rows.append(
            (
                Cell(s.row.name, sub=s.row.metric),
                Cell(s.where),
                Cell(fmt(s.row.value, s.row.unit, cur), numeric=True),
                Cell(fmt(target, s.row.unit, cur), numeric=True),
                Cell(
                    f"{s.row.metric} {sign} {fmt(target, s.row.unit, cur)} in {measured.label}"
                    + (f", {s.where}" if s.row.member else "")
                    if target is not None
                    else "no target in metrics.yaml: agree one in the meeting"
                ),
                Cell(person(ctx, s.row.owner)),
            )
        )
    section.add(
        Paragraph(
            f"Each lever gets one test: what changes, for whom, from when. It is measured on "
            f"{measured.label} and read {read_at}."
        ),
        Table(
            (
                "lever",
                "where",
                f"now ({month.label})",
                f"target {measured.label}",
                "success when",
                "owner",
            ),
            tuple(rows),
            f"Targets as metrics.yaml gives them for {measured.label} (scaled to the month for "
            "sums); a channel is held to the all-channel target.",
        ),
    )


def _read_at(ctx: PackContext, measured: Period) -> str:
    """Where the measured month is read: the deep-dive in the month after it, when there is one."""
    for ritual in ctx.ws.specs.cadence.rituals:
        if ritual.kind == "monthly_deep_dive":
            try:
                meeting = ritual_instance(ctx.ws.specs, ritual.id, measured.shift(1).label)
            except CadenceError:
                continue
            return f"at the deep-dive on {meeting.start:%a %d %b %Y} ({meeting.key})"
    return f"once {measured.label} is over"


def _budget(out: Pack, ctx: PackContext) -> None:
    section = out.section("budget_response", "Budget response: where the next dollar goes")
    if not mmm.available():
        section.add(Paragraph(f"The media-mix model needs its extra: {mmm.INSTALL}, then "
                              "demandos mmm fit.", "muted"))  # fmt: skip
        return
    try:
        fit = mmm.load_fit(ctx.ws)
    except mmm.MMMError as e:
        section.add(Paragraph(f"{e.message}: {e.hint}.", "muted"))
        return
    move = mmm.budget_reallocation(fit)
    cur = fit.meta.currency
    if fit.stale:
        section.add(Paragraph(f"Stale model: {fit.stale}. Refit with demandos mmm fit.", "warn"))
    section.add(
        Table(
            ("channel", "now / week", "proposed / week", "shift", "pipeline / week"),
            tuple(
                (
                    Cell(m.channel),
                    Cell(fmt(m.current, "currency", cur), numeric=True),
                    Cell(fmt(m.proposed, "currency", cur), numeric=True),
                    Cell(f"{m.shift:+,.0f}", numeric=True),
                    Cell(f"{m.pipeline_change:+,.0f}", numeric=True),
                )
                for m in move.moves
            ),
            f"The weekly paid budget ({fmt(move.budget, 'currency', cur)}, the last 13 weeks' "
            f"mean) held, each channel within ±{move.max_shift:.0%}; fitted on {fit.meta.start} "
            f"to {fit.meta.end}.",
        )
    )
    section.add(Bullets(tuple(Paragraph(line) for line in move.sentences(cur))))
    points = tuple((r.channel, f"ROI {r.roi:.1f} ({r.roi_low:.1f}-{r.roi_high:.1f})")
                   for r in fit.contribution_rows())  # fmt: skip
    section.add(Chart("Weekly response curves (90% band; dot: today's spend)",
                      mmm.curve_spec(fit), points))  # fmt: skip
