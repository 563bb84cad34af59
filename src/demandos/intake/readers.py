"""Reading export files as text: find the header under a preamble, drop totals and footers.

Every reader returns a ``pa.Table`` of strings with the file's own column names and a ``__row``
column: the 1-based data row (the first row after the header is 1; total rows count, preamble
lines don't), which is what a person sees when they open the file and what quarantine reports.
Rows a reader cannot split into the header's columns are returned separately, never dropped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from demandos.errors import IntakeError
from demandos.intake.coerce import ROW_NUMBER
from demandos.intake.connector import Header

SCAN_LINES = 60  # how far down a header may sit under a preamble


@dataclass
class RawFile:
    """A file's data rows as text, and the rows that could not be read as rows."""

    table: pa.Table
    header: Header
    broken: list[tuple[int, str, str]] = field(default_factory=list)  # row, text, reason
    footers: int = 0  # total and footer rows left out


def head_rows(path: Path, limit: int = SCAN_LINES) -> list[list[str]]:
    """The first rows of a CSV or XLSX file, as lists of cells, for detection."""
    if path.suffix.lower() == ".xlsx":
        return list(_xlsx_rows(path, limit))
    text = _head_text(path)
    rows = []
    for row in csv.reader(io.StringIO(text)):
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows


def _head_text(path: Path) -> str:
    if not path.is_file():
        raise IntakeError("file not found", file=path, hint="check the path")
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise IntakeError(
            "the file is empty", file=path, hint="export it again with its header row"
        )
    if b"\x00" in head:
        raise IntakeError(
            "this is a binary file, not CSV text",
            file=path,
            hint="export the report as CSV (UTF-8), or as .xlsx",
        )
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut at the block's end
            return head[: exc.start].decode("utf-8-sig")
        raise IntakeError(
            f"the file is not UTF-8 text (byte {exc.start} is {head[exc.start]:#x})",
            file=path,
            hint="export it again as CSV UTF-8 (in Excel: Save As → CSV UTF-8)",
        ) from exc
    lines = text.splitlines(keepends=True)
    return "".join(lines[:-1] if len(head) == 1 << 16 and len(lines) > 1 else lines)


def find_header(rows: list[list[str]], signature: tuple[str, ...]) -> int | None:
    """Index of the first row holding every signature column, or None."""
    wanted = {s.lower() for s in signature}
    for index, row in enumerate(rows):
        if wanted <= {c.strip().lower().lstrip("\ufeff") for c in row}:
            return index
    return None


def read_csv(path: Path, header_line: int, footer: str | None, comment: str | None) -> RawFile:
    """Read a CSV whose header is on 0-based line ``header_line``."""
    rows = head_rows(path, header_line + 1)
    columns = tuple(c.strip().lstrip("\ufeff") for c in rows[header_line])
    preamble = tuple(",".join(r) for r in rows[:header_line])
    broken_raw: list[tuple[int | None, str]] = []

    def invalid(row: pacsv.InvalidRow) -> str:
        broken_raw.append((row.number, row.text))
        return "skip"

    names = _unique(columns)
    # Threaded first: Arrow numbers no invalid row then, so a file with one is read again
    # single-threaded to know which rows were left out (the common, clean file is read once).
    table = _arrow_csv(path, header_line, names, invalid, threads=True)
    if broken_raw:
        broken_raw.clear()
        table = _arrow_csv(path, header_line, names, invalid, threads=False)
    broken, footers, skipped = [], 0, []
    for number, text in broken_raw:
        data_row = (number - header_line - 1) if number is not None else None
        if data_row is not None:
            skipped.append(data_row)
        first = next((c for c in next(csv.reader([text]), []) if c.strip()), "")
        if footer and re.search(footer, first.strip()):
            footers += 1
            continue
        reason = (
            f"the row has {len(next(csv.reader([text]), []))} cells, the header has {len(columns)}"
        )
        broken.append((data_row or 0, text, reason))
    numbers = np.arange(1, table.num_rows + len(skipped) + 1, dtype=np.int64)
    if skipped:
        numbers = np.setdiff1d(numbers, np.array(skipped, dtype=np.int64))
    table = table.append_column(ROW_NUMBER, pa.array(numbers[: table.num_rows], pa.int64()))
    table, dropped = _drop_non_data(table, names, footer, comment)
    return RawFile(table, Header(columns, preamble, header_line), broken, footers + dropped)


def _arrow_csv(
    path: Path,
    header_line: int,
    names: list[str],
    invalid: Callable[[pacsv.InvalidRow], str],
    *,
    threads: bool,
) -> pa.Table:
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=threads,
                skip_rows=header_line + 1,
                column_names=names,
                encoding="utf-8",
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise IntakeError(
            f"not a readable CSV file: {str(exc).splitlines()[0]}",
            file=path,
            hint="export it again as CSV (UTF-8) without editing it in between",
        ) from exc


def read_xlsx(path: Path, header_line: int, footer: str | None, comment: str | None) -> RawFile:
    """Read the first sheet of an XLSX file whose header is on 0-based row ``header_line``."""
    rows = _xlsx_rows(path, None)
    columns: tuple[str, ...] = ()
    preamble: list[str] = []
    data: list[list[str]] = []
    for index, row in enumerate(rows):
        if index < header_line:
            preamble.append(",".join(row))
        elif index == header_line:
            columns = tuple(c.strip() for c in row)
        else:
            data.append((row + [""] * len(columns))[: len(columns)])
    names = _unique(columns)
    table = pa.table(
        {name: pa.array([r[i] for r in data], pa.string()) for i, name in enumerate(names)}
    ).append_column(ROW_NUMBER, pa.array(range(1, len(data) + 1), pa.int64()))
    table, dropped = _drop_non_data(table, names, footer, comment)
    return RawFile(table, Header(columns, tuple(preamble), header_line), [], dropped)


def _xlsx_rows(path: Path, limit: int | None) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors
        raise IntakeError(
            f"not a readable XLSX workbook: {exc}",
            file=path,
            hint="open it in a spreadsheet and save it again as .xlsx, or export CSV",
        ) from exc
    try:
        sheet = book.worksheets[0]
        for count, row in enumerate(sheet.iter_rows(values_only=True)):
            if limit is not None and count >= limit:
                break
            yield [_cell(v) for v in row]
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unique(columns: tuple[str, ...]) -> list[str]:
    """Column names made unique (a repeated header gets ``_2``): Arrow needs distinct names."""
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _drop_non_data(
    table: pa.Table, names: list[str], footer: str | None, comment: str | None
) -> tuple[pa.Table, int]:
    """Leave out total/footer rows, comment lines and empty rows.

    Only the first column is looked at for every row; the others only for rows whose first cell
    is empty (an empty row, or a data row that starts with an empty cell).
    """
    if table.num_rows == 0 or not names:
        return table, 0
    first = table.column(names[0])
    # empty or only white space, without trimming a copy of every value
    empty_first = pc.or_(pc.equal(pc.binary_length(first), 0), pc.utf8_is_space(first))
    drop = None
    if pc.any(empty_first).as_py():
        # rows with an empty first cell: dropped when every other cell is empty too
        where = pc.indices_nonzero(empty_first)
        blank = pa.array(np.ones(len(where), dtype=bool))
        for name in names[1:]:
            blank = pc.and_(blank, pc.equal(pc.utf8_length(table.column(name).take(where)), 0))
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[where.to_numpy()[blank.to_numpy(zero_copy_only=False)]] = True
        drop = pa.array(mask)
    if comment:
        starts = pc.starts_with(first, comment)
        drop = starts if drop is None else pc.or_(drop, starts)
    if footer:
        matches = pc.match_substring_regex(pc.utf8_trim_whitespace(first), footer)
        drop = matches if drop is None else pc.or_(drop, matches)
    if drop is None or not pc.any(drop).as_py():
        return table, 0
    kept = table.filter(pc.invert(drop))
    return kept, table.num_rows - kept.num_rows
