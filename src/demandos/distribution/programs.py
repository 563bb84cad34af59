"""Programs' economics: what each program spent and the leads, opportunities and pipeline it
brought, week by week or over a period, and what channels.yaml plans for it. The numbers behind
program health (``distribution.report``), the optimization stand-up, its budget moves and the
Friday planning calendar.

    weeks = program_weeks(ws.facts, [week.shift(-n) for n in range(13)])
    totals = program_totals(ws.facts, quarter)                          # per program
    weeks.total("linkedin_controllers", [w.label for w in trailing])   # Economics
    planned_spend(program, week.start, week.end)                       # budget pro rata

Spend is the program's rows of ``spend``. People and opportunities carry no program, so each
is credited to one program, by its last touch (``touchpoints.program_id``):

- a **lead** (``people.lead_at`` in the week): the program of the person's last touch with a
  program at or before ``lead_at``, within ``LOOKBACK_DAYS``: the touch it converted on;
- an **opportunity** (``created_at`` in the week): the program of its account's last touch with
  a program before the opportunity was created, within ``LOOKBACK_DAYS`` (the window revenue
  influence looks back on); its amount is its pipeline.

A lead or opportunity without such a touch is *unattributed* (program ``None``), so the
programs and the unattributed add up to the engine's leads and opportunities created. Ties in
time are broken by the touch id, so the credit never depends on the engine's row order.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import ibis

from demandos.metrics.cohorts import LOOKBACK_DAYS
from demandos.metrics.components import in_period
from demandos.metrics.periods import Period, week_period
from demandos.spec.channels import Program
from demandos.store.facts import FactStore


@dataclass(frozen=True)
class Economics:
    """One program's spend and what it brought over some weeks. Rates are None without a base,
    and without spend: a program with no rows in ``spend`` (organic, or paid from ``costs``) has
    no media cost to divide, not a cost of zero."""

    spend: float = 0.0
    leads: float = 0.0
    opps: float = 0.0
    pipeline: float = 0.0

    def __add__(self, other: Economics) -> Economics:
        return Economics(
            self.spend + other.spend,
            self.leads + other.leads,
            self.opps + other.opps,
            self.pipeline + other.pipeline,
        )

    @property
    def cpl(self) -> float | None:
        """Cost per lead: spend ÷ leads credited to the program."""
        return self.spend / self.leads if self.leads and self.spend else None

    @property
    def cost_per_opp(self) -> float | None:
        """Spend ÷ opportunities credited to the program."""
        return self.spend / self.opps if self.opps and self.spend else None

    @property
    def pipeline_per_dollar(self) -> float | None:
        """Pipeline created ÷ spend."""
        return self.pipeline / self.spend if self.spend else None


@dataclass(frozen=True)
class ProgramWeeks:
    """Economics per (program, ISO week); program None holds unattributed leads and deals."""

    weeks: tuple[Period, ...]
    cells: dict[tuple[str | None, str], Economics] = field(default_factory=dict)

    def get(self, program: str | None, week: str) -> Economics:
        return self.cells.get((program, week), Economics())

    def total(self, program: str | None, weeks: Iterable[str]) -> Economics:
        """The program's economics summed over ``weeks`` (labels)."""
        out = Economics()
        for label in weeks:
            out = out + self.get(program, label)
        return out

    def programs(self) -> list[str]:
        """Every program with spend, leads or opportunities in the weeks read, sorted."""
        return sorted({p for p, _ in self.cells if p is not None})

    def everything(self, weeks: Iterable[str]) -> Economics:
        """All programs and the unattributed together over ``weeks``."""
        labels = list(weeks)
        out = self.total(None, labels)
        for program in self.programs():
            out = out + self.total(program, labels)
        return out


def program_weeks(facts: FactStore, weeks: Sequence[Period]) -> ProgramWeeks:
    """Spend, leads, opportunities and pipeline per program and ISO week, for ``weeks``."""
    if not weeks:
        return ProgramWeeks(())
    lo, hi = min(w.start for w in weeks), max(w.end for w in weeks)
    labels = {w.label for w in weeks}
    cells: dict[tuple[str | None, str], dict[str, float]] = {}
    for row in _credited(facts, lo, hi, weekly=True):
        label = week_period(_day(row["week"])).label
        if label in labels:
            _add(cells.setdefault((row["program"], label), {}), row)
    return ProgramWeeks(tuple(weeks), {k: Economics(**v) for k, v in cells.items()})


def program_totals(facts: FactStore, period: Period) -> dict[str | None, Economics]:
    """Spend, leads, opportunities and pipeline per program over ``period`` (program None: the
    unattributed leads and opportunities, and spend without a program)."""
    cells: dict[str | None, dict[str, float]] = {}
    for row in _credited(facts, period.start, period.end, weekly=False):
        _add(cells.setdefault(row["program"], {}), row)
    return {k: Economics(**v) for k, v in cells.items()}


def _add(cell: dict[str, float], row: dict[str, Any]) -> None:
    measure = row["measure"]
    cell[measure] = cell.get(measure, 0.0) + float(row["value"] or 0.0)
    if measure == "opps":
        cell["pipeline"] = cell.get("pipeline", 0.0) + float(row["amount"] or 0.0)


def _credited(facts: FactStore, lo: date, hi: date, *, weekly: bool) -> list[dict[str, Any]]:
    """Rows of (program, [week,] measure, value[, amount]) for ``lo <= day < hi``."""
    out: list[dict[str, Any]] = []
    for measure, rows in (
        ("spend", _spend(facts, lo, hi, weekly)),
        ("leads", _leads(facts, lo, hi, weekly)),
        ("opps", _opportunities(facts, lo, hi, weekly)),
    ):
        out.extend({**row, "measure": measure} for row in rows)
    return out


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _rows(expr: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def _keys(program: Any, at: Any, weekly: bool) -> dict[str, Any]:
    return {"program": program, "week": at.truncate("W")} if weekly else {"program": program}


def _spend(facts: FactStore, lo: date, hi: date, weekly: bool) -> list[dict[str, Any]]:
    s = facts.table("spend")
    s = s.filter(in_period(s.date, "date", lo, hi))
    return _rows(s.group_by(**_keys(s.program_id, s.date, weekly)).aggregate(value=s.amount.sum()))


def _last_touch(rows: Any, key: str, at: str, *, facts: FactStore, strict: bool) -> Any:
    """``rows`` (with ``_id``, ``key`` and ``at``) with ``program``: the program of the last
    touch with a program on ``key`` before ``at`` (at or before unless ``strict``)."""
    t = facts.table("touchpoints")
    t = t.filter(t.program_id.notnull(), t[key].notnull())
    touches = t.select(_key=t[key], _ts=t.ts, _touch=t.touch_id, _program=t.program_id)
    before = touches._ts < rows[at] if strict else touches._ts <= rows[at]
    window = touches._ts >= rows[at] - ibis.interval(days=LOOKBACK_DAYS)
    j = rows.left_join(touches, [rows[key] == touches._key, before, window])
    rank = ibis.row_number().over(group_by=j._id, order_by=[ibis.desc(j._ts), ibis.desc(j._touch)])
    j = j.mutate(_rank=rank)
    return j.filter(j._rank == 0)


def _leads(facts: FactStore, lo: date, hi: date, weekly: bool) -> list[dict[str, Any]]:
    p = facts.table("people")
    p = p.filter(p.lead_at.notnull(), in_period(p.lead_at, "timestamp", lo, hi))
    rows = p.select(_id=p.person_id, person_id=p.person_id, lead_at=p.lead_at)
    j = _last_touch(rows, "person_id", "lead_at", facts=facts, strict=False)
    return _rows(j.group_by(**_keys(j._program, j.lead_at, weekly)).aggregate(value=j.count()))


def _opportunities(facts: FactStore, lo: date, hi: date, weekly: bool) -> list[dict[str, Any]]:
    o = facts.table("opportunities")
    o = o.filter(in_period(o.created_at, "timestamp", lo, hi))
    rows = o.select(_id=o.opp_id, account_id=o.account_id, created_at=o.created_at,
                    amount=o.amount)  # fmt: skip
    j = _last_touch(rows, "account_id", "created_at", facts=facts, strict=True)
    return _rows(
        j.group_by(**_keys(j._program, j.created_at, weekly)).aggregate(
            value=j.count(), amount=j.amount.sum()
        )
    )


# -- what channels.yaml plans --------------------------------------------------------------


def runs_on(program: Program, day: date) -> bool:
    """Whether the program runs on ``day``: always-on programs always (from their start when
    they have one); campaigns and launches from their start to their end (a launch without an
    end keeps running)."""
    if program.start is not None and day < program.start:
        return False
    return program.end is None or day <= program.end


def running_days(program: Program, start: date, end: date) -> list[date]:
    """The days ``start <= day < end`` the program runs on."""
    days = (start + timedelta(days=n) for n in range((end - start).days))
    return [d for d in days if runs_on(program, d)]


def planned_spend(program: Program, start: date, end: date) -> float | None:
    """The program's ``monthly_budget`` pro rata over the days it runs in ``start <= day <
    end``: each day gets 1 ÷ (days in its month) of the month's budget. None without a budget."""
    if program.monthly_budget is None:
        return None
    budget = float(program.monthly_budget)
    return sum(
        budget / calendar.monthrange(d.year, d.month)[1] for d in running_days(program, start, end)
    )
