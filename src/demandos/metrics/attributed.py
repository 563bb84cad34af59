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

from demandos.metrics.components import UNASSIGNED, Component, Series
from demandos.metrics.dimensions import KernelSpecs, KernelView
from demandos.metrics.periods import Period
from demandos.spec.metrics import AttributionCalc
from demandos.store.facts import FactStore

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
        if store.table("touchpoints").count().to_pyarrow().as_py() == 0:
            return {None: [None] * len(periods)}  # no touches: unknown, not zero
        assert self.calc is not None
        c, value = self.calc, self.calc.measure == "value"
        queries = [
            JourneyQuery(period=p, milestone=c.milestone, level=c.level, by=by or "channel",
                         lookback_days=c.lookback_days)
            for p in periods
        ]  # fmt: skip
        results = run_many(store, specs, queries, (c.model,), Options(order=c.order))
        out: Series = {}
        for i, result in enumerate(results):
            a = result.models[0]
            missed = a.unattributed_value if value else a.unattributed
            credit = {UNASSIGNED: missed} if missed else {}
            for row in a.rows:
                member = UNASSIGNED if row.member == NONE_LABEL else row.member
                credit[member] = credit.get(member, 0.0) + (row.value if value else row.conversions)
            if by is None:
                credit = {"": a.value if value else a.conversions}
            for member, amount in credit.items():
                key = None if by is None else member
                out.setdefault(key, [0.0] * len(periods))[i] = amount
        return out


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
