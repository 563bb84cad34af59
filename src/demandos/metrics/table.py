"""The result of computing the metric tree: tidy rows, as Arrow, pandas or a nested dict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import pyarrow as pa

State = Literal["ok", "partial", "no_data", "not_computed"]
Status = Literal["green", "amber", "red"]


@dataclass(frozen=True)
class MetricValue:
    """One metric for one period (and one dimension member when ``member`` is set).

    ``value`` is None exactly when ``state`` is ``no_data`` or ``not_computed``; ``reason``
    says why (and, for ``partial``, what is missing). Numbers are never NaN.
    """

    metric: str
    name: str
    tier: int
    parent: str | None
    owner: str
    unit: str
    direction: str
    period: str
    dimension: str | None
    member: str | None  # None: the total over every member
    value: float | None
    state: State
    reason: str | None = None
    previous: float | None = None  # the previous period
    change: float | None = None  # value - previous
    change_ratio: float | None = None  # change ÷ |previous|; None when previous is 0
    last_year: float | None = None  # the same period a year earlier
    trailing_avg: float | None = None  # the 4 periods before this one (ratios: pooled)
    target: float | None = None  # scaled to the period's grain for additive metrics
    amber: float | None = None
    red: float | None = None
    status: Status | None = None
    additive: bool = False


_ARROW = pa.schema(
    [
        pa.field(f.name, pa.float64() if "float" in str(f.type) else
                 pa.int64() if f.type == "int" else
                 pa.bool_() if f.type == "bool" else pa.string())
        for f in fields(MetricValue)
    ]
)  # fmt: skip


@dataclass
class MetricTable:
    """Every metric of the tree for one period: totals first, then members when ``by`` is set."""

    period: str
    start: str
    end: str  # exclusive
    by: str | None
    rows: list[MetricValue] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    """Metrics that cannot be broken down by ``by`` (their data does not carry it): total only."""
    not_allowed: list[str] = field(default_factory=list)
    """Metrics whose ``dimensions`` in metrics.yaml do not include ``by``: total only."""

    def totals(self) -> list[MetricValue]:
        return [r for r in self.rows if r.member is None]

    def get(self, metric: str, member: str | None = None) -> MetricValue:
        for row in self.rows:
            if row.metric == metric and row.member == member:
                return row
        raise KeyError((metric, member))

    def members(self, metric: str) -> list[MetricValue]:
        return [r for r in self.rows if r.metric == metric and r.member is not None]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist([asdict(r) for r in self.rows], schema=_ARROW)

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the tree nested by parent, each node with its members (when ``by``)."""
        totals = self.totals()
        ids = {r.metric for r in totals}
        children: dict[str | None, list[MetricValue]] = {}
        for row in totals:
            parent = row.parent if row.parent in ids else None
            children.setdefault(parent, []).append(row)

        def node(row: MetricValue) -> dict[str, Any]:
            out = _node(row)
            if self.by is not None:
                out["members"] = [_node(m) for m in self.members(row.metric)]
            out["children"] = [node(c) for c in children.get(row.metric, [])]
            return out

        return {
            "period": self.period,
            "start": self.start,
            "end": self.end,
            "by": self.by,
            "unsupported": self.unsupported,
            "not_allowed": self.not_allowed,
            "metrics": [node(r) for r in children.get(None, [])],
        }


_NODE_KEYS = (
    "metric", "name", "tier", "owner", "unit", "member", "value", "state", "reason", "previous",
    "change", "change_ratio", "last_year", "trailing_avg", "target", "amber", "red", "status",
)  # fmt: skip


def _node(row: MetricValue) -> dict[str, Any]:
    data = asdict(row)
    out = {k: data[k] for k in _NODE_KEYS}
    out["id"] = out.pop("metric")
    return out
