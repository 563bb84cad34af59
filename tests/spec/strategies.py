"""Hypothesis strategies that build valid instances of every spec model."""

from __future__ import annotations

import zoneinfo
from datetime import date, time, timedelta
from typing import Any

from hypothesis import strategies as st

from demandos.spec import (
    CadenceSpec,
    ChannelsSpec,
    KernelSpec,
    MetricsSpec,
    RolloutSpec,
    StackSpec,
    TeamSpec,
    WorkflowSpec,
    WorkspaceSpec,
)
from demandos.spec.cadence import KIND_FREQUENCY, ORDINALS
from demandos.spec.fields import WEEKDAYS
from demandos.spec.metrics import BUILTIN_METRICS, DIMENSIONS, STAGES
from demandos.spec.rollout import PHASE_ORDER

ids = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
# Any printable text, including what YAML would read as something else ("yes", "1.5", "- a").
text = st.one_of(
    st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=40),
    st.sampled_from(
        [
            "yes",
            "no",
            "null",
            "~",
            "1.5",
            "0x1F",
            "2025-01-06",
            "09:30",
            "- a",
            "#",
            "a: b",
            "'",
            '"',
            "@x",
            "*x",
            "&x",
            "!x",
            "%x",
            "`x`",
            " lead",
            "trail ",
        ]
    ),
)
texts = st.lists(text, max_size=3).map(tuple)
id_lists = st.lists(ids, max_size=3).map(tuple)
amounts = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
numbers = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
durations = st.integers(min_value=1, max_value=60 * 24 * 90).map(lambda m: timedelta(minutes=m))
clock = st.times().map(lambda t: time(t.hour, t.minute))
timezones = st.sampled_from(sorted(zoneinfo.available_timezones()))


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def ranges(draw: st.DrawFn) -> dict[str, float | None]:
    low, high = sorted(draw(st.lists(amounts, min_size=2, max_size=2)))
    return {"min": draw(optional(st.just(low))), "max": draw(optional(st.just(high)))}


def workspace_specs() -> st.SearchStrategy[WorkspaceSpec]:
    store = st.fixed_dictionaries(
        {"backend": st.sampled_from(["embedded", "postgres"])},
        optional={
            "schema": st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True),
            "log_url": st.just("sqlite:///${LOG_DIR}/log.db"),
        },
    ).map(lambda s: s | {"url": "postgresql://u:${PW}@h/db"} if s["backend"] == "postgres" else s)
    return st.builds(
        WorkspaceSpec.model_validate,
        st.fixed_dictionaries(
            {"name": text},
            optional={
                "description": text,
                "timezone": timezones,
                "currency": st.from_regex(r"[A-Z]{3}", fullmatch=True),
                "fiscal_year_start_month": st.integers(1, 12),
                "week_start": st.sampled_from(WEEKDAYS),
                "store": store,
            },
        ),
    )


def kernel_specs() -> st.SearchStrategy[KernelSpec]:
    rules = st.fixed_dictionaries(
        {},
        optional={
            "industries": texts,
            "employees": ranges(),
            "annual_revenue": ranges(),
            "countries": st.lists(st.from_regex(r"[A-Z]{2}", fullmatch=True), max_size=3),
        },
    )
    segment = st.fixed_dictionaries(
        {"id": ids, "name": text},
        optional={
            "description": text,
            "rules": rules,
            "priority": st.sampled_from(["primary", "secondary", "exploratory"]),
        },
    )
    persona = st.fixed_dictionaries(
        {"id": ids, "name": text, "titles": st.lists(text, min_size=1, max_size=3)},
        optional={
            "segments": id_lists,
            "seniority": st.sampled_from(
                ["individual_contributor", "manager", "head", "director", "vp", "c_level"]
            ),
        },
    )
    pillar = st.fixed_dictionaries(
        {"id": ids, "name": text, "message": text}, optional={"proof_points": id_lists}
    )
    proof = st.fixed_dictionaries(
        {"id": ids, "claim": text, "evidence": text}, optional={"source": text}
    )
    competitor = st.fixed_dictionaries({"id": ids, "name": text}, optional={"positioning": text})
    positioning = st.fixed_dictionaries(
        {"statement": text, "category": text, "target_customer": text, "problem": text},
        optional={"alternatives": texts, "differentiators": texts},
    )
    return st.builds(
        KernelSpec.model_validate,
        st.fixed_dictionaries(
            {
                "positioning": positioning,
                "segments": st.lists(segment, min_size=1, max_size=3),
                "pillars": st.lists(pillar, min_size=1, max_size=3),
            },
            optional={
                "version": st.integers(1, 1000),
                "personas": st.lists(persona, max_size=3),
                "proof_points": st.lists(proof, max_size=3),
                "competitors": st.lists(competitor, max_size=3),
            },
        ),
    )


def team_specs() -> st.SearchStrategy[TeamSpec]:
    person = st.fixed_dictionaries(
        {"id": ids, "name": text, "role": ids},
        optional={
            "email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|io|de)", fullmatch=True),
            "responsibilities": texts,
            "reports_to": optional(ids),
        },
    )
    role = st.fixed_dictionaries({"id": ids, "name": text}, optional={"description": text})
    return st.builds(
        TeamSpec.model_validate,
        st.fixed_dictionaries(
            {
                "people": st.lists(person, min_size=1, max_size=3),
                "roles": st.lists(role, min_size=1, max_size=3),
            }
        ),
    )


filter_values = st.one_of(st.booleans(), st.integers(-1000, 1000), numbers, text)


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(
        st.sampled_from(
            [
                "eq",
                "ne",
                "gt",
                "gte",
                "lt",
                "lte",
                "contains",
                "in",
                "not_in",
                "is_null",
                "not_null",
            ]
        )
    )
    out: dict[str, Any] = {"column": draw(ids), "op": op}
    if op in ("in", "not_in"):
        out["value"] = draw(st.lists(filter_values, max_size=3))
    elif op not in ("is_null", "not_null"):
        out["value"] = draw(filter_values)
    return out


@st.composite
def calculations(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["simple", "ratio", "derived", "cumulative", "conversion"]))
    if kind == "simple":
        return {
            "type": "simple",
            "table": draw(st.sampled_from(["spend", "people", "costs"])),
            "agg": draw(st.sampled_from(["sum", "avg", "count"])),
            "column": draw(ids),
            "filters": draw(st.lists(filters(), max_size=2)),
            "time_column": draw(optional(ids)),
        }
    if kind == "ratio":
        return {"type": "ratio", "numerator": draw(ids), "denominator": draw(ids)}
    if kind == "derived":
        names = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
        expression = draw(st.sampled_from([" + ", " - ", " * ", " / "])).join(names)
        return {"type": "derived", "expression": f"({expression}) * 1.5", "metrics": names}
    if kind == "cumulative":
        window = draw(
            st.one_of(
                st.integers(1, 400).map(lambda d: {"window_days": d}),
                st.sampled_from(["month", "quarter", "year"]).map(lambda g: {"grain_to_date": g}),
            )
        )
        return {"type": "cumulative", "metric": draw(ids), **window}
    base, later = sorted(
        draw(st.lists(st.sampled_from(range(5)), min_size=2, max_size=2, unique=True))
    )
    return {
        "type": "conversion",
        "base_event": STAGES[base],
        "conversion_event": STAGES[later],
        "within_days": draw(st.integers(1, 365)),
        "entity": draw(st.sampled_from(["people", "accounts", "opportunities"])),
    }


@st.composite
def levels(draw: st.DrawFn, higher: bool) -> dict[str, float]:
    values = sorted(draw(st.lists(numbers, min_size=3, max_size=3)), reverse=higher)
    out = {"value": values[0]}
    if draw(st.booleans()):
        out |= {"amber": values[1], "red": values[2]}
    return out


@st.composite
def metrics(draw: st.DrawFn) -> dict[str, Any]:
    direction = draw(st.sampled_from(["higher_is_better", "lower_is_better"]))
    out: dict[str, Any] = {
        "id": draw(ids),
        "name": draw(text),
        "tier": draw(st.integers(1, 4)),
        "parent": draw(optional(ids)),
        "owner": draw(ids),
        "direction": direction,
        "unit": draw(st.sampled_from(["currency", "ratio", "percent", "count", "days"])),
        "dimensions": draw(
            st.lists(st.sampled_from(DIMENSIONS), max_size=3, unique=True).map(tuple)
        ),
        "format": draw(optional(st.sampled_from(["0.0x", "$0,0"]))),
    }
    if draw(st.booleans()):
        out["builtin"] = draw(st.sampled_from(sorted(BUILTIN_METRICS)))
    else:
        out["calculation"] = draw(calculations())
    if draw(st.booleans()):
        higher = direction == "higher_is_better"
        target: dict[str, Any] = draw(levels(higher))
        target["per"] = draw(st.sampled_from(["week", "month", "quarter", "year"]))
        keys = st.from_regex(r"20[0-9]{2}(-Q[1-4]|-0[1-9]|-W[1-4][0-9])?", fullmatch=True)
        target["periods"] = draw(st.dictionaries(keys, levels(higher), max_size=2))
        out["target"] = target
    return out


def metrics_specs() -> st.SearchStrategy[MetricsSpec]:
    return st.builds(
        MetricsSpec.model_validate,
        st.fixed_dictionaries({"metrics": st.lists(metrics(), min_size=1, max_size=4)}),
    )


@st.composite
def programs(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["always_on", "campaign", "launch"]))
    start, end = sorted(draw(st.lists(dates, min_size=2, max_size=2)))
    out = {
        "id": draw(ids),
        "name": draw(text),
        "channel": draw(ids),
        "kind": kind,
        "segments": draw(id_lists),
        "pillars": draw(id_lists),
        "owner": draw(ids),
        "monthly_budget": draw(optional(amounts)),
        "description": draw(text),
    }
    if kind != "always_on" or draw(st.booleans()):
        out["start"] = start
    if kind == "campaign" or (kind == "always_on" and "start" in out and draw(st.booleans())):
        out["end"] = end
    return out


def channels_specs() -> st.SearchStrategy[ChannelsSpec]:
    utm = st.fixed_dictionaries({"source": ids}, optional={"medium": ids, "campaign": text})
    channel = st.fixed_dictionaries(
        {"id": ids, "name": text, "type": st.sampled_from(["owned", "earned", "paid"])},
        optional={"platform": text, "utm": st.lists(utm, max_size=2)},
    )
    return st.builds(
        ChannelsSpec.model_validate,
        st.fixed_dictionaries(
            {
                "channels": st.lists(channel, min_size=1, max_size=3),
                "programs": st.lists(programs(), max_size=3),
            }
        ),
    )


@st.composite
def rituals(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([*KIND_FREQUENCY, "custom"]))
    frequency = KIND_FREQUENCY.get(kind) or draw(
        st.sampled_from(["weekly", "monthly", "quarterly"])
    )
    weekday = draw(st.sampled_from(WEEKDAYS))
    day = weekday if frequency == "weekly" else f"{draw(st.sampled_from(ORDINALS))} {weekday}"
    agenda = st.fixed_dictionaries(
        {"item": text, "minutes": st.integers(1, 120)}, optional={"owner": ids}
    )
    return {
        "id": draw(ids),
        "name": draw(text),
        "kind": kind,
        "frequency": frequency,
        "day": day,
        "month_of_quarter": draw(st.integers(1, 3)),
        "time": draw(clock),
        "duration_minutes": draw(st.integers(5, 600)),
        "owner": draw(ids),
        "attendees": draw(id_lists),
        "agenda": draw(st.lists(agenda, max_size=3)),
    }


def cadence_specs() -> st.SearchStrategy[CadenceSpec]:
    return st.builds(
        CadenceSpec.model_validate,
        st.fixed_dictionaries({"rituals": st.lists(rituals(), min_size=1, max_size=3)}),
    )


MILESTONES = ("lead", "mql", "sales_touch", "sql", "opportunity", "won")  # in funnel order


def _milestones(drawn: tuple[list[dict[str, Any]], list[str]]) -> list[dict[str, Any]]:
    """Steps with milestones in funnel order, each at most once (as WorkflowSpec requires)."""
    steps, chosen = drawn
    ordered = sorted(chosen, key=MILESTONES.index)
    return [
        {**step, "milestone": ordered[i]} if i < len(ordered) else step
        for i, step in enumerate(steps)
    ]


def workflow_specs() -> st.SearchStrategy[WorkflowSpec]:
    step = st.fixed_dictionaries(
        {"id": ids, "name": text},
        optional={
            "owner": optional(ids),
            "sla": optional(durations),
            "checklist": texts,
        },
    )
    steps = st.tuples(
        st.lists(step, min_size=1, max_size=4),
        st.lists(st.sampled_from(MILESTONES), unique=True, max_size=4),
    ).map(_milestones)
    return st.builds(
        WorkflowSpec.model_validate,
        st.fixed_dictionaries(
            {
                "id": ids,
                "name": text,
                "owner": ids,
                "trigger": text,
                "steps": steps,
            },
            optional={
                "description": text,
                "sla": optional(durations),
                "clock": st.sampled_from(["calendar", "business"]),
            },
        ),
    )


def stack_specs() -> st.SearchStrategy[StackSpec]:
    tool = st.fixed_dictionaries(
        {
            "id": ids,
            "name": text,
            "owner": ids,
            "purpose": text,
            "category": st.sampled_from(
                ["crm", "marketing_automation", "analytics", "ads", "other"]
            ),
        },
        optional={
            "monthly_cost": amounts,
            "seats": optional(st.integers(0, 10_000)),
            "processes": id_lists,
            "usage": st.sampled_from(["active", "low", "unused"]),
        },
    )
    return st.builds(
        StackSpec.model_validate,
        st.fixed_dictionaries({"tools": st.lists(tool, min_size=1, max_size=4)}),
    )


@st.composite
def rollout_data(draw: st.DrawFn) -> dict[str, Any]:
    chosen = sorted(draw(st.sets(st.sampled_from(PHASE_ORDER), min_size=1)), key=PHASE_ORDER.index)
    phases, week = [], 1
    for phase_id in chosen:
        start = week + draw(st.integers(0, 2))
        end = start + draw(st.integers(0, 4))
        weeks = draw(st.sampled_from([f"{start}-{end}", {"start": start, "end": end}]))
        phases.append(
            {
                "id": phase_id,
                "name": draw(text),
                "weeks": weeks,
                "goals": draw(texts),
                "deliverables": draw(texts),
            }
        )
        week = end + 1
    out: dict[str, Any] = {"phases": phases}
    if draw(st.booleans()):
        out["start_date"] = draw(optional(dates))
    return out


def rollout_specs() -> st.SearchStrategy[RolloutSpec]:
    return st.builds(RolloutSpec.model_validate, rollout_data())
