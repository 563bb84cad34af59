"""Attributed components: a milestone's conversions or value credited by an attribution model
(``demandos.feedback``), the numbers of an ``attribution`` metric in metrics.yaml — pipeline by
channel under Markov credit, won deals by channel under W-shaped credit, and through a ``ratio``
metric over them, CAC by source (media spend ÷ won deals credited to the channel).

Each period is an attribution of its own, as ``demandos attribution --period`` computes it: the
period's conversions, each with the touches in its lookback window, and for Markov and Shapley
the period's non-converting journeys. By channel, program, segment or pillar the members are
the touches' members; a conversion without a touch in its window, and the credit of touches
that carry no member, go to ``(unassigned)``, so the members add up to the total: every
conversion in the period (and its pipeline or revenue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from demandos.metrics.components import UNASSIGNED, Component, Series
from demandos.metrics.dimensions import KernelSpecs, KernelView
from demandos.metrics.periods import Period
from demandos.spec.metrics import AttributionCalc
from demandos.store.facts import FactStore

if TYPE_CHECKING:
    from demandos.feedback import Attribution, Comparison

DIMENSIONS = ("channel", "program", "segment", "pillar")
"""The breakdowns an attribution metric supports: the members journeys are read by."""
_TABLE_TIME = {
    "lead": ("people", "lead_at"),
    "mql": ("people", "mql_at"),
    "opportunity": ("opportunities", "created_at"),
    "won": ("opportunities", "close_date"),
}


@dataclass(frozen=True)
class Attributed(Component):
    """``calc``'s credit per member (see the module doc), period by period."""

    calc: AttributionCalc | None = None

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        from demandos.feedback.attribution import Options, run_many  # feedback reads metrics
        from demandos.feedback.sources import NONE_LABEL, JourneyQuery

        store, specs = _unwrapped(facts)
        touches = store.remembered(("touchpoints", "count"), lambda: _count(store, "touchpoints"))
        if touches == 0:
            return {None: [None] * len(periods)}  # no touches: unknown, not zero
        assert self.calc is not None
        c, value = self.calc, self.calc.measure == "value"
        dim = by or "channel"
        what = ("attribution", c.model, c.milestone, c.level, c.lookback_days, c.order, dim)
        keys = [(*what, p.start, p.end) for p in periods]
        found = {k: store.recall(k) for k in keys}  # kept for the snapshot: a tree reads
        missing = [p for p, k in zip(periods, keys, strict=True) if found[k] is None]  # often
        if missing:  # one read for every period not kept yet
            queries = [
                JourneyQuery(period=p, milestone=c.milestone, level=c.level, by=dim,
                             lookback_days=c.lookback_days)
                for p in missing
            ]  # fmt: skip
            results = run_many(store, specs, queries, (c.model,), Options(order=c.order))
            for q, result in zip(queries, results, strict=True):
                key = (*what, q.period.start, q.period.end)
                found[key] = store.remembered(key, partial(_first, result))
        out: Series = {}
        for i, key in enumerate(keys):
            a = found[key]
            missed = a.unattributed_value if value else a.unattributed
            credit = {UNASSIGNED: missed} if missed else {}
            for row in a.rows:
                member = UNASSIGNED if row.member == NONE_LABEL else row.member
                credit[member] = credit.get(member, 0.0) + (row.value if value else row.conversions)
            if by is None:
                credit = {"": a.value if value else a.conversions}
            for member, amount in credit.items():
                out.setdefault(None if by is None else member, [0.0] * len(periods))[i] = amount
        return out


def _count(store: FactStore, table: str) -> int:
    count: int = store.table(table).count().to_pyarrow().as_py()
    return count


def _first(result: Comparison) -> Attribution:
    return result.models[0]


def _unwrapped(facts: FactStore) -> tuple[FactStore, KernelSpecs | None]:
    """The store itself, and the kernel when the engine reads through a view that carries it
    (the journeys add the segment or pillar themselves)."""
    if isinstance(facts, KernelView):
        return facts.facts, facts
    return facts, None


def attributed(metric: str, calc: AttributionCalc) -> Attributed:
    """The component of an ``attribution`` metric."""
    table, time = _TABLE_TIME[calc.milestone]
    return Attributed(metric, table, dict.fromkeys(DIMENSIONS, ""), time=time, calc=calc)
