"""A batch of rows checked against a canonical table before anything is written.

Every backend calls :func:`prepare` first, so a batch that does not fit fails the same way
everywhere, with a :class:`~demandos.errors.SchemaError` that names the table, the column and the
fix, and nothing is written.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demandos.errors import SchemaError
from demandos.store.schema import ARROW_TYPES, SYSTEM_COLUMNS, TableSchema
from demandos.suggest import did_you_mean

ORDER = "_ord"  # position of a row in its batch: the last row of a key wins


def prepare(
    schema: TableSchema,
    rows: pa.Table | pa.RecordBatch,
    order: pa.Array | pa.ChunkedArray | None = None,
) -> pa.Table:
    """The batch with exactly the declared columns, in order, cast to the declared types.

    Optional columns the batch lacks become NULL. A trailing ``_ord`` column numbers the rows so
    the merge can keep the last row of each key: ``order`` when given (one distinct number per
    row, e.g. the source file's row numbers of a batch that is not in file order), else the
    rows' positions in the batch.
    """
    if isinstance(rows, pa.RecordBatch):
        rows = pa.Table.from_batches([rows])
    if not isinstance(rows, pa.Table):
        raise SchemaError(
            f"a batch for table {schema.name!r} must be a pyarrow.Table, not {type(rows).__name__}",
            hint="convert it first, e.g. pyarrow.Table.from_pandas(df, preserve_index=False)",
        )
    _check_names(schema, rows)
    columns: list[pa.ChunkedArray] = []
    for column in schema.columns:
        target = ARROW_TYPES[column.type]
        if column.name in rows.column_names:
            columns.append(_cast(schema, column.name, rows.column(column.name), target))
        else:
            columns.append(pa.chunked_array([pa.nulls(rows.num_rows, target)], target))
    table = _fill_fallbacks(schema, pa.Table.from_arrays(columns, schema=schema.arrow_schema()))
    _check_nulls(schema, table)
    return table.append_column(ORDER, _order(schema, table.num_rows, order))


def _order(
    schema: TableSchema, rows: int, order: pa.Array | pa.ChunkedArray | None
) -> pa.ChunkedArray:
    if order is None:
        return pa.chunked_array([pa.array(np.arange(rows, dtype=np.int64))])
    if len(order) != rows or order.null_count:
        raise SchemaError(
            f"the order of a batch for table {schema.name!r} has {len(order)} numbers "
            f"({order.null_count} empty) for {rows} rows",
            hint="give one number per row, or leave `order` out to keep the batch's own order",
        )
    if isinstance(order, pa.Array):
        order = pa.chunked_array([order])
    return pc.cast(order, pa.int64())


def _fill_fallbacks(schema: TableSchema, table: pa.Table) -> pa.Table:
    """Empty values of a column with a fallback take the fallback column's value."""
    for index, column in enumerate(schema.columns):
        values = table.column(index)
        if column.fallback is None or values.null_count == 0:
            continue
        filled = pc.coalesce(values, table.column(column.fallback))
        table = table.set_column(index, table.field(index), filled)
    return table


def _check_names(schema: TableSchema, rows: pa.Table) -> None:
    declared = schema.column_names
    seen: set[str] = set()
    for name in rows.column_names:
        if name in seen:
            raise SchemaError(
                f"the batch for table {schema.name!r} has column {name!r} twice",
                hint=f"keep one {name!r} column",
            )
        seen.add(name)
        if name not in declared:
            system = {n for n, _ in SYSTEM_COLUMNS}
            hint = (
                f"{name!r} is kept by the store itself: drop it from the batch"
                if name in system
                else did_you_mean(name, declared)
                or f"drop it or map it to one of: {', '.join(declared)}"
            )
            raise SchemaError(f"table {schema.name!r} has no column {name!r}", hint=hint)
    for name in schema.required:
        if name not in seen and schema.column(name).fallback not in seen:
            kind = "key" if name in schema.key else "required"
            type_ = schema.column(name).type
            raise SchemaError(
                f"the batch for table {schema.name!r} lacks the {kind} column {name!r}",
                hint=f"add a {name!r} column ({type_}) to every row",
            )


def _cast(
    schema: TableSchema, name: str, values: pa.ChunkedArray, target: pa.DataType
) -> pa.ChunkedArray:
    if values.type == target:
        return values
    # Sub-microsecond precision and time zones are dropped: timestamps are stored as UTC, in µs.
    safe = not (pa.types.is_timestamp(values.type) and pa.types.is_timestamp(target))
    try:
        return pc.cast(values, target, safe=safe)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(
            f"column {name!r} of table {schema.name!r} cannot be read as {target} "
            f"(it holds {values.type}): {exc}",
            hint=f"convert {name!r} to {schema.column(name).type} before loading, "
            "or send the rows that do not convert to the quarantine",
        ) from None


def _check_nulls(schema: TableSchema, table: pa.Table) -> None:
    for name in schema.required:
        nulls = table.column(name).null_count
        if nulls:
            kind = "key" if name in schema.key else "required"
            raise SchemaError(
                f"the {kind} column {name!r} of table {schema.name!r} is empty in "
                f"{nulls} row{'s' * (nulls != 1)} of the batch",
                hint=f"every row needs a {name!r}: send the rows without one to the quarantine",
            )
