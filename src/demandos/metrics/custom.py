"""Custom metrics from ``metrics.yaml``: simple aggregates, ratios and derived expressions.

A ``simple`` metric becomes components of its own (``avg`` becomes a sum and a count, so an
average over a quarter is never an average of monthly averages). ``ratio`` and ``derived`` are
evaluated on the values of the metrics they name, period by period and member by member.
``conversion`` metrics are cohorts (``metrics.cohorts``); ``attribution`` metrics an attribution
model's credit (``metrics.attributed``); ``cumulative`` metrics are computed by the engine over
each period's window.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import ibis

from demandos.errors import MetricError
from demandos.kernel.mapping import dimension_columns
from demandos.metrics.attributed import attributed
from demandos.metrics.catalog import Formula, Outcome, known, ratio, total
from demandos.metrics.channels import COLUMN as CHANNEL
from demandos.metrics.cohorts import conversion
from demandos.metrics.components import Aggregate, Component
from demandos.spec.metrics import (
    AttributionCalc,
    ConversionCalc,
    DerivedCalc,
    Filter,
    RatioCalc,
    SimpleCalc,
)
from demandos.store.schema import TABLES, TableSchema
from demandos.suggest import did_you_mean

_DIMS = {"channel": "channel", "platform": "platform", "program": "program_id"}
_TABLE_DIMS = {"people": {"channel": CHANNEL}, "opportunities": {"channel": CHANNEL}}


def _schema(metric: str, table: str) -> TableSchema:
    if table not in TABLES:
        raise MetricError(
            f"metric {metric!r} reads table {table!r}, which is not a canonical table",
            hint=did_you_mean(table, TABLES) or f"tables are: {', '.join(TABLES)}",
        )
    return TABLES[table]


def _column(metric: str, schema: TableSchema, column: str, role: str) -> str:
    if column not in schema.column_names:
        raise MetricError(
            f"metric {metric!r}: {role} {column!r} is not a column of {schema.name}",
            hint=did_you_mean(column, schema.column_names)
            or f"{schema.name} has: {', '.join(schema.column_names)}",
        )
    return column


def _filter_expr(t: Any, f: Filter) -> Any:
    col = t[f.column]

    def lit(value: Any) -> Any:
        literal = ibis.literal(value)
        return literal.cast(col.type()) if col.type().is_temporal() else literal

    values = f.value if isinstance(f.value, tuple) else (f.value,)
    ops: dict[str, Callable[[], Any]] = {
        "eq": lambda: col == lit(f.value),
        "ne": lambda: col != lit(f.value),
        "gt": lambda: col > lit(f.value),
        "gte": lambda: col >= lit(f.value),
        "lt": lambda: col < lit(f.value),
        "lte": lambda: col <= lit(f.value),
        "in": lambda: col.isin([lit(v) for v in values]),
        "not_in": lambda: col.notin([lit(v) for v in values]),
        "contains": lambda: col.cast("string").contains(str(f.value)),
        "is_null": lambda: col.isnull(),
        "not_null": lambda: col.notnull(),
    }
    return ops[f.op]()


def simple_formula(metric: str, calc: SimpleCalc) -> Formula:
    """The components and formula of a ``simple`` metric; MetricError for unknown names."""
    schema = _schema(metric, calc.table)
    time = calc.time_column or schema.time_column
    if time is None:
        raise MetricError(
            f"metric {metric!r}: table {schema.name} has no time column",
            hint="add `time_column:` naming the column that places a row in a period",
        )
    _column(metric, schema, time, "time_column")
    for f in calc.filters:
        _column(metric, schema, f.column, "filter column")
    column = _column(metric, schema, calc.column, "column") if calc.column else None
    dims = {d: c for d, c in _DIMS.items() if c in schema.column_names}
    dims.update(_TABLE_DIMS.get(schema.name, {}))
    dims.update(dimension_columns(schema.name))  # segment, persona, pillar, asset_type
    filters = calc.filters

    def where(t: Any) -> Any:
        return ibis.and_(*[_filter_expr(t, f) for f in filters]) if filters else ibis.literal(True)

    def part(suffix: str, measure: Callable[[Any, Any], Any], additive: bool = True) -> Component:
        name = f"{metric}:{suffix}"
        return Aggregate(
            name, schema.name, dims, time=time, measure=measure, where=where, additive=additive
        )

    if calc.agg == "count":
        comp = part("count", lambda t, w: t.count(where=w))
        return Formula(total(comp.name).needs, total(comp.name).combine, True, (comp,))
    assert column is not None
    if calc.agg == "sum":
        comp = part("sum", lambda t, w: t[column].sum(where=w))
        return Formula((comp.name,), total(comp.name).combine, True, (comp,))
    if calc.agg == "avg":
        top = part("sum", lambda t, w: t[column].sum(where=w))
        bottom = part("n", lambda t, w: t[column].count(where=w))
        made = ratio(top.name, bottom.name, f"{column} values")
        return Formula(made.needs, made.combine, False, (top, bottom))
    aggs: dict[str, Callable[[Any, Any], Any]] = {
        "count_distinct": lambda t, w: t[column].nunique(where=w),
        "min": lambda t, w: t[column].min(where=w),
        "max": lambda t, w: t[column].max(where=w),
    }
    comp = part(calc.agg, aggs[calc.agg], additive=False)

    def one(values: Mapping[str, float | None]) -> Outcome:
        value = values.get(comp.name)
        return (value, None) if value is not None else (None, f"no {column} values")

    return Formula((comp.name,), one, False, (comp,))


def conversion_formula(metric: str, calc: ConversionCalc) -> Formula:
    """Converted ÷ cohort for a ``conversion`` metric (see ``metrics.cohorts``)."""
    if calc.entity == "opportunities" and calc.base_event != "opportunity":
        raise MetricError(
            f"metric {metric!r}: opportunities do not reach the {calc.base_event!r} stage",
            hint="use base_event: opportunity for opportunities, or entity: people or accounts",
        )
    cohort, converted = conversion(
        metric, calc.entity, calc.base_event, calc.conversion_event, calc.within_days
    )
    made = ratio(converted.name, cohort.name, f"{calc.base_event}s entering the stage")
    return Formula(made.needs, made.combine, False, (converted, cohort))


def attribution_formula(metric: str, calc: AttributionCalc) -> Formula:
    """The credit of an ``attribution`` metric (see ``metrics.attributed``): additive, its
    members sum to every conversion of the period; unknown when no touchpoints are loaded."""
    comp = attributed(f"{metric}:credit", calc)
    made = known(comp.name, "no touchpoints are loaded")
    return Formula(made.needs, made.combine, True, (comp,))


Evaluate = Callable[[Mapping[str, float]], Outcome]

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def reference_formula(calc: RatioCalc | DerivedCalc) -> tuple[tuple[str, ...], Evaluate]:
    """The metric ids a ratio or derived metric reads, and how to combine their values."""
    if isinstance(calc, RatioCalc):
        num, den = calc.numerator, calc.denominator

        def divide(v: Mapping[str, float]) -> Outcome:
            if v[den] == 0:
                return None, f"{den} is zero (the denominator)"
            return v[num] / v[den], None

        return (num, den), divide
    tree = ast.parse(calc.expression, mode="eval")

    def evaluate(v: Mapping[str, float]) -> Outcome:
        def walk(node: ast.AST) -> float:
            if isinstance(node, ast.Expression):
                return walk(node.body)
            if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
                return float(node.value)
            if isinstance(node, ast.Name):
                return v[node.id]
            if isinstance(node, ast.UnaryOp):
                inner = walk(node.operand)
                return -inner if isinstance(node.op, ast.USub) else inner
            if isinstance(node, ast.BinOp):
                return _BINARY[type(node.op)](walk(node.left), walk(node.right))
            raise MetricError(f"cannot evaluate {ast.unparse(node)!r}")  # the spec forbids it

        try:
            return walk(tree), None
        except ZeroDivisionError:
            return None, f"{calc.expression} divides by zero"

    return tuple(calc.metrics), evaluate
