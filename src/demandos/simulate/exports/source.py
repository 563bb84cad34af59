"""The simulated company's Parquet parts, as exporters read them: in bounded memory.

The engine writes ``sim_dir/<table>/part-*.parquet``. ``SimData`` opens each table as a DuckDB
view over its parts, so exporters can join and aggregate (daily ad rows are small) and stream
row-level results back in Arrow batches: a million people never become a million Python objects
at once. DuckDB spills to a private temporary folder when a sort does not fit its memory limit
(512 MB by default).
Every query an exporter runs orders its rows by a unique key, so the output is the same on every
run whatever the thread count.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from demandos.errors import DemandosError

Row = dict[str, Any]

BATCH_ROWS = 50_000


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class SimData:
    """The tables of one simulation output folder, as DuckDB views."""

    def __init__(self, sim_dir: Path, *, memory_limit: str = "512MB") -> None:
        self.dir = sim_dir
        self._tmp = tempfile.TemporaryDirectory(prefix="demandos-exports-")
        self.con = duckdb.connect()
        self.con.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
        self.con.execute(f"SET temp_directory = {_sql_str(self._tmp.name)}")
        self.tables: dict[str, list[Path]] = {}
        if sim_dir.is_dir():
            for folder in sorted(p for p in sim_dir.iterdir() if p.is_dir()):
                parts = sorted(folder.glob("part-*.parquet"))
                if parts:
                    self.tables[folder.name] = parts
        for name, parts in self.tables.items():
            files = ", ".join(_sql_str(str(p)) for p in parts)
            scan = f"read_parquet([{files}], union_by_name = true)"
            self.con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {scan}')

    def __enter__(self) -> SimData:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    def require(self, *tables: str) -> None:
        """Refuse to export from a folder that lacks a table the export is built from."""
        missing = [t for t in tables if t not in self.tables]
        if missing:
            raise DemandosError(
                f"no Parquet parts for {', '.join(missing)} in {self.dir}",
                hint="run the simulation first: it writes <sim_dir>/<table>/part-*.parquet",
            )

    def has_column(self, table: str, column: str) -> bool:
        schema = pq.read_schema(self.tables[table][0])
        return column in schema.names

    def rows(self, table: str) -> int:
        """The row count of a table, from the Parquet footers (nothing is scanned)."""
        return sum(pq.ParquetFile(p).metadata.num_rows for p in self.tables.get(table, []))

    def count(self, sql: str, params: Sequence[object] = ()) -> int:
        """How many rows ``sql`` returns."""
        found = self.con.sql(f"SELECT count(*) FROM ({sql})", params=list(params)).fetchall()
        return int(found[0][0])

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """A small result (aggregates, a few thousand rows at most) as row dicts."""
        table: pa.Table = self.con.sql(sql, params=list(params)).to_arrow_table()
        rows: list[Row] = table.to_pylist()
        return rows

    def stream(self, sql: str, params: Sequence[object] = ()) -> Iterator[Row]:
        """A large result, one row at a time, read in Arrow batches of ``BATCH_ROWS``."""
        relation = self.con.sql(sql, params=list(params))
        reader: pa.RecordBatchReader = relation.to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            yield from batch.to_pylist()
