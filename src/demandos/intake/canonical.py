"""The canonical loader: files already in the shape of a canonical table, into the store.

A file named after a canonical table (``accounts.csv``, ``touchpoints.parquet``) — or any file
with ``table=`` — is read, checked against the table's declared schema, and loaded. The files of
one call load in one transaction: all of them, or none. Rows that don't fit go to the quarantine.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from demandos.errors import IntakeError
from demandos.intake.coerce import ROW_NUMBER, coerce, file_sha256, reason_kind
from demandos.intake.ingest import first_seen
from demandos.progress import NullProgress, Progress
from demandos.store.facts import FactStore
from demandos.store.schema import TABLES, TableSchema
from demandos.suggest import did_you_mean

SOURCE = "canonical"
SUFFIXES = (".csv", ".parquet")


@dataclass
class FileLoad:
    """What happened to one file: counts a person can check against the store."""

    file: str
    table: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    ignored_columns: list[str] = field(default_factory=list)
    sha256: str = ""


def needed(schema: TableSchema) -> list[str]:
    """The columns a file for ``schema`` must have (a column with a fallback need not)."""
    return [c for c in schema.required if not schema.column(c).fallback]


def table_for(path: Path, table: str | None = None) -> TableSchema:
    """The canonical table a file loads into: ``table`` if given, else the file's name."""
    name = table or path.stem.lower()
    if name in TABLES:
        return TABLES[name]
    raise IntakeError(
        f"cannot tell which canonical table {path.name} belongs to",
        file=path,
        hint=(
            (did_you_mean(name, TABLES) or "")
            + f" Name the file after a table ({', '.join(TABLES)}) or pass --table."
        ).strip(),
    )


def read_raw(path: Path, schema: TableSchema) -> tuple[pa.Table, list[str]]:
    """Read a CSV (all text) or Parquet file, with a 1-based ``__row`` column added.

    Refuses, with the file and the fix, what cannot be read at all: a missing or empty file, text
    that is not UTF-8, a file that is not CSV or Parquet, a header without the required columns.
    """
    if not path.is_file():
        raise IntakeError("file not found", file=path, hint="check the path")
    if path.stat().st_size == 0:
        raise IntakeError(
            "the file is empty", file=path, hint="export it again with its header row"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            raw = pq.read_table(path)
        elif suffix == ".csv":
            raw = _read_csv(path)
        else:
            raise IntakeError(
                f"{path.suffix or 'a file without extension'} is not a format the canonical "
                "loader reads",
                file=path,
                hint="save it as .csv (UTF-8, comma-separated, header row) or .parquet",
            )
    except pa.ArrowInvalid as exc:
        raise IntakeError(
            f"not a readable {suffix.lstrip('.').upper()} file: {str(exc).splitlines()[0]}",
            file=path,
            hint="export it again as UTF-8 CSV with a header row, or as Parquet",
        ) from exc
    raw = raw.rename_columns([c.strip().lower() for c in raw.column_names])
    missing = [  # a column with a fallback takes the fallback's values (spend's campaign)
        c
        for c in schema.required
        if c not in raw.column_names and schema.column(c).fallback not in raw.column_names
    ]
    if missing:
        raise IntakeError(
            f"the {schema.name} file lacks required column(s) {', '.join(missing)}; "
            f"found {', '.join(raw.column_names) or 'no columns'}",
            file=path,
            hint=f"a {schema.name} file needs: {', '.join(needed(schema))}",
        )
    ignored = [c for c in raw.column_names if c not in schema.column_names]
    raw = raw.drop_columns(ignored).append_column(
        ROW_NUMBER, pa.array(range(1, raw.num_rows + 1), pa.int64())
    )
    return raw, ignored


def _read_csv(path: Path) -> pa.Table:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if b"\x00" in head:
        raise IntakeError(
            "this is a binary file, not CSV text",
            file=path,
            hint="export it again as UTF-8 CSV (an .xlsx needs its own connector)",
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the block's end
            raise IntakeError(
                f"the file is not UTF-8 text (byte {exc.start} is {head[exc.start]:#x})",
                file=path,
                hint="save it again as CSV UTF-8",
            ) from exc
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        names = next(csv.reader(fh), [])
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf-8"),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def load_files(
    store: FactStore,
    paths: list[Path],
    *,
    table: str | None = None,
    source: str = SOURCE,
    progress: Progress | None = None,
) -> list[FileLoad]:
    """Load canonical files in one transaction; every file is read and checked before any write."""
    progress = progress or NullProgress()
    files = _expand(paths)
    prepared = []
    progress.start("Reading files", total=len(files))
    try:
        for path in files:
            schema = table_for(path, table)
            raw, ignored = read_raw(path, schema)
            sha = file_sha256(path)
            coerced = coerce(raw, schema, source=source, file=str(path), sha256=sha)
            report = FileLoad(
                str(path), schema.name, read=coerced.read, sha256=sha, ignored_columns=ignored
            )
            report.quarantined = coerced.quarantine.num_rows
            report.reasons.update(
                reason_kind(part)
                for reason in coerced.quarantine.column("reason").to_pylist()
                for part in reason.split("; ")
            )
            prepared.append((report, coerced))
            progress.advance()
    finally:
        progress.finish()
    progress.start("Loading into the store", total=len(prepared))
    try:
        with store.transaction(source=source) as tx:
            for report, coerced in prepared:
                result = tx.load(report.table, coerced.rows, order=coerced.order)
                report.inserted += result.inserted
                report.updated += result.updated
                report.unchanged += result.unchanged
                if coerced.quarantine.num_rows:
                    tx.load("quarantine", first_seen(store, coerced.quarantine))
                progress.advance()
    finally:
        progress.finish()
    return [report for report, _ in prepared]


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given, and the canonical files inside any folder given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
            if not found:
                raise IntakeError("the folder holds no .csv or .parquet files", file=path)
            files.extend(found)
        else:
            files.append(path)
    return files
