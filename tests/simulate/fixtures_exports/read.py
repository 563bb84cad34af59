"""Reading export files back the way an intake reader must: skip the preamble, find the header,
take the data rows up to the first empty line, keep the footer."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from demandos.simulate.exports import FileSpec

Cell = Any  # str in a CSV; int, str, datetime or None in an XLSX


@dataclass
class ExportTable:
    preamble: list[list[str]]
    header: list[str]
    rows: list[list[Cell]]
    footer: list[list[str]]

    def column(self, name: str) -> list[Cell]:
        i = self.header.index(name)
        return [r[i] for r in self.rows]

    def dicts(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.header, r, strict=True)) for r in self.rows]


def read_export(exports_dir: Path, spec: FileSpec) -> ExportTable:
    path = exports_dir.joinpath(*spec.path.split("/"))
    if spec.style is None:
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            values = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
        header = [str(h) for h in values[0]]
        # a streamed sheet has no dimension record: rows stop at their last non-empty cell
        rows = [r + [None] * (len(header) - len(r)) for r in values[1:]]
        return ExportTable([], header, rows, [])
    with path.open(encoding=spec.style.encoding, newline="") as fh:
        lines = list(csv.reader(fh, delimiter=spec.style.delimiter))
    n = spec.preamble_rows
    body = lines[n + 1 :]
    end = body.index([]) if [] in body else len(body)
    return ExportTable(lines[:n], lines[n], list(body[:end]), body[end:])


def loose_cents(text: str) -> int:
    """Cents from an amount however it was typed: ``1,234.56``, ``$1,234.56``, ``1234.5``."""
    cleaned = text.replace(",", "").lstrip("$€£").strip()
    return int(Decimal(cleaned) * 100)


DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "%d/%m/%Y", "%Y-%m")


def parses_as_date(text: str) -> bool:
    for fmt in DATE_FORMATS:
        try:
            datetime.strptime(text, fmt)
        except ValueError:
            continue
        return True
    return False
