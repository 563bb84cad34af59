"""The quarterly demand audit: how mature is the demand system, and where does it fail?

Sections, all from the systems audit (``demandos.rollout``, the same report as ``demandos
audit``) and the metrics engine:

- **agenda**: the ritual's time boxes from cadence.yaml;
- **maturity**: the score and level of each component (metrics, cadence, roles, process, stack)
  and layer (kernel, intake, assets, distribution, feedback), with the checks behind each score
  and what each found;
- **failure modes**: heroic campaign (the largest program's share of pipeline, the best week
  against the median week and the weeks after it, with the 13 weekly values of system health),
  tool-first trap, vanity metrics, shared or missing ownership, starting from scratch;
- **stack**: stack.yaml's cost by category against fully loaded cost and pipeline created, and
  the tools without a process, an owner or use;
- **data quality**: the open quarantine by source and reason, and each table's freshness;
- **fix first**: the failed checks, heaviest first, with the fix and who owns it.

The period is the quarter audited; the ritual meets in month 3 of that quarter, so the pack looks
at the quarter from its start up to the day it is made (the whole quarter once it is over). The
default is the quarter the pack is made in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from demandos.reports.charts import trend_spec
from demandos.reports.model import Bullets, Cell, Chart, Group, Pack, Paragraph, Table, Tone
from demandos.reports.numbers import fmt
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import agenda, open_pack, person
from demandos.rollout import AREA_NAMES, AuditReport, FailureMode, audit, audit_quarter
from demandos.rollout.audit import SCORING

MARK = {"passed": "✓", "failed": "✗", "not_applicable": "–"}
TONE: dict[str, Tone] = {"passed": "good", "failed": "bad", "not_applicable": "muted"}
PRESENT: dict[bool | None, tuple[str, Tone]] = {
    True: ("present", "bad"),
    False: ("absent", "good"),
    None: ("cannot say", "muted"),
}


def _level_tone(level: int | None) -> Tone:
    if level is None:
        return None
    return "good" if level >= 4 else "warn" if level >= 2 else "bad"


@pack("demand_audit")
def demand_audit(ctx: PackContext, period: str | None) -> Pack:
    ws = ctx.ws
    quarter = audit_quarter(ws, period, ctx.today)
    out, meeting = open_pack(ctx, quarter, meets_in=quarter)
    report = audit(ws, quarter.label, today=ctx.today)
    out.end = report.until
    agenda(out, ctx, meeting)
    if report.until < quarter.end:
        out.notes.append(
            f"{quarter.label} is not over: the audit covers {quarter.start} to "
            f"{_last(report.until)}, and metrics for the quarter are partial."
        )
    _maturity(out, report)
    _failure_modes(out, ctx, report)
    _stack(out, ctx, report)
    _data_quality(out, report)
    _fix_first(out, ctx, report)
    return out


def _last(until: date) -> date:
    return date.fromordinal(until.toordinal() - 1)


def _pct(value: float | None) -> str:
    return fmt(value, "percent")


# -- maturity ---------------------------------------------------------------------------------


def _maturity(out: Pack, report: AuditReport) -> None:
    section = out.section("maturity", "Maturity by component and layer")
    overall = report.overall
    if overall is not None and overall.share is not None:
        section.add(
            Paragraph(
                f"The system scores {_pct(overall.share)} over {len(report.results)} checks: level "
                f"{overall.level} of 5, {overall.level_name} ({overall.passed} passed, "
                f"{overall.failed} failed, {overall.not_applicable} not applicable). "
                f"Scoring: {SCORING}; weights 1 hygiene, 2 important, 3 foundational.",
                _level_tone(overall.level),
            )
        )
    rows = []
    for s in report.scores:
        marks = " ".join(f"{MARK[r.status]} {r.id}" for r in report.results if r.area == s.area)
        level = f"{s.level} {s.level_name}" if s.level is not None else s.level_name
        tone = _level_tone(s.level)
        rows.append(
            (
                Cell(s.name, sub=s.kind),
                Cell("—" if s.share is None else _pct(s.share), tone, numeric=True),
                Cell(level, tone),
                Cell(f"{s.passed}/{s.passed + s.failed}", numeric=True),
                Cell(marks),
            )
        )
    section.add(
        Table(
            ("area", "score", "level", "passed", "checks"),
            tuple(rows),
            f"{report.period}, {report.start} to {_last(report.until)}: ✓ passed, ✗ failed, "
            "– not applicable (not counted).",
        )
    )
    checks = tuple(
        (
            Cell(MARK[r.status], TONE[r.status]),
            Cell(r.title, sub=r.id),
            Cell(AREA_NAMES[r.area]),
            Cell(str(r.weight), numeric=True),
            Cell(r.evidence + (f" ({r.where})" if r.where else ""),
                 "muted" if r.status == "not_applicable" else None),
        )
        for r in report.results
    )  # fmt: skip
    section.add(Table(("", "check", "area", "weight", "what it found"), checks, "The checks."))


# -- failure modes ----------------------------------------------------------------------------


def _failure_modes(out: Pack, ctx: PackContext, report: AuditReport) -> None:
    section = out.section("failure_modes", "Failure modes, measured")
    rows = []
    for mode in report.failure_modes:
        word, tone = PRESENT[mode.present]
        rows.append((Cell(mode.name), Cell(word, tone), Cell(mode.summary)))
    section.add(Table(("failure mode", "finding", "measured"), tuple(rows)))
    for mode in report.failure_modes:
        section.add(_mode_block(mode))
        if mode.present is None:
            out.notes.append(f"{mode.name}: the data cannot say ({mode.summary}).")
    _heroic_chart(out, ctx, report)


def _mode_block(mode: FailureMode) -> Group:
    word, tone = PRESENT[mode.present]
    summary = mode.summary[:1].upper() + mode.summary[1:]
    head = Paragraph(f"{mode.name} — {word}. {summary}.", tone)
    blocks: list[Paragraph | Bullets] = [head]
    if mode.details:
        blocks.append(Bullets(tuple(Paragraph(d) for d in mode.details)))
    if mode.present:
        blocks.append(Paragraph(f"Fix: {mode.fix}."))
    return Group(tuple(blocks))


def _heroic_chart(out: Pack, ctx: PackContext, report: AuditReport) -> None:
    h = report.heroic
    section = out.get("failure_modes")
    health = report.health
    if health is None:
        return
    for indicator in ("top_program_share", "peak_to_median"):
        found = health.get(indicator)
        out.trace(indicator, health.period, "health", found.value)
    points = [(w.week, w.pipeline) for w in health.weeks]
    if h is None or not any(v is not None for _, v in points):
        section.add(Paragraph("No weekly pipeline in the 13 weeks to chart.", "muted"))
        return
    for label, value in points:
        out.trace("pipeline_created", label, "value", value)
    caption = (
        f"Pipeline created each week, {points[0][0]} to {points[-1][0]} (all channels)"
        + (f"; best week {h.peak_week} ({fmt(h.peak, 'currency', out.currency)}), median week "
           f"{fmt(h.median, 'currency', out.currency)}" if h.peak is not None else "")
        + "."
    )  # fmt: skip
    spec = trend_spec(
        "Weekly pipeline created, the 13 weeks of system health", points, unit_label="pipeline"
    )
    section.add(
        Chart(
            "Weekly pipeline created",
            spec,
            tuple((label, fmt(value, "currency", out.currency)) for label, value in points),
            caption,
        )
    )


# -- stack ------------------------------------------------------------------------------------


def _stack(out: Pack, ctx: PackContext, report: AuditReport) -> None:
    section = out.section("stack", "Stack audit (stack.yaml)")
    tools = ctx.ws.specs.stack.tools
    cur = out.currency
    by: dict[str, list[float]] = defaultdict(list)
    for tool in tools:
        by[tool.category].append(float(tool.monthly_cost))
    total = sum(sum(v) for v in by.values())
    last = _last(report.until)
    months = (last.year - report.start.year) * 12 + last.month - report.start.month + 1
    rows = tuple(
        (
            Cell(category.replace("_", " ")),
            Cell(str(len(costs)), numeric=True),
            Cell(fmt(sum(costs), "currency", cur), numeric=True),
            Cell(_pct(sum(costs) / total) if total else "—", numeric=True),
        )
        for category, costs in sorted(by.items(), key=lambda kv: -sum(kv[1]))
    )
    section.add(
        Group(
            (
                Paragraph(
                    f"{len(tools)} tools cost {fmt(total, 'currency', cur)} a month, "
                    f"{fmt(total * months, 'currency', cur)} over the {months} month(s) audited."
                    + _stack_weight(out, ctx, report, total * months)
                ),
                Table(
                    ("category", "tools", "per month", "share"), rows, "stack.yaml monthly_cost."
                ),
            )
        )
    )
    people = set(ctx.ws.specs.person_ids)
    known = set(ctx.ws.specs.workflows) | {r.id for r in ctx.ws.specs.cadence.rituals}
    flagged = []
    for tool in tools:
        issues = []
        if not any(p in known for p in tool.processes):
            issues.append("serves no documented process")
        if tool.owner not in people:
            issues.append(f"owner {tool.owner!r} is not in team.yaml")
        if tool.usage != "active":
            issues.append(f"usage {tool.usage}")
        if issues:
            flagged.append(
                (
                    Cell(tool.name, sub=tool.id),
                    Cell(person(ctx, tool.owner)),
                    Cell(fmt(float(tool.monthly_cost), "currency", cur), numeric=True),
                    Cell("; ".join(issues), "bad" if "process" in issues[0] else "warn"),
                )
            )
    if flagged:
        section.add(
            Table(
                ("tool", "owner", "per month", "finding"),
                tuple(flagged),
                "Tools without a process, an owner in team.yaml, or full use.",
            )
        )
    else:
        section.add(Paragraph("Every tool serves a process, has an owner and is in use.", "good"))


def _stack_weight(out: Pack, ctx: PackContext, report: AuditReport, cost: float) -> str:
    """The stack against the quarter's fully loaded cost and pipeline (the engine's, traced)."""
    table = report.metrics
    if table is None:
        return ""
    parts = []
    for metric in ("fully_loaded_cost", "pipeline_created"):
        try:
            row = table.get(metric)
        except KeyError:
            continue
        out.trace(row.metric, row.period, "value", row.value)
        if not row.value:
            continue
        if metric == "fully_loaded_cost":
            parts.append(
                f"{_pct(cost / row.value)} of fully loaded cost "
                f"({fmt(row.value, 'currency', out.currency)})"
            )
        else:
            parts.append(
                f"{fmt(cost / row.value * 1000, 'currency', out.currency)} per "
                f"{fmt(1000, 'currency', out.currency)} of pipeline created "
                f"({fmt(row.value, 'currency', out.currency)})"
            )
    if not parts:
        return ""
    so_far = " so far" if report.end and report.until < report.end else ""
    return f" That is {' and '.join(parts)} in {report.period}{so_far}."


# -- data quality -----------------------------------------------------------------------------


def _data_quality(out: Pack, report: AuditReport) -> None:
    section = out.section("data_quality", "Data quality")
    if report.quarantine:
        grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
        files: dict[tuple[str, str], set[str]] = defaultdict(set)
        for g in report.quarantine:
            grouped[(g.source, g.reason)].append(g.rows)
            files[(g.source, g.reason)].add(g.file)
        quarantined = tuple(
            (Cell(source), Cell(reason), Cell(f"{sum(n):,}", numeric=True),
             Cell(str(len(files[(source, reason)])), numeric=True))
            for (source, reason), n in sorted(grouped.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
        )  # fmt: skip
        total = sum(g.rows for g in report.quarantine)
        section.add(
            Table(
                ("source", "reason", "rows", "files"),
                quarantined,
                f"Open quarantine rows by source and kind of reason ({total:,} reasons; a row "
                "can have several); `demandos quarantine list` shows them.",
            )
        )
    else:
        section.add(Paragraph("The quarantine is empty: every row loaded was read.", "good"))
    rows = tuple(
        (
            Cell(f.table),
            Cell(f"{f.rows:,}", numeric=True),
            Cell(str(f.latest) if f.latest else "—"),
            Cell("—" if f.age_days is None else f"{f.age_days} d", numeric=True),
            Cell(f"{f.limit} d", numeric=True),
            Cell("empty" if not f.rows else "stale" if f.stale else "fresh",
                 "muted" if not f.rows else "bad" if f.stale else "good"),
        )
        for f in report.freshness
    )  # fmt: skip
    section.add(
        Table(
            ("table", "rows", "newest row", "age", "limit", "status"),
            rows,
            f"Age of each table's newest row on {_last(report.until)}, the last day audited "
            "(0 when the table has rows since).",
        )
    )


# -- fix first --------------------------------------------------------------------------------


def _fix_first(out: Pack, ctx: PackContext, report: AuditReport) -> None:
    section = out.section("fix_first", "What to fix first")
    fixes = report.fix_first()
    if not fixes:
        section.add(Paragraph("Every check that applies passed: nothing to fix.", "good"))
        return
    rows = tuple(
        (
            Cell(str(n), numeric=True),
            Cell(f.check.title, sub=f.check.id),
            Cell(str(f.check.weight), numeric=True),
            Cell(f.check.fix + (f" ({f.check.where})" if f.check.where else "")),
            Cell(person(ctx, f.owner) if f.owner else "no owner in team.yaml",
                 None if f.owner else "muted"),
        )
        for n, f in enumerate(fixes, 1)
    )  # fmt: skip
    section.add(
        Table(
            ("#", "failed check", "weight", "fix", "owner"),
            rows,
            "Heaviest first (3 foundational, 2 important, 1 hygiene); the owner is the one the "
            "finding names, else the owner of its area.",
        )
    )
