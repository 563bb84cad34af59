"""The checks of the five components of the demand system: metrics, cadence, roles, process and
stack (each check: ``rollout.checks``)."""

from __future__ import annotations

from datetime import timedelta

from demandos.metrics.periods import week_period
from demandos.rollout.checks import (
    AuditContext,
    Result,
    check,
    failed,
    names,
    not_applicable,
    passed,
    pct,
)
from demandos.rollout.failures import ownership, tool_first, vanity
from demandos.stack.audit import paid_by_usage, unowned

ACTIONS_ON_TIME = 0.8
"""The share of actions due in the quarter that must be done by their due date."""
REVIEW_WEEKS = 4
REVIEWS_HELD = 3
"""Weekly reviews recorded in the last ``REVIEW_WEEKS`` weeks for the rhythm to be running."""


# -- metrics --------------------------------------------------------------------------------


@check("metrics", "m.north_star", "One tier-1 north-star metric", weight=3)
def north_star(a: AuditContext) -> Result:
    tops = [m.id for m in a.specs.metrics.metrics if m.tier == 1]
    count = len(a.specs.metrics.metrics)
    if len(tops) == 1:
        return passed(f"{tops[0]} is the north star of a tree of {count} metrics", {"tier_1": 1})
    if not tops:
        return failed(
            "metrics.yaml has no tier-1 metric: nothing says what the system optimizes",
            "add the Demand Efficiency Ratio at tier 1 (`id: der, tier: 1, builtin: der`) and "
            "give tier-2 metrics `parent: der`",
            {"tier_1": 0},
            where=a.locate("metrics.yaml", "metrics"),
        )
    return failed(
        f"{len(tops)} tier-1 metrics ({', '.join(tops)}): the tree has no single north star",
        f"keep one at tier 1 (usually der) and move {', '.join(tops[1:])} to tier 2 under it",
        {"tier_1": len(tops)},
        owner=a.specs.metrics.metrics[0].owner,
    )


@check("metrics", "m.owners", "Every metric has one owner in team.yaml", weight=3)
def metric_owners(a: AuditContext) -> Result:
    metrics = a.specs.metrics.metrics
    orphans = [(i, m) for i, m in enumerate(metrics) if m.owner not in a.people]
    if not orphans:
        return passed(f"all {len(metrics)} metrics have an owner in team.yaml")
    i = orphans[0][0]
    return failed(
        f"{len(orphans)} of {len(metrics)} metrics name an owner who is not in team.yaml: "
        + names([f"{m.id} ({m.owner!r})" for _, m in orphans]),
        "name one person id from team.yaml as each metric's owner (a role or a team is no one)",
        {"metrics": len(metrics), "without_owner": len(orphans)},
        where=a.locate("metrics.yaml", "metrics", i, "owner"),
    )


@check("metrics", "m.targets", "Every metric has a target", weight=2)
def metric_targets(a: AuditContext) -> Result:
    metrics = a.specs.metrics.metrics
    bare = [m for m in metrics if m.target is None]
    numbers = {"metrics": len(metrics), "without_target": len(bare)}
    if not bare:
        return passed(f"all {len(metrics)} metrics have a target", numbers)
    index = metrics.index(bare[0])
    return failed(
        f"{len(bare)} of {len(metrics)} metrics have no target: " + names([m.id for m in bare]),
        "add `target: {value, amber, red, per}` to each, so reviews can say on or off track",
        numbers,
        owner=bare[0].owner,
        where=a.locate("metrics.yaml", "metrics", index),
    )


@check("metrics", "m.vanity", "Every metric leads up to the north star", weight=2)
def no_vanity_metrics(a: AuditContext) -> Result:
    found = vanity(a)
    count = len(a.specs.metrics.metrics)
    if not found:
        return passed(f"each of the {count} metrics has a chain of parents up to the north star")
    return failed(
        f"{len(found)} vanity metric(s) with no path to pipeline in the tree: "
        + "; ".join(f"{v.metric} {v.reason}" for v in found[:4]),
        "give each a `parent:` that it drives, up to the north star, or drop it from the tree",
        {"metrics": count, "vanity": len(found)},
        owner=found[0].owner,
        where=a.locate("metrics.yaml", "metrics", found[0].index),
    )


@check("metrics", "m.data", "Every metric has data for the quarter", weight=2)
def metric_data(a: AuditContext) -> Result:
    if a.days <= 0:
        return not_applicable(f"{a.quarter.label} has not started")
    rows = a.metric_table.totals()
    empty = [r for r in rows if r.state in ("no_data", "not_computed")]
    numbers = {"metrics": len(rows), "without_data": len(empty)}
    if not empty:
        return passed(f"all {len(rows)} metrics have a value for {a.quarter.label}", numbers)
    return failed(
        f"{len(empty)} of {len(rows)} metrics have no value for {a.quarter.label}: "
        + "; ".join(f"{r.metric} ({r.reason or r.state})" for r in empty[:4])
        + ("; …" if len(empty) > 4 else ""),
        "load the data they need (`demandos status` shows each table's dates) or fix their formula",
        numbers,
        owner=empty[0].owner,
    )


# -- cadence --------------------------------------------------------------------------------


@check("cadence", "c.rituals", "A weekly, monthly and quarterly rhythm is defined", weight=3)
def rituals(a: AuditContext) -> Result:
    rituals = a.specs.cadence.rituals
    has = {
        "a weekly performance review": any(r.kind == "weekly_review" for r in rituals),
        "a monthly ritual": any(r.frequency == "monthly" for r in rituals),
        "a quarterly ritual": any(r.frequency == "quarterly" for r in rituals),
    }
    missing = [k for k, v in has.items() if not v]
    numbers = {"rituals": len(rituals), "missing": len(missing)}
    if not missing:
        return passed(f"{len(rituals)} rituals, weekly, monthly and quarterly", numbers)
    return failed(
        f"cadence.yaml has no {' and no '.join(missing)}",
        "add them to cadence.yaml (`demandos init` writes the full rhythm to start from)",
        numbers,
        where=a.locate("cadence.yaml", "rituals"),
    )


@check("cadence", "c.agendas", "Every ritual has a time-boxed agenda", weight=1)
def agendas(a: AuditContext) -> Result:
    bad = []
    for ritual in a.specs.cadence.rituals:
        minutes = sum(item.minutes for item in ritual.agenda)
        if not ritual.agenda:
            bad.append(f"{ritual.id} (no agenda)")
        elif minutes > ritual.duration_minutes:
            bad.append(f"{ritual.id} ({minutes} min of agenda in {ritual.duration_minutes})")
    if not bad:
        return passed(f"all {len(a.specs.cadence.rituals)} rituals have an agenda that fits")
    return failed(
        f"{len(bad)} ritual(s) without a fitting agenda: {names(bad)}",
        "give each ritual agenda items with minutes that add up to its length",
        {"rituals": len(a.specs.cadence.rituals), "without_agenda": len(bad)},
    )


@check("cadence", "c.reviews", "Weekly reviews are held and recorded", weight=3)
def reviews_held(a: AuditContext) -> Result:
    weekly = [r for r in a.specs.cadence.rituals if r.kind == "weekly_review"]
    if not weekly:
        return not_applicable("cadence.yaml has no weekly review to hold")
    last = week_period(a.until - timedelta(days=1))
    if last.end > a.until:
        last = last.previous()
    weeks = [last.shift(n - REVIEW_WEEKS + 1).label for n in range(REVIEW_WEEKS)]
    since, until = last.shift(1 - REVIEW_WEEKS).start, last.end
    held = sorted(
        {
            week_period(r.held_at.date()).label
            for r in a.reviews
            if r.kind == "weekly_review" and r.held_at and since <= r.held_at.date() < until
        }
    )
    missing = [w for w in weeks if w not in held]
    numbers = {"held": len(held), "weeks": REVIEW_WEEKS}
    text = (
        f"{len(held)} weekly review(s) recorded in the {REVIEW_WEEKS} full weeks {weeks[0]} to "
        f"{weeks[-1]}"
        + (f" ({', '.join(held)})" if held else "")
        + (f"; none in {', '.join(missing)}" if missing else "")
    )
    if len(held) >= REVIEWS_HELD:
        return passed(text, numbers)
    return failed(
        text,
        f"hold the {weekly[0].name} every week and record it: `demandos review record "
        f"{weekly[0].id}`",
        numbers,
        owner=weekly[0].owner,
    )


@check("cadence", "c.actions", "Actions are closed by their due date", weight=2)
def actions_on_time(a: AuditContext) -> Result:
    due = [x for x in a.actions if x.due and a.quarter.start <= x.due < a.until]
    if not due:
        return not_applicable(f"no action in the operating log was due in {a.quarter.label}")
    on_time = [x for x in due if x.done_at is not None and x.done_at.date() <= x.due]  # type: ignore[operator]
    share = len(on_time) / len(due)
    late = [x for x in due if x not in on_time]
    numbers = {"due": len(due), "on_time": len(on_time), "share": share}
    text = (
        f"{len(on_time)} of {len(due)} actions due in {a.quarter.label} were done on time "
        f"({pct(share)})"
    )
    if share >= ACTIONS_ON_TIME:
        return passed(text, numbers)
    return failed(
        text + "; late or open: " + names([f"#{x.id} {x.title} ({x.owner})" for x in late], 3),
        "give each action a due date its owner can keep, and close or re-date them at the "
        "Monday review (`demandos action list --overdue`)",
        numbers,
        owner=late[0].owner,
    )


@check("cadence", "c.decisions", "Decisions are logged", weight=1)
def decisions_logged(a: AuditContext) -> Result:
    made = [d for d in a.decisions if a.quarter.start <= d.made_at.date() < a.until]
    numbers = {"decisions": len(made), "months": a.months}
    text = f"{len(made)} decision(s) logged in {a.quarter.label} ({a.months} month(s) measured)"
    if len(made) >= a.months:
        return passed(text, numbers)
    return failed(
        text + ": fewer than one a month",
        "log what each review decides, with the metric it should move: `demandos decision add`",
        numbers,
    )


# -- roles ----------------------------------------------------------------------------------


@check("roles", "r.missing", "Every owner named is a person in team.yaml", weight=3)
def owners_exist(a: AuditContext) -> Result:
    found = ownership(a)
    numbers = {"owners_named": len(found.refs), "missing": len(found.missing)}
    if not found.missing:
        return passed(
            f"all {len(found.refs)} owners named in the specs are people of team.yaml", numbers
        )
    first = found.missing[0]
    return failed(
        f"{len(found.missing)} owner(s) are nobody in team.yaml: "
        + names([f"{r.what} → {r.owner!r}" for r in found.missing], 4),
        "add these people to team.yaml, or name an owner who is there",
        numbers,
        where=a.locate(first.file, *first.path),
    )


@check("roles", "r.shared", "No ownership is shared", weight=2)
def no_shared_ownership(a: AuditContext) -> Result:
    found = ownership(a)
    parts = [f"{r.what} is owned by the role {r.owner!r}" for r in found.roles]
    parts += [f"{' and '.join(who)} both list {what!r}" for what, who in found.shared.items()]
    numbers = {"role_owners": len(found.roles), "shared_responsibilities": len(found.shared)}
    if not parts:
        return passed("every owner is one person and no responsibility is listed twice", numbers)
    where = a.locate(found.roles[0].file, *found.roles[0].path) if found.roles else None
    return failed(
        "shared ownership: " + names(parts, 4),
        "shared ownership is no ownership: give each item and each responsibility one person",
        numbers,
        where=where,
    )


@check("roles", "r.everyone", "Each person owns something", weight=2)
def everyone_owns(a: AuditContext) -> Result:
    found = ownership(a)
    people = len(a.specs.team.people)
    numbers = {"people": people, "owning_nothing": len(found.idle)}
    if not found.idle:
        return passed(
            f"each of the {people} people owns a metric, program, ritual, workflow or tool", numbers
        )
    return failed(
        f"{len(found.idle)} of {people} people own nothing in the specs: {names(found.idle)}",
        "give each person the metrics, programs or workflows they answer for, or take them "
        "off team.yaml",
        numbers,
    )


@check("roles", "r.responsibilities", "Responsibilities are documented", weight=1)
def responsibilities(a: AuditContext) -> Result:
    people = a.specs.team.people
    bare = [p.id for p in people if not p.responsibilities]
    if not bare:
        return passed(f"all {len(people)} people list their responsibilities")
    index = [p.id for p in people].index(bare[0])
    return failed(
        f"{len(bare)} of {len(people)} people list no responsibilities: {names(bare)}",
        "write each person's responsibilities in team.yaml",
        {"people": len(people), "without": len(bare)},
        owner=bare[0],
        where=a.locate("team.yaml", "people", index),
    )


# -- process --------------------------------------------------------------------------------


@check("process", "p.workflows", "Core workflows are documented", weight=3)
def workflows(a: AuditContext) -> Result:
    found = sorted(a.specs.workflows)
    if found:
        return passed(
            f"{len(found)} workflow(s) documented: {names(found)}", {"workflows": len(found)}
        )
    return failed(
        "no workflow is documented in workflows/",
        "document one critical workflow first, inbound lead → sales opportunity "
        "(`demandos init` writes one to start from)",
        {"workflows": 0},
    )


@check("process", "p.critical", "The lead-to-opportunity flow is measured from the CRM", weight=2)
def critical_workflow(a: AuditContext) -> Result:
    measured = [
        w.id
        for w in a.specs.workflows.values()
        if {"lead", "opportunity"} <= {s.milestone for s in w.steps if s.milestone}
    ]
    if measured:
        return passed(f"{', '.join(measured)} runs from lead to opportunity with CRM milestones")
    return failed(
        "no workflow has steps marked by the CRM stages lead … opportunity, so no SLA is "
        "measured from data",
        "mark the steps of the inbound-lead workflow with `milestone:` (lead, mql, sql, "
        "opportunity)",
    )


@check("process", "p.owners", "Every workflow and step has an owner in team.yaml", weight=2)
def workflow_owners(a: AuditContext) -> Result:
    if not a.specs.workflows:
        return not_applicable("no workflow is documented")
    bad = []
    for w in a.specs.workflows.values():
        if w.owner not in a.people:
            bad.append(f"{w.id} ({w.owner!r})")
        bad += [
            f"{w.id}.{s.id} ({s.owner!r})" for s in w.steps if s.owner and s.owner not in a.people
        ]
    if not bad:
        return passed(f"all {len(a.specs.workflows)} workflows and their steps have an owner")
    return failed(
        f"{len(bad)} workflow(s) or step(s) name an owner not in team.yaml: {names(bad)}",
        "name a person id from team.yaml as owner",
        {"without_owner": len(bad)},
    )


@check("process", "p.slas", "Workflows and their steps have SLAs", weight=2)
def workflow_slas(a: AuditContext) -> Result:
    if not a.specs.workflows:
        return not_applicable("no workflow is documented")
    bad = [f"{w.id} (end to end)" for w in a.specs.workflows.values() if w.sla is None]
    bad += [f"{w.id}.{s.id}" for w in a.specs.workflows.values() for s in w.steps if s.sla is None]
    steps = sum(len(w.steps) for w in a.specs.workflows.values())
    numbers = {"steps": steps, "without_sla": len(bad)}
    if not bad:
        return passed(f"every workflow and all {steps} steps have an SLA", numbers)
    owner = next(w.owner for w in a.specs.workflows.values() if bad[0].startswith(w.id))
    return failed(
        f"{len(bad)} SLA(s) missing: {names(bad)}",
        "add `sla:` (15m, 4h, 2d…) to each step and to the workflow",
        numbers,
        owner=owner,
    )


@check("process", "p.checklists", "Every step has a checklist", weight=1)
def checklists(a: AuditContext) -> Result:
    if not a.specs.workflows:
        return not_applicable("no workflow is documented")
    bare = [
        f"{w.id}.{s.id}" for w in a.specs.workflows.values() for s in w.steps if not s.checklist
    ]
    if not bare:
        return passed("every step of every workflow has a checklist")
    return failed(
        f"{len(bare)} step(s) without a checklist: {names(bare)}",
        "write what must be true before each step is done under `checklist:`",
        {"without_checklist": len(bare)},
    )


# -- stack ----------------------------------------------------------------------------------


@check("stack", "s.processes", "Every tool serves a documented process", weight=3)
def tools_serve_processes(a: AuditContext) -> Result:
    found = tool_first(a)
    tools = len(a.specs.stack.tools)
    cost = sum(t.monthly_cost for t in found)
    numbers = {"tools": tools, "without_process": len(found), "monthly_cost": cost}
    if not found:
        return passed(f"all {tools} tools serve a workflow or ritual", numbers)
    return failed(
        f"tool-first trap: {len(found)} of {tools} tools serve no documented process "
        f"({cost:,.0f} {a.currency} a month): "
        + names([f"{t.tool} ({t.reason})" for t in found], 4),
        "name the workflow or ritual each serves in `processes:`, or cancel it",
        numbers,
        owner=found[0].owner,
        where=a.locate("stack.yaml", "tools", found[0].index, "processes"),
    )


@check("stack", "s.owners", "Every tool has an owner in team.yaml", weight=2)
def tool_owners(a: AuditContext) -> Result:
    tools = a.specs.stack.tools
    bad = unowned(a.specs)
    if not bad:
        return passed(f"all {len(tools)} tools have an owner in team.yaml")
    return failed(
        f"{len(bad)} tool(s) owned by nobody in team.yaml: "
        + names([f"{t.id} ({t.owner!r})" for _, t in bad]),
        "name the person accountable for each tool",
        {"tools": len(tools), "without_owner": len(bad)},
        where=a.locate("stack.yaml", "tools", bad[0][0], "owner"),
    )


@check("stack", "s.costs", "Every tool states its cost", weight=1)
def tool_costs(a: AuditContext) -> Result:
    positions = a.specs.positions.get("stack.yaml")
    tools = a.specs.stack.tools
    if positions is None:
        return not_applicable("where stack.yaml's fields are written is not known")
    bare = [
        (i, t) for i, t in enumerate(tools) if ("tools", i, "monthly_cost") not in positions.values
    ]
    total = sum(t.monthly_cost for t in tools)
    numbers = {"tools": len(tools), "without_cost": len(bare), "monthly_cost": float(total)}
    if not bare:
        return passed(
            f"all {len(tools)} tools state a monthly cost ({total:,.0f} {a.currency} in all)",
            numbers,
        )
    return failed(
        f"{len(bare)} tool(s) state no monthly cost: {names([t.id for _, t in bare])}",
        "write `monthly_cost:` for each (0 for a free tool), so the stack's cost is known",
        numbers,
        owner=bare[0][1].owner,
        where=a.locate("stack.yaml", "tools", bare[0][0]),
    )


@check("stack", "s.unused", "No money goes to unused tools", weight=1)
def unused_tools(a: AuditContext) -> Result:
    unused, low = paid_by_usage(a.specs, "unused"), paid_by_usage(a.specs, "low")
    waste = sum(t.monthly_cost for t in unused)
    numbers = {"unused": len(unused), "unused_monthly_cost": float(waste), "low": len(low)}
    note = (
        f"; low usage: {names([t.id for t in low])} ({sum(t.monthly_cost for t in low):,.0f} "
        f"{a.currency} a month)"
        if low
        else ""
    )
    if not unused:
        return passed("no paid tool is marked unused" + note, numbers)
    return failed(
        f"{len(unused)} paid tool(s) marked unused, {waste:,.0f} {a.currency} a month: "
        f"{names([t.id for t in unused])}" + note,
        "cancel them, or give them a process and an owner who uses them",
        numbers,
        owner=unused[0].owner,
    )
