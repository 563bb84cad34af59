"""The built-in rules of the system (DESIGN: "the workspace").

Every metric has exactly one owner who exists in team.yaml; every workflow and tool has an
owner; every program maps to an ICP segment and a message pillar, or is flagged off-kernel;
ids are unique and every reference points at something that exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from pydantic import BaseModel

from demandos.errors import Finding
from demandos.spec.fields import format_duration
from demandos.spec.kernel import FieldRange
from demandos.spec.metrics import (
    BUILTIN_CATALOG,
    ConversionCalc,
    CumulativeCalc,
    DerivedCalc,
    RatioCalc,
    SimpleCalc,
)
from demandos.spec.rules import check_ref, check_refs, finding, rule
from demandos.spec.specs import SPEC_FILES, Specs
from demandos.spec.workspace import literal_password
from demandos.spec.yamlio import PathPart
from demandos.store.schema import TABLES

TEAM = "team.yaml"
KERNEL = "kernel.yaml"
METRICS = "metrics.yaml"
CHANNELS = "channels.yaml"


def _duplicate_ids(
    specs: Specs, file: str, path: tuple[PathPart, ...], items: Iterable[object]
) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        item_id = getattr(item, "id", None)
        if not isinstance(item_id, str):
            continue
        if item_id in first:
            where = specs.locate(file, (*path, first[item_id], "id"))
            yield finding(
                specs,
                file,
                (*path, index, "id"),
                f"duplicate id {item_id!r} in {path[-1]}",
                f"it is already used at line {where.line}; ids must be unique within {path[-1]}, "
                "so rename one of them",
            )
        else:
            first[item_id] = index


def _id_lists(
    model: BaseModel, path: tuple[PathPart, ...] = ()
) -> Iterator[tuple[tuple[PathPart, ...], tuple[object, ...]]]:
    """Every list of items with ids in a spec model (``metrics``, ``people``, ``steps``…)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, tuple) and value and all(hasattr(v, "id") for v in value):
            yield (*path, name), value


@rule("unique_ids")
def unique_ids(specs: Specs) -> Iterator[Finding]:
    for spec_file in SPEC_FILES.values():
        for path, items in _id_lists(getattr(specs, spec_file.attr)):
            yield from _duplicate_ids(specs, spec_file.name, path, items)
    seen: dict[str, str] = {}
    for source in specs.workflow_sources:
        if source.spec.id in seen:
            yield finding(
                specs,
                source.file,
                ("id",),
                f"duplicate workflow id {source.spec.id!r}",
                f"{seen[source.spec.id]} already uses it; rename one workflow and its file",
            )
        seen.setdefault(source.spec.id, source.file)
        yield from _duplicate_ids(specs, source.file, ("steps",), source.spec.steps)


def _person_refs(specs: Specs) -> Iterator[tuple[str, tuple[PathPart, ...], str | None]]:
    """Every place a spec names a person: owners, step owners, attendees, managers."""
    for i, m in enumerate(specs.metrics.metrics):
        yield METRICS, ("metrics", i, "owner"), m.owner
    for i, p in enumerate(specs.channels.programs):
        yield CHANNELS, ("programs", i, "owner"), p.owner
    for i, t in enumerate(specs.stack.tools):
        yield "stack.yaml", ("tools", i, "owner"), t.owner
    for i, ritual in enumerate(specs.cadence.rituals):
        yield "cadence.yaml", ("rituals", i, "owner"), ritual.owner
        for j, attendee in enumerate(ritual.attendees):
            yield "cadence.yaml", ("rituals", i, "attendees", j), attendee
        for j, item in enumerate(ritual.agenda):
            yield "cadence.yaml", ("rituals", i, "agenda", j, "owner"), item.owner
    for source in specs.workflow_sources:
        yield source.file, ("owner",), source.spec.owner
        for j, step in enumerate(source.spec.steps):
            yield source.file, ("steps", j, "owner"), step.owner
    for i, target in enumerate(specs.assets.production):
        yield "assets.yaml", ("production", i, "owner"), target.owner
    for i, member in enumerate(specs.team.people):
        if member.reports_to != member.id:
            yield TEAM, ("people", i, "reports_to"), member.reports_to


@rule("people_exist")
def people_exist(specs: Specs) -> Iterator[Finding]:
    people = set(specs.person_ids)
    holders: dict[str, list[str]] = {}
    for p in specs.team.people:
        holders.setdefault(p.role, []).append(p.id)
    for file, path, value in _person_refs(specs):
        if value is not None and value not in people and value in holders:
            yield finding(
                specs,
                file,
                path,
                f"{value!r} is a role, not a person: a role is shared ownership, which is no "
                "ownership",
                f"name the one person who answers for it: {', '.join(holders[value])} "
                f"hold{'s' if len(holders[value]) == 1 else ''} the role {value!r}",
            )
            continue
        found = check_ref(specs, file, path, value, people, "person", TEAM, plural="people")
        if found:
            yield found


@rule("team")
def team_structure(specs: Specs) -> Iterator[Finding]:
    roles = {r.id for r in specs.team.roles}
    for i, p in enumerate(specs.team.people):
        found = check_ref(specs, TEAM, ("people", i, "role"), p.role, roles, "role", TEAM)
        if found:
            yield found
        if p.reports_to == p.id:
            yield finding(
                specs,
                TEAM,
                ("people", i, "reports_to"),
                f"{p.id!r} reports to themselves",
                "name their manager, or remove `reports_to:`",
            )


@rule("metric_tree")
def metric_tree(specs: Specs) -> Iterator[Finding]:
    metrics = {m.id: m for m in specs.metrics.metrics}
    index = {m.id: i for i, m in enumerate(specs.metrics.metrics)}
    for i, m in enumerate(specs.metrics.metrics):
        path = ("metrics", i)
        if m.tier == 1 and m.parent is not None:
            yield finding(
                specs,
                METRICS,
                (*path, "parent"),
                f"tier-1 metric {m.id!r} has a parent",
                "the north star sits at the top: remove `parent:`, or raise its tier",
            )
        elif m.tier > 1 and m.parent is None:
            above = [x.id for x in specs.metrics.metrics if x.tier < m.tier]
            yield finding(
                specs,
                METRICS,
                path,
                f"tier-{m.tier} metric {m.id!r} has no parent",
                "add `parent:` with the metric it drives"
                + (f", e.g. one of: {', '.join(above[:6])}" if above else ""),
            )
        elif m.parent is not None and m.parent not in metrics:
            yield check_ref(
                specs, METRICS, (*path, "parent"), m.parent, metrics, "metric", METRICS
            ) or finding(specs, METRICS, path, "unknown parent")
        elif m.parent is not None and m.tier <= metrics[m.parent].tier:
            parent = metrics[m.parent]
            yield finding(
                specs,
                METRICS,
                (*path, "tier"),
                f"tier-{m.tier} metric {m.id!r} sits under {parent.id!r}, "
                f"which is tier {parent.tier}",
                "a metric's tier must be greater than its parent's: "
                + (f"make it tier {parent.tier + 1} or " if parent.tier < 4 else "")
                + "pick another parent",
            )
    reported: set[frozenset[str]] = set()
    for start in metrics:
        chain, node = [start], metrics[start].parent
        while node in metrics and node not in chain:
            chain.append(node)
            node = metrics[node].parent
        if node is None or node not in chain:
            continue
        cycle = chain[chain.index(node) :]
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = min(cycle, key=index.__getitem__)
        ordered = cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
        yield finding(
            specs,
            METRICS,
            ("metrics", index[first], "parent"),
            "the metric tree has a cycle: " + " → ".join([*ordered, first]),
            "each metric's parent is the metric it drives, up to the tier-1 north star; "
            "change one of these parents",
        )
    north = [m.id for m in specs.metrics.metrics if m.tier == 1]
    if len(north) != 1:
        yield finding(
            specs,
            METRICS,
            ("metrics",),
            f"the metric tree has {len(north)} tier-1 metrics"
            + (f" ({', '.join(north)})" if north else ""),
            "one north star (usually der) at tier 1 keeps the tree answerable",
            severity="warning",
        )


def _simple_columns(
    specs: Specs, path: tuple[PathPart, ...], calc: SimpleCalc
) -> Iterator[Finding]:
    """Columns a ``simple`` metric names must exist in its canonical table."""
    schema = TABLES.get(calc.table)
    if schema is None:  # the model already refused it
        return
    columns = schema.column_names
    named: list[tuple[tuple[PathPart, ...], str | None]] = [
        ((*path, "column"), calc.column),
        ((*path, "time_column"), calc.time_column),
        *(((*path, "filters", i, "column"), f.column) for i, f in enumerate(calc.filters)),
    ]
    for where, column in named:
        if found := check_ref(
            specs, METRICS, where, column, columns, f"column of {schema.name}", "the canonical "
            f"{schema.name} table", plural=f"columns of {schema.name}",
        ):  # fmt: skip
            yield found
    if calc.time_column is None and schema.time_column is None:
        yield finding(
            specs, METRICS, (*path, "table"), f"table {schema.name} has no time column",
            "add `time_column:` naming the column that places a row in a period",
        )  # fmt: skip


@rule("metric_formulas")
def metric_formulas(specs: Specs) -> Iterator[Finding]:
    ids = set(specs.metric_ids) | set(BUILTIN_CATALOG)  # a formula may use any built-in
    for i, m in enumerate(specs.metrics.metrics):
        path: tuple[PathPart, ...] = ("metrics", i)
        calc, cpath = m.calculation, (*path, "calculation")
        refs: list[tuple[str, str]] = []
        if isinstance(calc, RatioCalc):
            refs = [("numerator", calc.numerator), ("denominator", calc.denominator)]
        elif isinstance(calc, CumulativeCalc):
            refs = [("metric", calc.metric)]
        elif isinstance(calc, DerivedCalc):
            yield from check_refs(
                specs, METRICS, (*cpath, "metrics"), calc.metrics, ids, "metric", METRICS
            )
        if isinstance(calc, SimpleCalc):
            yield from _simple_columns(specs, cpath, calc)
        if (
            isinstance(calc, ConversionCalc)
            and calc.entity == "opportunities"
            and (calc.base_event != "opportunity")
        ):
            yield finding(
                specs, METRICS, (*cpath, "base_event"),
                f"opportunities do not reach the {calc.base_event!r} stage",
                "for opportunities use base_event: opportunity (and conversion_event: won), "
                "or set entity: people or accounts",
            )  # fmt: skip
        for key, ref in refs:
            if ref == m.id:
                yield finding(specs, METRICS, (*cpath, key), f"metric {m.id!r} refers to itself")
            elif found := check_ref(specs, METRICS, (*cpath, key), ref, ids, "metric", METRICS):
                yield found
        if m.unit == "percent" and m.target and m.target.value > 1:
            yield finding(
                specs,
                METRICS,
                (*path, "target", "value"),
                f"percent target {m.target.value:g} is more than 100%",
                f"percents are fractions: write {m.target.value / 100:g} for {m.target.value:g}%",
                severity="warning",
            )


@rule("programs_on_kernel")
def programs_on_kernel(specs: Specs) -> Iterator[Finding]:
    channels, segments, pillars = specs.channel_ids, specs.segment_ids, specs.pillar_ids
    for i, p in enumerate(specs.channels.programs):
        path = ("programs", i)
        if found := check_ref(
            specs, CHANNELS, (*path, "channel"), p.channel, channels, "channel", CHANNELS
        ):
            yield found
        yield from _hands_to(specs, i)
        yield from check_refs(
            specs, CHANNELS, (*path, "segments"), p.segments, segments, "ICP segment", KERNEL
        )
        yield from check_refs(
            specs, CHANNELS, (*path, "pillars"), p.pillars, pillars, "message pillar", KERNEL
        )
        for field, what, known in (
            ("segments", "ICP segment", segments),
            ("pillars", "message pillar", pillars),
        ):
            if not getattr(p, field):
                yield finding(
                    specs,
                    CHANNELS,
                    path,
                    f"program {p.id!r} is off-kernel: it maps to no {what}",
                    f"add `{field}:` with ids from kernel.yaml: {', '.join(known)}",
                    severity="warning",
                )


def _hands_to(specs: Specs, i: int) -> Iterator[Finding]:
    """A launch's ``hands_to`` names an always-on program of channels.yaml."""
    program = specs.channels.programs[i]
    if program.hands_to is None:
        return
    path = ("programs", i, "hands_to")
    kinds = {p.id: p.kind for p in specs.channels.programs}
    always_on = sorted(k for k, kind in kinds.items() if kind == "always_on")
    if program.hands_to not in kinds:
        if found := check_ref(
            specs, CHANNELS, path, program.hands_to, always_on, "always-on program", CHANNELS
        ):
            yield found
    elif kinds[program.hands_to] != "always_on":
        yield finding(
            specs,
            CHANNELS,
            path,
            f"launch {program.id!r} hands its audience to {program.hands_to!r}, "
            f"a {kinds[program.hands_to]}, not an always-on program",
            f"name an always-on program: {', '.join(always_on) or 'channels.yaml has none'}",
        )


@rule("kernel_refs")
def kernel_refs(specs: Specs) -> Iterator[Finding]:
    segments = specs.segment_ids
    proofs = [p.id for p in specs.kernel.proof_points]
    for i, persona in enumerate(specs.kernel.personas):
        yield from check_refs(
            specs,
            KERNEL,
            ("personas", i, "segments"),
            persona.segments,
            segments,
            "ICP segment",
            KERNEL,
        )
    for i, pillar in enumerate(specs.kernel.pillars):
        yield from check_refs(
            specs,
            KERNEL,
            ("pillars", i, "proof_points"),
            pillar.proof_points,
            proofs,
            "proof point",
            KERNEL,
        )


@rule("kernel_fields")
def kernel_fields(specs: Specs) -> Iterator[Finding]:
    """A segment's ``fields`` rules name columns of the accounts table, with a rule of their
    type: patterns for text, a range for numbers and dates."""
    columns = {c.name: c.type for c in TABLES["accounts"].columns}
    for i, segment in enumerate(specs.kernel.segments):
        for column, fit in segment.rules.fields.items():
            path = ("segments", i, "rules", "fields", column)
            kind = columns.get(column)
            if kind is None:
                if found := check_ref(
                    specs, KERNEL, path, column, sorted(columns), "column", "the accounts table"
                ):
                    yield found
                continue
            problem = _field_rule_problem(column, kind, fit)
            if problem:
                yield finding(specs, KERNEL, path, *problem)


def _field_rule_problem(column: str, kind: str, fit: object) -> tuple[str, str] | None:
    """What is wrong with a ``fields`` rule on a column of type ``kind``, and the fix."""
    if kind not in ("int", "float", "date", "timestamp"):
        if isinstance(fit, FieldRange):
            return (
                f"accounts column {column!r} holds text, which fits patterns, not a range",
                f"write `{column}: ['value', 'prefix*']`",
            )
        return None
    if not isinstance(fit, FieldRange):
        return (
            f"accounts column {column!r} holds {kind}s, which fit a range, not patterns",
            f"write `{column}: {{min: ..., max: ...}}`",
        )
    dated = kind in ("date", "timestamp")
    ends = [end for end in (fit.min, fit.max) if end is not None]
    if dated and any(not isinstance(end, date) for end in ends):
        return (
            f"accounts column {column!r} holds dates, and the range has a number",
            "write the ends as dates: {min: 2024-01-01}",
        )
    if not dated and any(isinstance(end, date) for end in ends):
        return (
            f"accounts column {column!r} holds numbers, and the range has a date",
            "write the ends as numbers: {min: 50, max: 500}",
        )
    return None


@rule("narrative_refs")
def narrative_refs(specs: Specs) -> Iterator[Finding]:
    """The master narrative's products name segments, pillars and programs that exist."""
    narrative = specs.kernel.narrative
    if narrative is None:
        return
    programs = [p.id for p in specs.channels.programs]
    for i, product in enumerate(narrative.products):
        path = ("narrative", "products", i)
        for field, ids, what, where in (
            ("segments", specs.segment_ids, "ICP segment", KERNEL),
            ("pillars", specs.pillar_ids, "message pillar", KERNEL),
            ("programs", programs, "program", CHANNELS),
        ):
            yield from check_refs(
                specs, KERNEL, (*path, field), getattr(product, field), ids, what, where
            )


@rule("stack_processes")
def stack_processes(specs: Specs) -> Iterator[Finding]:
    processes = [*specs.workflows, *(r.id for r in specs.cadence.rituals)]
    for i, tool in enumerate(specs.stack.tools):
        yield from check_refs(
            specs,
            "stack.yaml",
            ("tools", i, "processes"),
            tool.processes,
            processes,
            "workflow or ritual",
            "workflows/ and cadence.yaml",
            plural="workflows and rituals",
        )


@rule("workflows")
def workflow_rules(specs: Specs) -> Iterator[Finding]:
    if not specs.workflow_sources:
        yield finding(
            specs,
            "workflows/",
            (),
            "the workspace has no workflows",
            "map one critical workflow first, e.g. workflows/lead_to_opportunity.yaml",
            severity="warning",
        )
    for source in specs.workflow_sources:
        wf, stem = source.spec, source.file.rsplit("/", 1)[-1].removesuffix(".yaml")
        if wf.id != stem:
            yield finding(
                specs,
                source.file,
                ("id",),
                f"workflow id {wf.id!r} does not match its file name {stem!r}",
                f"rename the file to workflows/{wf.id}.yaml, or the id to {stem!r}",
                severity="warning",
            )
        total = sum((s.sla for s in wf.steps if s.sla), timedelta())
        if wf.sla and total > wf.sla:
            yield finding(
                specs,
                source.file,
                ("sla",),
                f"the step SLAs add up to {format_duration(total)}, more than the "
                f"workflow's SLA of {format_duration(wf.sla)}",
                "shorten step SLAs or lengthen the workflow SLA",
                severity="warning",
            )


@rule("experiments")
def experiment_rules(specs: Specs) -> Iterator[Finding]:
    """Each experiment names a person of team.yaml and a metric of metrics.yaml, its file is
    named after its id, and the planner has what it needs (a baseline rate, or an sd)."""
    seen: dict[str, str] = {}
    for source in specs.experiment_sources:
        ex, file = source.spec, source.file
        stem = file.rsplit("/", 1)[-1].removesuffix(".yaml")
        if ex.id in seen:
            hint = f"{seen[ex.id]} already uses it; rename one experiment and its file"
            yield finding(specs, file, ("id",), f"duplicate experiment id {ex.id!r}", hint)
        seen.setdefault(ex.id, file)
        if ex.id != stem:
            yield finding(specs, file, ("id",),
                          f"experiment id {ex.id!r} does not match its file name {stem!r}",
                          f"rename the file to experiments/{ex.id}.yaml, or the id to {stem!r}",
                          severity="warning")  # fmt: skip
        for found in (
            check_ref(specs, file, ("owner",), ex.owner, specs.person_ids, "person", TEAM,
                      plural="people"),
            check_ref(specs, file, ("metric",), ex.metric, specs.metric_ids, "metric", METRICS),
            check_ref(specs, file, ("assignment", "program"),
                      ex.assignment.program if ex.assignment else None,
                      [p.id for p in specs.channels.programs], "program", CHANNELS),
            check_ref(specs, file, ("assignment", "segment"),
                      ex.assignment.segment if ex.assignment else None, specs.segment_ids,
                      "segment", KERNEL),
        ):  # fmt: skip
            if found:
                yield found
        need = "baseline" if ex.kind == "conversion_rate" else "sd"
        if getattr(ex, need) is None:
            example = "baseline: 0.05 (the control's expected rate)" if need == "baseline" else (
                "sd: <standard deviation of one unit's value, from past data>")  # fmt: skip
            yield finding(specs, file, (), f"the {ex.kind} experiment has no {need}: "
                          "`demandos experiment plan` cannot size it",
                          f"add {example}", severity="warning")  # fmt: skip


@rule("cadence")
def cadence_rules(specs: Specs) -> Iterator[Finding]:
    for i, ritual in enumerate(specs.cadence.rituals):
        planned = sum(item.minutes for item in ritual.agenda)
        if planned > ritual.duration_minutes:
            yield finding(
                specs,
                "cadence.yaml",
                ("rituals", i, "agenda"),
                f"the agenda takes {planned} minutes, the ritual lasts {ritual.duration_minutes}",
                "trim the agenda or lengthen duration_minutes",
                severity="warning",
            )


@rule("store_credentials")
def store_credentials(specs: Specs) -> Iterator[Finding]:
    store = specs.workspace.store
    for key, url in (("url", store.url), ("log_url", store.log_url)):
        if url and literal_password(url):
            yield finding(
                specs,
                "demandos.yaml",
                ("store", key),
                "the URL contains a password",
                "credentials belong in environment variables: write the password as "
                "${DEMANDOS_DB_PASSWORD} and set that variable",
                severity="warning",
            )


@rule("rollout")
def rollout_rules(specs: Specs) -> Iterator[Finding]:
    """Task ids are unique across the plan; ``done:`` names tasks of the plan, once each; week 1
    starts on a Monday, as the weeks of the reviews do."""
    plan = specs.rollout
    if plan.start_date is not None and plan.start_date.weekday() != 0:
        monday = plan.start_date - timedelta(days=plan.start_date.weekday())
        yield finding(
            specs,
            "rollout.yaml",
            ("start_date",),
            f"start_date {plan.start_date} is a {plan.start_date:%A}, and weeks of the plan run "
            "Monday to Sunday like the weekly reviews",
            f"start the plan on the Monday of that week: start_date: {monday}",
            severity="warning",
        )
    tasks: dict[str, str] = {}
    for i, phase in enumerate(plan.phases):
        for j, task in enumerate(phase.tasks):
            if task.id in tasks:
                yield finding(
                    specs,
                    "rollout.yaml",
                    ("phases", i, "tasks", j, "id"),
                    f"task {task.id!r} is already in phase {tasks[task.id]!r}",
                    "each task belongs to one phase: remove it here or rename it",
                )
            tasks.setdefault(task.id, phase.id)
        for task in plan.tasks(phase):
            tasks.setdefault(task.id, phase.id)
    recorded: set[str] = set()
    for i, done in enumerate(plan.done):
        path = ("done", i, "task")
        if found := check_ref(
            specs, "rollout.yaml", path, done.task, tasks, "task", "rollout.yaml's phases"
        ):
            yield found
        elif done.task in recorded:
            yield finding(
                specs,
                "rollout.yaml",
                path,
                f"task {done.task!r} is recorded done twice",
                "keep one entry per task (the day it was done and its evidence)",
            )
        recorded.add(done.task)
