"""The Tuesday-Thursday optimization stand-up: what to fix first, where to move money, and what
the team changed.

Sections (programs are those of channels.yaml; their numbers come from ``packs.programs``: spend
from ``spend``, leads and opportunities credited to a program by their last touch):

- **agenda**: the ritual's time boxes from cadence.yaml, and the days it meets;
- **opportunities**: drifts ranked by dollars at stake — a program whose cost per lead or cost
  per opportunity in the week is more than ``DRIFT`` above its pooled level of the 4 weeks
  before, with enough volume to mean something; and spend over the monthly budget's share of the
  week (or outside the program's dates);
- **programs**: each program's week next to its 4 weeks before: spend, leads, CPL,
  opportunities, cost per opportunity, pipeline per dollar; the total row is the engine's;
- **budget**: one move from the program with the lowest 13-week pipeline per dollar to the
  kernel-mapped one with the highest, its amount and its effect as an estimate at the average
  rates;
- **metric drift**: tier 3-4 metrics amber or red for the week (metrics engine);
- **change log**: the changes and actions logged for this instance (``demandos decision add …
  --ritual optimization``), and how the metric of each change logged a week earlier moved.

The period is the week looked back on (default: the last full ISO week); the meeting is the
ritual's instance in the week after it, as for the Monday review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from demandos.cadence.rhythm import weekdays_of
from demandos.errors import CadenceError
from demandos.metrics import MetricTable, MetricValue, Period
from demandos.reports.model import Bullets, Cell, Pack, Paragraph, Section, Table, Tone
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
from demandos.reports.packs.programs import Economics, ProgramWeeks, planned_spend, program_weeks
from demandos.spec.channels import Program
from demandos.spec.fields import WEEKDAYS

TRAILING = 4  # weeks a drift is measured against
RATE_WEEKS = 13  # weeks a program's pipeline per dollar is measured over (budget moves)
DRIFT = 0.25  # a cost this much above its trailing level is a drift
MIN_TRAILING = {"cpl": 10, "cost_per_opp": 4}  # leads / opportunities the trailing level needs
MIN_EXPECTED = {"cpl": 5, "cost_per_opp": 2}  # what the week's spend should have bought
PACE_OVER = 0.20  # spend this much over the monthly budget's share of the week
MOVE_SHARE = 0.20  # of the donor's average weekly spend over RATE_WEEKS
MIN_RATE_OPPS = 3  # opportunities a recipient's pipeline per dollar needs

Kind = Literal["cpl", "cost_per_opp", "pacing"]
OUTPUTS: dict[Kind, str] = {"cpl": "leads", "cost_per_opp": "opps"}
WHAT = {"cpl": "CPL up", "cost_per_opp": "Cost per opportunity up"}


@dataclass(frozen=True)
class Opportunity:
    """One program that drifted in the week, and the dollars at stake."""

    program: str
    kind: Kind
    week: float | None  # the week's cost per lead / opportunity (None: none bought); pacing: spend
    trailing: float  # the trailing level; pacing: the budget's share of the week
    got: float  # leads / opportunities in the week; pacing: spend
    expected: float  # what the week's spend would have bought at the trailing level; pacing: plan
    at_stake: float  # spend beyond what the trailing level (or the plan) asks for

    @property
    def change_ratio(self) -> float | None:
        if self.week is None or not self.trailing:
            return None
        return self.week / self.trailing - 1


@dataclass(frozen=True)
class BudgetMove:
    """Budget moved from the program with the lowest pipeline per dollar to the highest."""

    donor: str
    recipient: str
    amount: float  # per week
    donor_rate: float  # pipeline per dollar over RATE_WEEKS
    recipient_rate: float
    pipeline: float  # change of pipeline per week, at the average rates
    leads: float | None  # change of leads per week, at the average CPLs (None: a CPL unknown)


def drifts(
    pw: ProgramWeeks, programs: Sequence[Program], week: Period, trailing: Sequence[str]
) -> list[Opportunity]:
    """The drifts of ``week`` (see the module doc), the most dollars at stake first.

    Cost drift: with ``level`` the trailing cost (spend ÷ leads or opportunities, pooled over
    ``trailing``), ``expected`` = the week's spend ÷ level; a drift when the trailing base and
    ``expected`` are large enough and the week's cost > level × (1 + DRIFT) (or nothing was
    bought); at stake = spend − bought × level. Pacing: spend above the monthly budget's share
    of the week (``planned_spend``) by more than PACE_OVER; at stake = spend − share.
    """
    found: list[Opportunity] = []
    for program in pw.programs():
        now, before = pw.get(program, week.label), pw.total(program, trailing)
        if now.spend <= 0 or before.spend <= 0:
            continue
        for kind, output in OUTPUTS.items():
            base, got = getattr(before, output), getattr(now, output)
            if base < MIN_TRAILING[kind]:
                continue
            level = before.spend / base
            expected = now.spend / level
            cost = now.spend / got if got else None
            if expected < MIN_EXPECTED[kind] or (cost is not None and cost <= level * (1 + DRIFT)):
                continue
            at_stake = now.spend - got * level
            found.append(Opportunity(program, kind, cost, level, got, expected, at_stake))
    for spec in programs:
        spent = pw.get(spec.id, week.label).spend
        plan = planned_spend(spec, week.start, week.end)
        if plan is None or spent <= plan * (1 + PACE_OVER):
            continue
        found.append(Opportunity(spec.id, "pacing", spent, plan, spent, plan, spent - plan))
    return sorted(found, key=lambda o: (-o.at_stake, o.program, o.kind))


def _count(n: float, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n:.0f} {noun if n == 1 else plural}"


def on_kernel(program: Program | None) -> bool:
    """A program of channels.yaml that maps to an ICP segment and a message pillar."""
    return program is not None and bool(program.segments) and bool(program.pillars)


def budget_move(
    pw: ProgramWeeks, programs: Sequence[Program], week: str, window: Sequence[str]
) -> tuple[BudgetMove | None, list[str]]:
    """The move from the program with the lowest pipeline per dollar over ``window`` to the
    on-kernel program with the highest (both spending in ``week``; the recipient's rate from at
    least MIN_RATE_OPPS opportunities), and what was passed over or why there is no move.

    Amount: MOVE_SHARE of the donor's average weekly spend over ``window``. Effect per week, at
    the average rates: amount × (recipient rate − donor rate) of pipeline, and amount ÷
    recipient CPL − amount ÷ donor CPL of leads.
    """
    specs = {p.id: p for p in programs}
    rates: dict[str, float] = {}
    for program in pw.programs():
        rate = pw.total(program, window).pipeline_per_dollar
        if pw.get(program, week).spend > 0 and rate is not None:
            rates[program] = rate
    why: list[str] = []
    if len(rates) < 2:
        why.append(f"{len(rates)} program(s) spent in {week}: a move needs two.")
        return None, why
    donor = min(rates, key=lambda p: (rates[p], -pw.total(p, window).spend, p))
    recipient = None
    for program in sorted(rates, key=lambda p: (-rates[p], p)):
        if program == donor or rates[program] <= rates[donor]:
            break
        opps = pw.total(program, window).opps
        if opps < MIN_RATE_OPPS:
            why.append(
                f"{program} has a higher pipeline per dollar, from {_count(opps, 'opportunity')} "
                f"only (a rate needs {MIN_RATE_OPPS})."
            )
        elif not on_kernel(specs.get(program)):
            where = "no ICP segment or message pillar" if program in specs else "not listed"
            why.append(
                f"{program} has a higher pipeline per dollar but is off-kernel ({where} in "
                "channels.yaml): budget moved there leaves the kernel."
            )
        else:
            recipient = program
            break
    if recipient is None:
        why.append(f"No program with a higher pipeline per dollar than {donor} can take budget.")
        return None, why
    give, take = pw.total(donor, window), pw.total(recipient, window)
    amount = MOVE_SHARE * give.spend / len(window)
    leads = amount / take.cpl - amount / give.cpl if give.cpl and take.cpl else None
    gain = amount * (rates[recipient] - rates[donor])
    return BudgetMove(donor, recipient, amount, rates[donor], rates[recipient], gain, leads), why


# -- the pack --------------------------------------------------------------------------------


@pack("weekly_optimization")
def weekly_optimization(ctx: PackContext, period: str | None) -> Pack:
    ws, specs = ctx.ws, ctx.ws.specs
    week = looked_back_on(ctx, period, "week", "the optimization stand-up looks back on one week")
    out, meeting = open_pack(ctx, week)
    if meeting is None:  # a weekly ritual meets every week
        raise CadenceError(f"{ctx.ritual.id} does not meet in {week.shift(1).label}")
    weeks = [week.shift(-n) for n in range(RATE_WEEKS - 1, -1, -1)]
    window = [w.label for w in weeks]
    trailing = window[-TRAILING - 1 : -1]
    pw = program_weeks(ws.facts, weeks)
    table = ws.metrics(week.label, today=ctx.today)
    by_program = ws.metrics(week.label, by="program", today=ctx.today)
    programs = specs.channels.programs

    agenda(out, ctx, meeting)
    _days(out, ctx, week)
    _opportunities(out, ctx, pw, week, trailing, table)
    _programs(out, ctx, pw, week, trailing, table, by_program)
    _budget(out, ctx, pw, week, window)
    _metric_drift(out, ctx, table)
    _change_log(out, ctx, week, meeting.period, table)
    if pw.everything([week.label]) == Economics():
        out.notes.append(
            f"No spend, lead or opportunity in {week.label} ({_coverage(ctx)}). Load that "
            "week's data, or pass --period with a week the store covers."
        )
    unknown = [p for p in pw.programs() if p not in {s.id for s in programs}]
    if unknown:
        out.notes.append(
            f"Programs in the data that channels.yaml does not list: {', '.join(unknown)}. "
            "Add them to channels.yaml (channel, owner, segments, pillars) to rank them fully."
        )
    return out


def _days(out: Pack, ctx: PackContext, week: Period) -> None:
    """Say when a ritual meeting on several days meets (the agenda shows the first day)."""
    days = weekdays_of(ctx.ritual)
    if len(days) < 2 or not out.sections or out.sections[-1].id != "agenda":
        return
    names = f"{WEEKDAYS[days[0]].title()} to {WEEKDAYS[days[-1]].title()}"
    out.sections[-1].add(
        Paragraph(
            f"Meets {names} at {ctx.ritual.time:%H:%M}, {ctx.ritual.duration_minutes} minutes a "
            f"day; the pack is the same each day: its data ends with {week.label} "
            f"({week.last_day:%a %d %b})."
        )
    )


def _coverage(ctx: PackContext) -> str:
    spans = []
    for t in ctx.ws.facts.summary():
        if t.table in ("spend", "people", "opportunities"):
            when = f"{str(t.min_time)[:10]} to {str(t.max_time)[:10]}" if t.rows else "no rows"
            spans.append(f"{t.table}: {when}")
    return "the store holds " + "; ".join(spans)


def _program(ctx: PackContext, program: str | None) -> tuple[Cell, Cell]:
    """A program's name cell (its id small) and its owner's cell."""
    if program is None:
        return Cell("no program touch", "muted"), Cell("")
    for p in ctx.ws.specs.channels.programs:
        if p.id == program:
            return Cell(p.name, sub=program), Cell(person(ctx, p.owner))
    return Cell(program, "warn", sub="not in channels.yaml"), Cell("")


def _span(labels: Sequence[str]) -> str:
    return f"{labels[0]}–{labels[-1]}" if len(labels) > 1 else labels[0]


def _engine(table: MetricTable, ctx: PackContext, builtin: str) -> MetricValue | None:
    """The total row of the metrics.yaml metric computed by ``builtin`` (None: none is)."""
    for m in ctx.ws.specs.metrics.metrics:
        if m.builtin == builtin:
            try:
                return table.get(m.id)
            except KeyError:
                return None
    return None


def _opportunities(
    out: Pack, ctx: PackContext, pw: ProgramWeeks, week: Period, trailing: Sequence[str],
    table: MetricTable,
) -> None:  # fmt: skip
    section = out.section("opportunities", "Optimization opportunities, by dollars at stake")
    cur = out.currency
    section.add(
        Paragraph(
            f"Each program's {week.label} against its pooled level over {_span(trailing)}: a "
            f"cost per lead or per opportunity more than {DRIFT:.0%} above it, when that level "
            f"rests on at least {MIN_TRAILING['cpl']} leads ({MIN_TRAILING['cost_per_opp']} "
            f"opportunities) and the week's spend would have bought at least "
            f"{MIN_EXPECTED['cpl']} leads ({MIN_EXPECTED['cost_per_opp']} opportunities) at "
            f"it; and spend more than {PACE_OVER:.0%} over the monthly budget's share of the "
            "week. Dollars at stake: the week's spend beyond what its leads or opportunities "
            "cost at the trailing level, or beyond the budget's share."
        )
    )
    found = drifts(pw, ctx.ws.specs.channels.programs, week, trailing)
    partial = [
        f"{row.metric}: {row.reason}"
        for b in ("media_spend", "leads")
        if (row := _engine(table, ctx, b)) is not None and row.state == "partial"
    ]
    if partial:
        section.add(Paragraph(f"Partial week — {'; '.join(partial)}.", "warn"))
    spenders = [p for p in pw.programs() if pw.get(p, week.label).spend > 0]
    if not spenders:
        section.add(Paragraph(f"No program spent in {week.label}: nothing to rank.", "muted"))
        return
    if not found:
        section.add(
            Paragraph(
                f"None of the {len(spenders)} programs that spent in {week.label} drifted by "
                "these rules.",
                "good",
            )
        )
        return
    rows = []
    for rank, o in enumerate(found, 1):
        rows.append(
            (
                Cell(str(rank), numeric=True),
                *_program(ctx, o.program),
                Cell(_what(o)),
                Cell(fmt(o.week, "currency", cur), "bad", numeric=True),
                Cell(fmt(o.trailing, "currency", cur), numeric=True),
                Cell(fmt_ratio(o.change_ratio), numeric=True),
                Cell(_volume(o, cur)),
                Cell(fmt(o.at_stake, "currency", cur), "bad", numeric=True),
            )
        )
    section.add(
        Table(
            (*OPPORTUNITY_COLUMNS[:4], week.label, *OPPORTUNITY_COLUMNS[4:]),
            tuple(rows),
            f"{week.label} against {_span(trailing)} pooled (pacing: against the monthly "
            "budget's share of the week); leads and opportunities credited by last touch. A "
            "program can drift on two lines: their dollars overlap, do not add them.",
        )
    )
    top = found[0]
    name, owner = _program(ctx, top.program)
    section.add(
        Paragraph(
            f"Start with {name.text} ({owner.text or 'no owner'}): "
            f"{fmt(top.at_stake, 'currency', cur)} at stake ({_what(top)}). Log what "
            "you change in the change log below.",
            "warn",
        )
    )


def _what(o: Opportunity) -> str:
    if o.kind == "pacing":
        return "Spend over budget" if o.expected else "Spend outside its dates"
    return WHAT[o.kind]


def _volume(o: Opportunity, cur: str) -> str:
    if o.kind == "pacing":
        return f"plan {fmt(o.expected, 'currency', cur)}"
    noun, rate = ("lead", "CPL") if o.kind == "cpl" else ("opportunity", "cost")
    return f"{_count(o.got, noun)}; {o.expected:.1f} at the trailing {rate}"


OPPORTUNITY_COLUMNS = (
    "#", "program", "owner", "drift", "trailing", "change", "volume", "$ at stake",
)  # fmt: skip
PROGRAM_COLUMNS = (
    "program", "owner", "spend", "leads", "CPL", "CPL 4-wk", "opps", "cost/opp", "cost/opp 4-wk",
    "pipeline/$", "pipeline/$ 4-wk",
)  # fmt: skip


def _programs(
    out: Pack, ctx: PackContext, pw: ProgramWeeks, week: Period, trailing: Sequence[str],
    table: MetricTable, by_program: MetricTable,
) -> None:  # fmt: skip
    section = out.section("programs", f"Programs in {week.label}")
    cur = out.currency
    active = [
        p
        for p in pw.programs()
        if pw.get(p, week.label) != Economics() or pw.total(p, trailing) != Economics()
    ]
    if not active:
        section.add(
            Paragraph(
                f"No program spent, converted a lead or opened an opportunity in {week.label} "
                f"or the {TRAILING} weeks before ({_coverage(ctx)}).",
                "muted",
            )
        )
        return
    if pw.everything([week.label]) == Economics():
        section.add(
            Paragraph(
                f"No spend, lead or opportunity in {week.label}; the rows show the programs "
                f"active in the {TRAILING} weeks before.",
                "muted",
            )
        )
    section.add(_total(out, ctx, table, pw, week))
    spend_metric = _engine(by_program, ctx, "media_spend")
    active.sort(key=lambda p: (-pw.get(p, week.label).spend, -pw.get(p, week.label).leads, p))
    paid = [p for p in active if pw.get(p, week.label).spend or pw.total(p, trailing).spend]
    rows = []
    for program in paid:
        now, before = pw.get(program, week.label), pw.total(program, trailing)
        if spend_metric is not None and now.spend:
            out.trace(spend_metric.metric, week.label, "value", now.spend, f"program={program}")
        rows.append((*_program(ctx, program), *_economics(now, before, cur)))
    credit = (
        "a lead is credited to the program of its last touch at or before it became a lead, an "
        "opportunity to the program of its account's last touch before it was created (90 days "
        "back)"
    )
    if rows:
        section.add(
            Table(
                PROGRAM_COLUMNS,
                tuple(rows),
                f"Programs with spend, {week.label} ({week.start} to {week.last_day}); 4-wk: "
                f"{_span(trailing)} pooled. Spend from the spend table; {credit}.",
            )
        )
    else:
        section.add(Paragraph(f"No program spent in {week.label} or the {TRAILING} weeks before."))
    unpaid = [p for p in active if p not in paid]
    rows = []
    for other in [*unpaid, None]:
        now, before = pw.get(other, week.label), pw.total(other, trailing)
        if other is None and now == Economics() and before == Economics():
            continue
        rows.append(
            (
                *_program(ctx, other),
                Cell(f"{now.leads:.0f}", numeric=True),
                Cell(f"{before.leads / TRAILING:.1f}", numeric=True),
                Cell(f"{now.opps:.0f}", numeric=True),
                Cell(f"{before.opps / TRAILING:.1f}", numeric=True),
                Cell(fmt(now.pipeline, "currency", cur), numeric=True),
            )
        )
    if rows:
        section.add(
            Table(
                ("program", "owner", "leads", "leads/wk 4-wk", "opps", "opps/wk 4-wk", "pipeline"),
                tuple(rows),
                "Programs without spend rows (organic, owned, or paid outside the spend table), "
                f"and leads and deals no program touched, {week.label}; {credit}.",
            )
        )
    idle = [p.id for p in ctx.ws.specs.channels.programs if p.id not in active]
    if idle:
        section.add(
            Paragraph(
                f"No spend, lead or opportunity in {week.label} or the {TRAILING} weeks before: "
                f"{', '.join(idle)}.",
                "muted",
            )
        )


def _economics(now: Economics, before: Economics, cur: str) -> tuple[Cell, ...]:
    def money(value: float | None) -> Cell:
        return Cell(fmt(value, "currency", cur), numeric=True)

    return (
        money(now.spend if now.spend else None),
        Cell(f"{now.leads:.0f}", numeric=True),
        money(now.cpl),
        money(before.cpl),
        Cell(f"{now.opps:.0f}", numeric=True),
        money(now.cost_per_opp),
        money(before.cost_per_opp),
        Cell(fmt(now.pipeline_per_dollar, "ratio"), numeric=True),
        Cell(fmt(before.pipeline_per_dollar, "ratio"), numeric=True),
    )


TOTALS = (
    ("media_spend", "spend", "media spend", "currency"), ("leads", "leads", "leads", "count"),
    ("cpl", None, "CPL", "currency"),
    ("opportunities_created", "opps", "opportunities", "count"),
    ("pipeline_created", "pipeline", "pipeline created", "currency"),
)  # fmt: skip
"""The all-programs sentence: each built-in metric, its Economics field, its words, its unit."""


def _total(
    out: Pack, ctx: PackContext, table: MetricTable, pw: ProgramWeeks, week: Period
) -> Paragraph:
    """All programs and the unattributed, from the metrics engine; a metric metrics.yaml lacks
    is summed from the program rows instead, and said so."""
    cur, parts, summed = out.currency, [], []
    mine = pw.everything([week.label])
    for builtin, field, words, unit in TOTALS:
        row = _engine(table, ctx, builtin)
        if row is not None:
            trace_row(out, row, "value")
            value = fmt(row.value, row.unit, cur)
            if builtin == "cpl":
                trace_row(out, row, "trailing_avg")
                value += f", 4-wk {fmt(row.trailing_avg, row.unit, cur)}"
            parts.append(f"{words} ({row.metric}) {value}")
        elif field is not None:
            parts.append(f"{words} {fmt(getattr(mine, field), unit, cur)}")
            summed.append(words)
    text = f"All programs in {week.label}, metrics engine, all channels: " + "; ".join(parts)
    if summed:
        text += f"; {', '.join(summed)} summed from the programs (not in metrics.yaml)"
    return Paragraph(text + ".")


def _budget(
    out: Pack, ctx: PackContext, pw: ProgramWeeks, week: Period, window: Sequence[str]
) -> None:
    section = out.section("budget", "Budget moves the data suggests")
    cur = out.currency
    programs = ctx.ws.specs.channels.programs
    spenders = [p for p in pw.programs() if pw.get(p, week.label).spend > 0]
    if not spenders:
        section.add(Paragraph(f"No program spent in {week.label}: no budget to move.", "muted"))
        return
    rows = []
    ranked = sorted(spenders, key=lambda p: (-(pw.total(p, window).pipeline_per_dollar or 0), p))
    for program in ranked:
        e = pw.total(program, window)
        rows.append(
            (
                *_program(ctx, program),
                Cell(fmt(e.spend, "currency", cur), numeric=True),
                Cell(f"{e.opps:.0f}", numeric=True),
                Cell(fmt(e.pipeline, "currency", cur), numeric=True),
                Cell(fmt(e.pipeline_per_dollar, "ratio"), numeric=True),
                Cell(fmt(e.cpl, "currency", cur), numeric=True),
            )
        )
    section.add(
        Table(
            ("program", "owner", "spend", "opps", "pipeline", "pipeline/$", "CPL"),
            tuple(rows),
            f"The programs that spent in {week.label}, over the {len(window)} weeks "
            f"{_span(window)}: pipeline credited by last touch ÷ spend. Pipeline lags spend, so "
            "the long window.",
        )
    )
    move, why = budget_move(pw, programs, week.label, window)
    if move is None:
        section.add(Paragraph("No move suggested. " + " ".join(why), "muted"))
        return
    donor, _ = _program(ctx, move.donor)
    recipient, _ = _program(ctx, move.recipient)
    leads = (
        f" and {fmt_change(move.leads, 'count')} leads a week at their {len(window)}-week CPLs"
        if move.leads is not None
        else ""
    )
    section.add(
        Paragraph(
            f"Move {fmt(move.amount, 'currency', cur)} a week ({MOVE_SHARE:.0%} of its average "
            f"weekly spend) from {donor.text} ({fmt(move.donor_rate, 'ratio')} pipeline per "
            f"dollar) to {recipient.text} ({fmt(move.recipient_rate, 'ratio')}).",
            "warn",
        ),
        Paragraph(
            f"Estimate at the current average rates, not a forecast: "
            f"{fmt_change(move.pipeline, 'currency', cur)} pipeline a week{leads}. A program's "
            "next dollar usually returns less than its average dollar and last-touch credit "
            "favours the programs closest to conversion: read it as an upper bound, move in "
            f"steps and check the receiving program's rate after {TRAILING} weeks."
        ),
    )
    if why:
        section.add(Bullets(tuple(Paragraph(w, "muted") for w in why)))


def _metric_drift(out: Pack, ctx: PackContext, table: MetricTable) -> None:
    section = out.section("metric_drift", "Metric drift: tier 3-4 metrics off target")
    cur = out.currency
    rows, unscored = [], []
    for row in table.totals():
        if row.tier not in (3, 4):
            continue
        if row.value is None or row.target is None:
            unscored.append(row.metric)
            continue
        if row.status not in ("amber", "red"):
            continue
        trace_row(out, row, "value", "trailing_avg", "target")
        versus = row.value / row.trailing_avg - 1 if row.trailing_avg else None
        rows.append(
            (
                Cell(row.name, sub=row.metric),
                Cell(person(ctx, row.owner)),
                Cell(fmt(row.value, row.unit, cur), numeric=True),
                Cell(fmt(row.trailing_avg, row.unit, cur), numeric=True),
                Cell(fmt_ratio(versus), numeric=True),
                Cell(fmt(row.target, row.unit, cur), numeric=True),
                status_cell(row),
            )
        )
    scored = sum(1 for r in table.totals() if r.tier in (3, 4)) - len(unscored)
    if rows:
        section.add(
            Table(
                ("metric", "owner", "value", "4-wk avg", "vs 4-wk", "target", "status"),
                tuple(rows),
                f"{table.period}, all channels; targets scaled to one week; 4-week average of "
                "the 4 weeks before (ratios pooled).",
            )
        )
    elif scored:
        section.add(
            Paragraph(
                f"The {scored} tier 3-4 metrics with a target and a value are green in "
                f"{table.period}.",
                "good",
            )
        )
    else:
        section.add(
            Paragraph(f"No tier 3-4 metric has both a value and a target in {table.period}.")
        )
    if unscored:
        section.add(
            Paragraph(f"No value or no target in {table.period}: {', '.join(unscored)}.", "muted")
        )


def _change_log(
    out: Pack, ctx: PackContext, week: Period, instance: str, table: MetricTable
) -> None:
    section = out.section("change_log", f"Change log · {ctx.ritual.id} {instance}")
    log, rid, cur = ctx.ws.cadence_log, ctx.ritual.id, out.currency
    changes = log.list_decisions(ritual=rid, period=instance)
    actions = log.list_actions(ritual=rid, period=instance)
    if changes or actions:
        rows = [
            (
                Cell("change"),
                Cell(f"{d.made_at:%a %d %b %H:%M}"),
                Cell(d.title),
                Cell(person(ctx, d.owner)),
                Cell(d.metric_id or ""),
                Cell(
                    _then(d.metric_value, d.metric_period, _unit(table, d.metric_id), cur),
                    numeric=True,
                ),
                Cell(d.rationale or ""),
            )
            for d in changes
        ]
        rows += [
            (
                Cell("action"),
                Cell(f"{a.created_at:%a %d %b %H:%M}"),
                Cell(a.title),
                Cell(person(ctx, a.owner)),
                Cell(a.metric_id or ""),
                Cell("—", numeric=True),
                Cell(
                    f"done {a.done_at:%a %d %b}"
                    if a.done_at
                    else (f"open, due {a.due}" if a.due else "open"),
                    "good" if a.done_at else None,
                ),
            )
            for a in actions
        ]
        section.add(
            Table(
                ("", "logged", "what", "owner", "metric", "metric then", "why / state"),
                tuple(rows),
                f"Changes (decisions) and actions logged for {rid} {instance}; a change keeps "
                f"its metric's value for {week.label}.",
            )
        )
    else:
        section.add(Paragraph(f"Nothing logged for {rid} {instance} yet."))
    section.add(
        Paragraph("To log one from the terminal:"),
        Bullets(
            (
                Paragraph(
                    f'a change made: demandos decision add "<what changed, on which program>" '
                    f"--owner <person id> --metric <metric id> --ritual {rid} --period "
                    f'{instance} --why "<the drift it answers>"'
                ),
                Paragraph(
                    f'a change still to make: demandos action add "<what>" --owner <person id> '
                    f"--due YYYY-MM-DD --ritual {rid} --period {instance}"
                ),
            )
        ),
    )
    _last_week(out, ctx, section, week, table)


def _last_week(out: Pack, ctx: PackContext, section: Section, week: Period,
               table: MetricTable) -> None:  # fmt: skip
    rid, cur = ctx.ritual.id, out.currency
    try:
        earlier = ctx.ws.cadence_log.list_decisions(ritual=rid, period=week.label)
    except CadenceError:
        earlier = []
    if not earlier:
        section.add(Paragraph(f"No change was logged for {rid} {week.label}.", "muted"))
        return
    rows = []
    for d in earlier:
        unit = _unit(table, d.metric_id)
        then = _then(d.metric_value, d.metric_period, unit, cur)
        now, moved = "—", "—"
        tone: Tone = None
        row = _row(table, d.metric_id)
        if row is not None:
            trace_row(out, row, "value")
            now = f"{fmt(row.value, unit, cur)} ({row.period})"
            if d.metric_period == row.period:
                moved = "logged on this week's data"
            elif d.metric_value is not None and row.value is not None:
                change = row.value - d.metric_value
                moved = fmt_change(change, unit, cur)
                tone = "good" if good(change, row.direction) else "bad"
        rows.append(
            (
                Cell(f"{d.made_at:%a %d %b}"),
                Cell(d.title),
                Cell(person(ctx, d.owner)),
                Cell(d.metric_id or ""),
                Cell(then, numeric=True),
                Cell(now, numeric=True),
                Cell(moved, tone if moved != "—" else None, numeric=True),
            )
        )
    section.add(
        Table(
            ("logged", "change", "owner", "metric", "then", "now", "moved"),
            tuple(rows),
            f"Changes logged for {rid} {week.label} and their metric in {week.label}, all "
            "channels: one week is early to judge, it says which way it is going.",
        )
    )


def _row(table: MetricTable, metric: str | None) -> MetricValue | None:
    if metric is None:
        return None
    try:
        return table.get(metric)
    except KeyError:
        return None


def _unit(table: MetricTable, metric: str | None) -> str:
    row = _row(table, metric)
    return row.unit if row is not None else "count"


def _then(value: float | None, period: str | None, unit: str, cur: str) -> str:
    if period is None:
        return "—"
    return f"{fmt(value, unit, cur)} ({period})"
