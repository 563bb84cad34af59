"""The quarantine: rows that could not be read, kept with their raw values and a reason.

Rows stay until a retry loads them (``resolved_at`` is then set; the store keeps the history).
A row quarantined again by a re-ingest of the same file keeps its first ``quarantined_at``, so a
re-ingest changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa

from demandos.errors import IntakeError
from demandos.intake.coerce import ROW_NUMBER, coerce, reason_kind
from demandos.intake.connector import Context, Header
from demandos.intake.ingest import IngestReport, first_seen, ingest_rows
from demandos.intake.normalize import Rules
from demandos.intake.readers import RawFile
from demandos.intake.registry import connector, connectors
from demandos.progress import NullProgress, Progress
from demandos.store.facts import FactStore, Loader
from demandos.store.schema import QUARANTINE, TABLES

CANONICAL = "canonical"


def open_rows(
    facts: FactStore, *, source: str | None = None, file: str | None = None
) -> ibis.Table:
    """Rows still in the quarantine, optionally of one source or one file (name or path)."""
    rows = facts.table("quarantine")
    rows = rows.filter(rows.resolved_at.isnull())
    if source:
        rows = rows.filter(rows.source == source)
    if file:
        rows = rows.filter((rows.file == file) | rows.file.endswith("/" + file))
    return rows.order_by(["file", "row_number"])


@dataclass(frozen=True)
class Group:
    """Quarantined rows of one file for one kind of reason."""

    source: str
    file: str
    reason: str
    rows: int
    first_row: int


def summary(facts: FactStore, *, source: str | None = None, file: str | None = None) -> list[Group]:
    """Open quarantine rows counted by file and kind of reason."""
    table = open_rows(facts, source=source, file=file).to_pyarrow().to_pylist()
    groups: dict[tuple[str, str, str], list[int]] = {}
    for row in table:
        for part in row["reason"].split("; "):
            groups.setdefault((row["source"], row["file"], reason_kind(part)), []).append(
                row["row_number"]
            )
    return [
        Group(source, file, reason, len(numbers), min(numbers))
        for (source, file, reason), numbers in sorted(groups.items())
    ]


def show(facts: FactStore, file: str, row: int) -> dict[str, Any]:
    """One quarantined row: where it came from, why, and its raw values."""
    rows = open_rows(facts, file=file)
    found = rows.filter(rows.row_number == row).to_pyarrow().to_pylist()
    if not found:
        raise IntakeError(
            f"no open quarantine row {row} of {file}",
            file=file,
            row=row,
            hint="`demandos quarantine list` shows the files and rows in the quarantine",
        )
    record = dict(found[0])
    record["raw"] = json.loads(record["raw"])
    return record


@dataclass
class RetryReport:
    file: str
    source: str
    retried: int = 0
    loaded: int = 0  # rows that now load: resolved
    note: str = ""  # why rows could not be retried, if they could not

    @property
    def still_quarantined(self) -> int:
        return self.retried - self.loaded


def retry(
    facts: FactStore,
    *,
    rules: Rules,
    context: Context,
    file: str | None = None,
    progress: Progress | None = None,
) -> list[RetryReport]:
    """Read the open rows again from their raw values, with today's rules and connectors.

    Use it after fixing what the reasons said outside the file (a rate added to rates.csv, a
    program added to channels.yaml); a fixed file is simply ingested again.
    """
    progress = progress or NullProgress()
    rows = open_rows(facts, file=file).to_pyarrow()
    reports = []
    for key in sorted({(r["source"], r["file"], r["file_sha256"]) for r in rows.to_pylist()}):
        source, path, sha = key
        mine = [r for r in rows.to_pylist() if (r["source"], r["file_sha256"]) == (source, sha)]
        readable = [r for r in mine if "line" not in json.loads(r["raw"])]  # broken rows can't
        report = RetryReport(path, source, retried=len(mine))
        if readable and source != CANONICAL and source not in connectors():
            report.note = "read by a mapping file: ingest the file again with --mapping"
        elif readable:
            still = _again(facts, source, path, sha, readable, rules, context, progress)
            resolved = [r for r in readable if r["row_number"] not in still]
            report.loaded = len(resolved)
            if resolved:
                with facts.transaction(source="quarantine retry") as tx:
                    _resolve(tx, resolved)
        reports.append(report)
    return reports


def _again(
    facts: FactStore,
    source: str,
    path: str,
    sha: str,
    rows: list[dict[str, Any]],
    rules: Rules,
    context: Context,
    progress: Progress,
) -> set[int]:
    """Load the rows again; the row numbers that are still quarantined."""
    values = [json.loads(r["raw"]) for r in rows]
    columns = list(dict.fromkeys(k for v in values for k in v))
    raw = pa.table({c: pa.array([_text(v.get(c)) for v in values], pa.string()) for c in columns})
    raw = raw.append_column(ROW_NUMBER, pa.array([r["row_number"] for r in rows], pa.int64()))
    if source == CANONICAL:
        table = rows[0]["target_table"]
        coerced = coerce(raw, TABLES[table], source=source, file=path, sha256=sha)
        with facts.transaction(source="quarantine retry") as tx:
            tx.load(table, coerced.rows, order=coerced.order)
            if coerced.quarantine.num_rows:
                tx.load("quarantine", first_seen(facts, coerced.quarantine))
        return set(coerced.quarantine.column("row_number").to_pylist())
    report = IngestReport(path, source, sha, rows=len(rows))
    ingest_rows(
        facts,
        connector(source),
        RawFile(raw, Header(tuple(columns))),
        report,
        context=context,
        rules=rules,
        progress=progress,
    )
    return set(report.quarantined_rows)


def _resolve(tx: Loader, resolved: list[dict[str, Any]]) -> None:
    now = datetime.now().replace(microsecond=0)
    table = pa.Table.from_pylist(
        [{**r, "resolved_at": now} for r in resolved], schema=QUARANTINE.arrow_schema()
    )
    tx.load("quarantine", table)


def _text(value: object) -> str:
    return "" if value is None else str(value)
