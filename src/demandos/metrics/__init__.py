"""Metrics & measurement: the four-tier metric tree with DER on top, by period and dimension.

from demandos.metrics import compute
table = compute(ws.facts, ws.specs, "2026-Q3", by="channel")
"""

from demandos.metrics.catalog import BUILTINS, GROSS_MARGIN
from demandos.metrics.engine import DIMENSIONS, compute, compute_many, status
from demandos.metrics.periods import Period, current_period, parse_period
from demandos.metrics.table import MetricTable, MetricValue

__all__ = [
    "BUILTINS",
    "DIMENSIONS",
    "GROSS_MARGIN",
    "MetricTable",
    "MetricValue",
    "Period",
    "compute",
    "compute_many",
    "current_period",
    "parse_period",
    "status",
]
