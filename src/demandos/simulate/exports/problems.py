"""Data-quality problems that real exports carry, injected on purpose and listed.

People's exports are not clean: a row appears twice after two exports were pasted together, a
contact has no email, someone typed ``$42,000.00`` into an amount, a date reads ``2026-02-30``.
Each export file declares the problems it can carry (``Problem``); ``RowPlan`` picks, from the
seed and the file name alone, which data rows get one, and applies them as the rows are written.
Every problem is recorded in ``exports_dir/_injected_problems.csv``:

    file     the file's path under exports_dir, with forward slashes
    row      1-based data row: the first row after the header is 1 (total and summary rows
             count, preamble lines do not), as the intake reader numbers rows
    column   the header of the altered cell (empty for a duplicate row)
    kind     duplicate_row | blank_required | currency_format | bad_date
    value    what the cell holds now (empty for a blank; the duplicated row's first cell)

A row carries at most one problem. A problem planned for a row it cannot apply to (a blank
close date cannot be made blank) moves to the next row. Problems never touch total or summary
rows, and never the Parquet inputs.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from demandos.simulate.exports.formats import day_first, impossible_date, money_symbol, to_cents

ProblemKind = Literal["duplicate_row", "blank_required", "currency_format", "bad_date"]
LOG_FILE = "_injected_problems.csv"
LOG_HEADER = ("file", "row", "column", "kind", "value")


@dataclass(frozen=True)
class Problem:
    """A kind of problem one export file can carry, and the column it hits."""

    kind: ProblemKind
    column: str = ""
    date_format: str | None = None  # bad_date: the column's format; None → a day-first date


@dataclass(frozen=True)
class Injected:
    """One problem as written: where it is and what the cell holds."""

    file: str
    row: int
    column: str
    kind: str
    value: str


@dataclass
class ProblemLog:
    """Every problem injected into one export run."""

    entries: list[Injected] = field(default_factory=list)

    def add(self, entry: Injected) -> None:
        self.entries.append(entry)

    def write(self, exports_dir: Path) -> Path:
        path = exports_dir / LOG_FILE
        ordered = sorted(self.entries, key=lambda e: (e.file, e.row, e.column, e.kind))
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(LOG_HEADER)
            for e in ordered:
                writer.writerow([e.file, e.row, e.column, e.kind, e.value])
        return path


def problems_per_kind(n_rows: int) -> int:
    """A few of each kind: one in a small file, up to 20 in a large one."""
    return max(1, min(20, n_rows // 5_000))


@dataclass(frozen=True)
class Applied:
    """The outcome of applying a problem to one row."""

    problem: Problem
    values: list[object]
    value: str
    duplicate: bool = False


_YEAR = re.compile(r"(?<!\d)(19|20)\d\d")  # 2026 in 2026-03-04, 3/4/2026, 20260304


class RowPlan:
    """Which data rows of one file get which problem, chosen from the seed and the file name."""

    def __init__(
        self,
        file: str,
        header: Sequence[str],
        n_rows: int,
        problems: Sequence[Problem],
        *,
        seed: int,
        currency: str,
    ) -> None:
        for p in problems:
            if p.kind != "duplicate_row" and p.column not in header:
                raise ValueError(f"{file}: problem column {p.column!r} is not in the header")
        self.file = file
        self.columns = {name: i for i, name in enumerate(header)}
        self.currency = currency
        rng = random.Random(f"demandos-exports:{seed}:{file}")
        wanted = [p for p in problems for _ in range(problems_per_kind(n_rows))]
        picks = rng.sample(range(n_rows), min(len(wanted), n_rows)) if n_rows else []
        self.planned: dict[int, Problem] = dict(zip(picks, wanted, strict=False))
        self.pending: list[Problem] = []
        self._bad_dates = 0

    def take(self, index: int, values: list[object]) -> Applied | None:
        """The problem for data row ``index`` (0-based, in the order rows are given), if any."""
        planned = self.planned.pop(index, None)
        for problem in self.pending:
            applied = self._apply(problem, values)
            if applied:
                self.pending.remove(problem)
                if planned:
                    self.pending.append(planned)
                return applied
        if planned:
            applied = self._apply(planned, values)
            if applied:
                return applied
            self.pending.append(planned)
        return None

    def _apply(self, problem: Problem, values: list[object]) -> Applied | None:
        if problem.kind == "duplicate_row":
            return Applied(problem, values, _text(values[0]), duplicate=True)
        i = self.columns[problem.column]
        current = values[i]
        if current is None or current == "":
            return None
        new = list(values)
        if problem.kind == "blank_required":
            new[i] = None if not isinstance(current, str) else ""
            return Applied(problem, new, "")
        if problem.kind == "currency_format":
            try:
                amount = Decimal(str(current).replace(",", ""))
            except InvalidOperation:
                return None
            new[i] = money_symbol(to_cents(float(amount)), self.currency)
            return Applied(problem, new, str(new[i]))
        year = _year_of(current)
        if year is None:
            return None
        fmt = problem.date_format
        bad = (
            impossible_date(fmt, year, self._bad_dates) if fmt else day_first(year, self._bad_dates)
        )
        self._bad_dates += 1
        new[i] = bad
        return Applied(problem, new, bad)


def _year_of(value: object) -> int | None:
    if isinstance(value, date):
        return value.year
    found = _YEAR.search(str(value))
    return int(found.group(0)) if found else None


def _text(value: object) -> str:
    return "" if value is None else str(value)
