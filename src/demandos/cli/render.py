"""How the CLI shows things: Rich progress bars, tables, findings and errors."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from demandos.errors import CheckReport, DemandosError, Finding

# Piped or captured output is read by people and by scripts: never cut it at 80 columns.
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


class RichProgress:
    """The core's ``Progress`` interface, drawn as Rich progress bars on stderr."""

    def __init__(self, console: Console = err_console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self._task: TaskID | None = None
        self._console = console

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, description: str, total: float | None = None) -> None:
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: float = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def finish(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            total = task.total if task.total is not None else 1
            self._progress.update(self._task, total=total, completed=total)
            self._task = None

    def note(self, message: str) -> None:
        self._console.print(message)


def table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric: bool = False
) -> Table:
    """A table; columns named in NUMERIC (or all but the first, with ``numeric``) align right."""
    out = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        right = column in NUMERIC or (numeric and index > 0)
        out.add_column(column, justify="right" if right else "left")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out


NUMERIC = {
    "rows",
    "read",
    "inserted",
    "updated",
    "unchanged",
    "quarantined",
    "retried",
    "loaded",
    "still quarantined",
    "pages",
    "fetched",
}


def print_error(exc: DemandosError) -> None:
    err_console.print(f"[bold red]Error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
    if exc.hint:
        err_console.print(f"[yellow]Fix:[/] {escape(exc.hint)}", highlight=False, soft_wrap=True)


def print_check(report: CheckReport, fmt: str) -> None:
    if fmt == "json":
        console.print_json(json.dumps(report.as_dict()))
        return
    for finding in report.findings:
        _print_finding(finding)
    errors = _plural(len(report.errors), "error")
    warnings = _plural(len(report.warnings), "warning")
    if report.ok:
        suffix = f" ({warnings})" if report.warnings else ""
        console.print(f"[green]✓[/] workspace is valid{suffix}")
    else:
        console.print(f"[red]✗[/] {errors}, {warnings}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _print_finding(finding: Finding) -> None:
    colour = "red" if finding.severity == "error" else "yellow"
    where = escape(str(finding.location))
    field = escape(f"{finding.field}: ") if finding.field else ""
    console.print(
        f"{where}: [{colour}]{finding.severity}[/]: {field}{escape(finding.message)}",
        highlight=False,
        markup=True,
        soft_wrap=True,
    )
    if finding.hint:
        console.print(f"  hint: {finding.hint}", highlight=False, markup=False, soft_wrap=True)


def print_loads(reports: Sequence[Any]) -> None:
    """The load summary table, then why rows were quarantined."""
    rows = [
        (Path(r.file).name, r.table, r.read, r.inserted, r.updated, r.unchanged, r.quarantined)
        for r in reports
    ]
    columns = ["file", "table", "read", "inserted", "updated", "unchanged", "quarantined"]
    console.print(table("Loaded", columns, rows))
    _print_reasons(reports)


def summary_table(root: Path, summaries: Sequence[Any]) -> Table:
    rows = [(s.table, f"{s.rows:,}", _day(s.min_time), _day(s.max_time)) for s in summaries]
    return table(f"Store of {root}", ["table", "rows", "from", "to"], rows)


def _day(value: Any) -> str:
    if value is None:
        return "—"
    return str(value)[:10]


def print_demo(result: Any) -> None:
    """Where the demo wrote what, and the company's headline numbers."""
    sim = result.simulation
    totals = sim.totals
    print_check(result.check, "text")
    console.print(summary_table(result.root, result.store))
    console.print(
        f"[green]✓[/] demo workspace: {escape(str(result.root))}  "
        f"({sim.size}, seed {sim.seed}, {sim.start} to {sim.end})",
        highlight=False,
    )
    console.print(f"  specs     {escape(str(result.root))}/*.yaml", highlight=False)
    exports = [p for p in result.exports if not p.name.startswith("_")]
    console.print(
        f"  exports   {escape(str(result.exports_dir))}/  ({len(exports)} platform files)",
        highlight=False,
    )
    console.print(f"  truth     {escape(str(result.truth_dir))}/ground_truth.csv", highlight=False)
    console.print(
        f"  store     {escape(str(result.root))}/.demandos/  "
        f"({sum(r.inserted + r.updated for r in result.loads):,} rows loaded)",
        highlight=False,
    )
    money = f" {result.currency}"
    rows = [
        ("leads", f"{totals['leads']:,.0f}"),
        ("opportunities", f"{totals['opportunities']:,.0f}"),
        ("pipeline created", f"{totals['pipeline']:,.0f}{money}"),
        ("won deals", f"{totals['won_deals']:,.0f}"),
        ("won revenue", f"{totals['won_revenue']:,.0f}{money}"),
        ("media spend", f"{totals['spend']:,.0f}{money}"),
        ("people, tools, agency, other", f"{totals['costs']:,.0f}{money}"),
    ]
    console.print(table("18 months of the simulated company", ["", "total"], rows, numeric=True))
    if result.metrics is not None:
        print_metrics(result.metrics, "table")


def print_connectors(connectors: Any) -> None:
    rows = [(c.name, c.system, "/".join(c.formats), c.description) for c in connectors]
    console.print(table("Connectors", ["source", "platform", "formats", "export"], sorted(rows)))


def print_ingest(reports: Sequence[Any]) -> None:
    """Per file: rows read, inserted, updated, unchanged, quarantined; then the reasons."""
    rows = [
        (
            Path(r.file).name,
            r.source,
            ", ".join(r.tables),
            r.rows,
            r.total("inserted"),
            r.total("updated"),
            r.total("unchanged"),
            r.quarantined,
        )
        for r in reports
    ]
    columns = [
        "file",
        "source",
        "tables",
        "read",
        "inserted",
        "updated",
        "unchanged",
        "quarantined",
    ]
    console.print(table("Ingested", columns, rows))
    _print_reasons(reports)


def print_quarantine(groups: Sequence[Any]) -> None:
    if not groups:
        console.print("[green]✓[/] the quarantine is empty")
        return
    rows = [(Path(g.file).name, g.source, g.rows, g.first_row, g.reason) for g in groups]
    console.print(table("Quarantine", ["file", "source", "rows", "first row", "reason"], rows))
    console.print("  see one: demandos quarantine show FILE ROW", highlight=False)


def print_record(record: dict[str, Any]) -> None:
    for key in ("file", "row_number", "source", "target_table", "reason", "quarantined_at"):
        console.print(f"[bold]{key}[/]: {escape(str(record.get(key)))}", highlight=False)
    console.print("[bold]raw values[/]:")
    for key, value in record["raw"].items():
        console.print(f"  {escape(str(key))}: {escape(repr(value))}", highlight=False)


def print_retry(reports: Sequence[Any]) -> None:
    rows = [
        (Path(r.file).name, r.source, r.retried, r.loaded, r.still_quarantined, r.note)
        for r in reports
    ]
    columns = ["file", "source", "retried", "loaded", "still quarantined", "note"]
    console.print(table("Retried", columns, rows))


def _print_reasons(reports: Sequence[Any]) -> None:
    """Why rows of each file went to the quarantine, most frequent reason first."""
    for r in reports:
        for reason, count in r.reasons.most_common():
            console.print(
                f"  [yellow]quarantined[/] {_plural(count, 'row')} of "
                f"{escape(Path(r.file).name)}: {escape(reason)}",
                highlight=False,
            )


def print_sync(reports: Sequence[Any]) -> None:
    rows = [
        (
            r.object,
            r.since or "—",
            r.cursor or "—",
            r.pages,
            r.fetched,
            r.total("inserted"),
            r.total("updated"),
            r.total("unchanged"),
            r.quarantined,
        )
        for r in reports
    ]
    columns = [
        "object",
        "since",
        "cursor",
        "pages",
        "fetched",
        "inserted",
        "updated",
        "unchanged",
        "quarantined",
    ]
    console.print(table("Synced", columns, rows))
    _print_reasons([_Named(r.object, r.reasons) for r in reports])


class _Named:
    """A report-like pair for ``_print_reasons``: a name where a file would be."""

    def __init__(self, file: str, reasons: Any) -> None:
        self.file, self.reasons = file, reasons


def print_metrics(result: Any, fmt: str) -> None:
    """The tree as an indented table, or JSON (nested by parent), or CSV (tidy rows)."""
    if fmt == "json":
        console.print_json(json.dumps(result.as_dict(), default=str))
        return
    if fmt == "csv":
        import pyarrow.csv as pacsv

        sink = io.BytesIO()
        pacsv.write_csv(result.to_arrow(), sink)
        sys.stdout.write(sink.getvalue().decode())
        return
    rows = []
    colours = {"green": "green", "amber": "yellow", "red": "red"}
    for row in result.totals():
        depth = "  " * (row.tier - 1)
        status = row.status or row.state
        colour = colours.get(row.status or "", "dim")
        rows.append(
            (
                f"{depth}{row.name}",
                _number(row.value, row.unit),
                _number(row.change, row.unit),
                _number(row.target, row.unit),
                f"[{colour}]{status}[/]",
                row.owner,
                "; ".join(n for n in (row.reason, _not_by(result, row.metric)) if n),
            )
        )
        for member in result.members(row.metric) if result.by else ():
            rows.append((f"{depth}  · {member.member}", _number(member.value, member.unit),
                         _number(member.change, member.unit), "", f"[dim]{member.state}[/]", "",
                         member.reason or ""))  # fmt: skip
    title = f"Metrics, {result.rows[0].period}" if result.rows else "Metrics"
    if result.by:
        title += f", by {result.by}"
    out = Table(title=title, title_justify="left")
    for column in ("metric", "value", "change", "target", "status", "owner", "note"):
        out.add_column(
            column, justify="right" if column in ("value", "change", "target") else "left"
        )
    for values in rows:
        out.add_row(*values)
    console.print(out)


def _not_by(result: Any, metric: str) -> str:
    """A note for a metric the breakdown does not split: its data does not carry the dimension,
    or its ``dimensions`` in metrics.yaml leave it out."""
    if metric in result.unsupported:
        return f"total only: not by {result.by}"
    if metric in getattr(result, "not_allowed", ()):
        return f"total only: metrics.yaml lists no {result.by} breakdown"
    return ""


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "ratio":
        return f"{value:.2f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def print_explanation(result: Any, fmt: str) -> None:
    """Why a metric moved: the drivers' parts, then the members' (mix and rate with --by)."""
    if fmt == "json":
        console.print_json(json.dumps(result.as_dict(), default=str))
        return
    unit = result.unit
    head = f"[bold]{escape(result.name)}[/], {result.period} against {result.against}: "
    if result.change is None:
        console.print(f"{head}[dim]{result.state}[/] — {escape(result.reason or '')}")
        return
    console.print(
        f"{head}{_number(result.before, unit)} → {_number(result.value, unit)} "
        f"({'+' if result.change >= 0 else ''}{_number(result.change, unit)})",
        highlight=False,
    )
    if result.state != "ok":
        console.print(f"  [yellow]{result.state}[/]: {escape(result.reason or '')}")
    for title, parts, state, note in (
        (result.identity or "Drivers", result.drivers(), result.driver_state, result.driver_reason),
        (f"By {result.by}", result.members(), result.member_state, result.member_reason),
    ):
        if state is None:
            continue
        if parts:
            rows = [
                (
                    escape(p.member if p.effect != "driver" else p.name),
                    p.effect if p.effect != "driver" else "",
                    _number(p.before, p.unit),
                    _number(p.after, p.unit),
                    _number(p.contribution, unit),
                    f"{p.contribution / result.change:.0%}" if result.change else "—",
                )
                for p in parts
            ]
            columns = ["driver" if title != f"By {result.by}" else result.by, "effect",
                       "before", "after", "part of change", "share"]  # fmt: skip
            console.print(table(title, columns, rows, numeric=True))
        if note:
            console.print(f"  [dim]{escape(note)}[/]", highlight=False)


def print_health(result: Any, fmt: str) -> None:
    """The health indicators with their states and what each value means."""
    if fmt == "json":
        console.print_json(json.dumps(result.as_dict(), default=str))
        return
    rows = []
    for i in result.indicators:
        if i.value is None:
            value = "—"
        elif i.unit == "DER per week":
            value = f"{i.value:+.3f}/week"
        else:
            value = _number(i.value, i.unit)
        colour = {"ok": "green", "partial": "yellow"}.get(i.state, "dim")
        rows.append((i.group, i.name, value, f"[{colour}]{i.state}[/]",
                     escape(i.meaning if i.value is not None else i.reason or "")))  # fmt: skip
    weeks = f"{result.weeks[0].week} to {result.weeks[-1].week}" if result.weeks else "no weeks"
    title = f"System health, {result.period}: the 13 weeks {weeks}"
    console.print(table(title, ["group", "indicator", "value", "state", "what it means"], rows))
    for i in result.indicators:
        if i.value is not None and i.reason:
            console.print(f"  [dim]{escape(i.name)}: {escape(i.reason)}[/]", highlight=False)
