"""Where the simulation's tables go: their Arrow schemas and a streaming writer of Parquet parts.

Each table is a folder of parts ``part-00000.parquet, part-00001.parquet, …`` of at most
``chunk_rows`` rows. The canonical columns come first, typed as ``store/schema.py`` declares them;
the simulation's extra columns follow. Writer settings are fixed, so the same rows give the same
bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from demandos.store.schema import TABLES

_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()

EXTRA_COLUMNS: dict[str, tuple[tuple[str, pa.DataType], ...]] = {
    "accounts": (("segment", _S), ("in_icp", _B)),
    "people": (
        ("first_name", _S),
        ("last_name", _S),
        ("persona", _S),
        ("segment", _S),
        ("causal_channel", _S),
        ("lifecycle_stage", _S),
    ),
    "touchpoints": (
        ("utm_source", _S),
        ("utm_medium", _S),
        ("utm_campaign", _S),
        ("is_causal", _B),
    ),
    "opportunities": (("name", _S), ("causal_channel", _S), ("segment", _S), ("owner", _S)),
    "spend": (("cost_micros", _I),),  # campaign is a canonical column (one per program here)
}

AUX_SCHEMAS: dict[str, pa.Schema] = {
    "web_sessions": pa.schema(
        [
            ("date", pa.date32()),
            ("source", _S),
            ("medium", _S),
            ("campaign", _S),
            ("sessions", _I),
            ("engaged_sessions", _I),
            ("new_users", _I),
            ("key_events", _I),
        ]
    ),
    "email_campaigns": pa.schema(
        [
            ("campaign_id", _S),
            ("title", _S),
            ("subject", _S),
            ("send_time", pa.timestamp("us")),
            ("list_name", _S),
            ("recipients", _I),
            ("delivered", _I),
            ("unique_opens", _I),
            ("unique_clicks", _I),
            ("unsubscribes", _I),
            ("hard_bounces", _I),
            ("soft_bounces", _I),
        ]
    ),
}

OUTPUT_TABLES: tuple[str, ...] = (*TABLES, *AUX_SCHEMAS)

PART_GLOB = "part-*.parquet"
# Fixed writer settings: part of the byte-for-byte determinism promise.
WRITER_OPTIONS: dict[str, object] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
}


def output_schema(table: str) -> pa.Schema:
    """The schema the simulation writes ``table`` with: canonical columns, then its extras."""
    if table in AUX_SCHEMAS:
        return AUX_SCHEMAS[table]
    canonical = TABLES[table].arrow_schema()
    return pa.schema([*canonical, *(pa.field(n, t) for n, t in EXTRA_COLUMNS.get(table, ()))])


def build(table: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A table of ``table``'s output schema from arrays named by column (all must be given)."""
    schema = output_schema(table)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def prefixed_ids(prefix: str, numbers: npt.NDArray[np.int64], width: int) -> pa.Array:
    """``prefix`` + the zero-padded 1-based number, e.g. ``p-00000042``."""
    digits = pc.cast(pa.array(numbers + 1, pa.int64()), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width=width, padding="0"), "")


def labels(values: Sequence[str | None], index: npt.NDArray[np.int64]) -> pa.Array:
    """``values[index]`` as a string array; NULL where ``index`` is negative."""
    return pa.array(values, pa.string()).take(pa.array(index, pa.int64(), mask=index < 0))


class PartWriter:
    """Streams one table to ``directory/part-NNNNN.parquet`` files of at most ``chunk_rows`` rows.

    Old parts in the folder are removed first, so a rerun never mixes with a previous one. A
    table that gets no rows still has one (empty) part, so readers find its schema.
    """

    def __init__(self, directory: Path, schema: pa.Schema, chunk_rows: int) -> None:
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
        self.directory = directory
        self.schema = schema
        self.chunk_rows = chunk_rows
        self.rows = 0
        self.parts = 0
        self._writer: pq.ParquetWriter | None = None
        self._in_part = 0
        directory.mkdir(parents=True, exist_ok=True)
        for old in sorted(directory.glob(PART_GLOB)):
            old.unlink()

    def write(self, table: pa.Table) -> None:
        offset = 0
        while offset < table.num_rows:
            if self._writer is None:
                self._open()
            assert self._writer is not None
            take = min(self.chunk_rows - self._in_part, table.num_rows - offset)
            self._writer.write_table(table.slice(offset, take))
            offset += take
            self._in_part += take
            self.rows += take
            if self._in_part >= self.chunk_rows:
                self._close_part()

    def close(self) -> None:
        if self.parts == 0:
            self._open()
        self._close_part()

    def _open(self) -> None:
        path = self.directory / f"part-{self.parts:05d}.parquet"
        self._writer = pq.ParquetWriter(path, self.schema, **WRITER_OPTIONS)
        self.parts += 1
        self._in_part = 0

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Sink:
    """One :class:`PartWriter` per output table under ``out_dir``."""

    def __init__(self, out_dir: Path, chunk_rows: int) -> None:
        self.writers = {
            name: PartWriter(out_dir / name, output_schema(name), chunk_rows)
            for name in OUTPUT_TABLES
        }

    def write(self, table: str, columns: dict[str, pa.Array]) -> None:
        self.writers[table].write(build(table, columns))

    def close(self) -> dict[str, int]:
        """Closes every writer; returns the rows written per table."""
        for w in self.writers.values():
            w.close()
        return {name: w.rows for name, w in self.writers.items()}
