"""Export files as platforms write them: preamble, header, rows, totals, footer; CSV or XLSX.

A ``FileSpec`` declares one file: its path, its exact header, how many preamble rows come before
the header, its CSV style (delimiter, quoting, line ending, encoding) and the problems injected
into it. ``CsvExport`` and
``XlsxExport`` write a spec's file row by row (nothing is held in memory), number the data rows,
and pass each row through the file's ``RowPlan`` so injected problems land and get logged.

XLSX files are written with openpyxl's streaming (write-only) mode, then re-zipped with fixed
entry times and fixed document created/modified times, so the same rows give the same bytes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal, TextIO

from openpyxl import Workbook

from demandos.simulate.exports.problems import Injected, Problem, ProblemLog, RowPlan

Quoting = Literal["minimal", "all", "spaces"]


@dataclass(frozen=True)
class CsvStyle:
    """How a platform writes its CSV.

    ``quoting``: ``minimal`` quotes only fields that need it, ``all`` quotes every field
    (Salesforce), ``spaces`` also quotes any field with a space in it (Mailchimp).
    ``encoding``: ``utf-8-sig`` writes a byte-order mark.
    """

    delimiter: str = ","
    quoting: Quoting = "minimal"
    lineterminator: str = "\n"
    encoding: str = "utf-8"


@dataclass(frozen=True)
class FileSpec:
    """One file an exporter writes, as a reader must find it."""

    path: str  # under exports_dir, forward slashes
    header: tuple[str, ...]
    preamble_rows: int = 0  # rows before the header
    style: CsvStyle | None = CsvStyle()  # None: an XLSX file (first sheet, header on row 1)
    sheet: str = "Sheet1"
    problems: tuple[Problem, ...] = ()  # the data-quality problems injected into this file

    @property
    def is_xlsx(self) -> bool:
        return self.style is None

    def resolved(self, currency: str) -> FileSpec:
        """The spec with ``{currency}`` in its header filled in (``Amount spent (USD)``)."""
        header = tuple(with_currency(h, currency) for h in self.header)
        problems = tuple(
            replace(p, column=with_currency(p.column, currency)) for p in self.problems
        )
        return replace(self, header=header, problems=problems)


def with_currency(text: str, currency: str) -> str:
    return text.replace("{currency}", currency)


class _Rows:
    """Data-row numbering and problem injection, shared by the CSV and XLSX writers."""

    def __init__(self, spec: FileSpec, plan: RowPlan | None, log: ProblemLog) -> None:
        self.spec = spec
        self.plan = plan
        self.log = log
        self.written = 0  # data rows written (1-based number of the last one)
        self._given = 0  # rows given to row(), before duplicates

    def _emit(self, values: list[object]) -> None:
        raise NotImplementedError

    def row(self, values: Sequence[object]) -> None:
        """A data row: it may carry a planned problem."""
        if len(values) != len(self.spec.header):
            raise ValueError(f"{self.spec.path}: {len(values)} values for {len(self.spec.header)}")
        out = list(values)
        applied = self.plan.take(self._given, out) if self.plan else None
        self._given += 1
        if applied is None:
            self._write(out)
            return
        self._write(applied.values)
        if applied.duplicate:
            self._write(applied.values)
        column = applied.problem.column
        self.log.add(
            Injected(self.spec.path, self.written, column, applied.problem.kind, applied.value)
        )

    def total(self, values: Sequence[object]) -> None:
        """A total or summary row: numbered like data rows, never altered."""
        self._write(list(values))

    def _write(self, values: list[object]) -> None:
        self._emit(values)
        self.written += 1


class CsvExport(_Rows):
    """One CSV export file, written as it goes."""

    def __init__(
        self,
        path: Path,
        spec: FileSpec,
        plan: RowPlan | None,
        log: ProblemLog,
        preamble: Sequence[Sequence[str]] = (),
    ) -> None:
        super().__init__(spec, plan, log)
        if spec.style is None:
            raise ValueError(f"{spec.path} is an XLSX spec, not a CSV one")
        if len(preamble) != spec.preamble_rows:
            raise ValueError(
                f"{spec.path}: {len(preamble)} preamble rows, spec says {spec.preamble_rows}"
            )
        self.style = spec.style
        self.path = path
        self._fh: TextIO = path.open("w", encoding=self.style.encoding, newline="")
        for line in preamble:
            self.line(line)
        self.line(spec.header)

    def __enter__(self) -> CsvExport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._fh.close()

    def line(self, fields: Sequence[object]) -> None:
        """A raw line (preamble or footer), not numbered as a data row. ``[]`` is an empty line."""
        s = self.style
        self._fh.write(s.delimiter.join(self._field(f) for f in fields) + s.lineterminator)

    def _emit(self, values: list[object]) -> None:
        self.line(values)

    def _field(self, value: object) -> str:
        text = "" if value is None else str(value)
        s = self.style
        quote = (
            s.quoting == "all"
            or any(c in text for c in (s.delimiter, '"', "\n", "\r"))
            or (s.quoting == "spaces" and " " in text)
        )
        return '"' + text.replace('"', '""') + '"' if quote else text


class XlsxExport(_Rows):
    """One XLSX export file: a single sheet, header on row 1, typed cells, fixed metadata."""

    def __init__(
        self,
        path: Path,
        spec: FileSpec,
        plan: RowPlan | None,
        log: ProblemLog,
        *,
        stamp: datetime,
        number_formats: dict[str, str] | None = None,
    ) -> None:
        super().__init__(spec, plan, log)
        self.path = path
        self.stamp = stamp
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet(spec.sheet)
        self._formats = {spec.header.index(k): v for k, v in (number_formats or {}).items()}
        self._ws.append(list(spec.header))

    def __enter__(self) -> XlsxExport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()

    def _emit(self, values: list[object]) -> None:
        values = [None if v == "" else v for v in values]
        if not self._formats:
            self._ws.append(values)
            return
        from openpyxl.cell import WriteOnlyCell

        cells: list[object] = []
        for i, v in enumerate(values):
            fmt = self._formats.get(i)
            if fmt and isinstance(v, datetime):
                cell = WriteOnlyCell(self._ws, value=v)
                cell.number_format = fmt
                cells.append(cell)
            else:
                cells.append(v)
        self._ws.append(cells)

    def close(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        self._wb.save(tmp)
        try:
            _fixed_zip(tmp, self.path, self.stamp)
        finally:
            tmp.unlink(missing_ok=True)


_CORE_TIME = re.compile(
    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)"
)


def _fixed_zip(src: Path, dst: Path, stamp: datetime) -> None:
    """Copy an XLSX with fixed entry times and fixed created/modified document properties."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    when = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(lambda m: m.group(1) + iso + m.group(3), data)
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            zout.writestr(entry, data)
