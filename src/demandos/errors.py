"""Every error demandos raises on purpose.

    DemandosError                 anything demandos reports to a user: a message and a fix
    ├── WorkspaceError            the workspace folder is missing, not a workspace, or not empty
    ├── SpecError                 one problem in a spec file: file, line, column, field path, hint
    │   └── SpecErrors            several spec problems at once (what `demandos check` collects)
    ├── StoreError                the fact store or the operating log cannot do what was asked
    │   ├── SchemaError           a batch does not fit a canonical table's declared schema
    │   └── ConcurrentLoadError   another process holds the load lock for too long
    ├── IntakeError               a source file cannot be read at all (names file and row)
    ├── MetricError               a metric cannot be computed as specified
    ├── CadenceError              a ritual, period, owner, metric or date the log was given does
    │                             not fit the workspace (nothing is stored)
    ├── KernelError               a kernel version or proposal that does not exist, a publish
    │                             with nothing changed, a proposal decided already
    └── WorkflowError             a workflow, run, step or checklist item that does not exist, a
                                  step done twice or before its checklist (nothing is stored)

The CLI prints ``Error: <message>`` and the ``hint`` on a second line, and exits 1; a traceback
only with ``--debug``. The web app answers them with one JSON shape (``as_dict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class DemandosError(Exception):
    """Base class: a message a user can act on, and how to fix it."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class WorkspaceError(DemandosError):
    """The workspace folder is missing, not a workspace, or in the way."""


@dataclass(frozen=True)
class Location:
    """A place in a spec file. ``line`` and ``column`` are 1-based."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    """One result of validating a workspace: an error or a warning at a place."""

    severity: str  # "error" | "warning"
    location: Location
    field: str  # dotted path, e.g. "metrics[3].owner"
    message: str
    hint: str | None = None
    rule: str = "spec"

    def render(self) -> str:
        where = f"{self.location}"
        text = (
            f"{where}: {self.severity}: {self.field}: {self.message}"
            if self.field
            else (f"{where}: {self.severity}: {self.message}")
        )
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
            "rule": self.rule,
        }


class SpecError(DemandosError):
    """One problem in one spec file."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.render(), hint=finding.hint)
        self.finding = finding

    @property
    def file(self) -> str:
        return self.finding.location.file

    @property
    def line(self) -> int | None:
        return self.finding.location.line

    @property
    def field(self) -> str:
        return self.finding.field


class SpecErrors(SpecError):
    """Several spec problems found together; the first one is the headline."""

    def __init__(self, findings: list[Finding]) -> None:
        errors = [f for f in findings if f.severity == "error"]
        if not errors:
            raise ValueError("SpecErrors needs at least one error finding")
        super().__init__(errors[0])
        self.findings = findings
        self.message = "\n".join(f.render() for f in errors)
        self.hint = "Fix the spec files above, then run `demandos check` again."


class StoreError(DemandosError):
    """The fact store or the operating log cannot do what was asked."""


class SchemaError(StoreError):
    """A batch does not fit a canonical table's declared schema."""


class ConcurrentLoadError(StoreError):
    """Another process is loading into the same workspace and did not finish in time."""


class IntakeError(DemandosError):
    """A source cannot be read at all; names the source, the file and, where known, the row."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        file: str | Path | None = None,
        row: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = ", ".join(
            part
            for part in (
                f"source {source}" if source else "",
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
            )
            if part
        )
        super().__init__(f"{message} ({where})" if where else message, hint=hint)
        self.source = source
        self.file = str(file) if file is not None else None
        self.row = row


class MetricError(DemandosError):
    """A metric cannot be computed as specified."""


class CadenceError(DemandosError):
    """A ritual, period, owner, metric or date given to the operating log does not fit the
    workspace; nothing was stored."""


class KernelError(DemandosError):
    """A kernel version or proposal that does not exist, a publish with nothing changed, or a
    proposal decided already; nothing was stored."""


class WorkflowError(DemandosError):
    """A workflow, run, step or checklist item that does not exist, or a step done twice, out of
    order or with its checklist incomplete; nothing was stored."""


@dataclass
class CheckReport:
    """All findings of `demandos check`: errors fail, warnings never do."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.as_dict() for f in self.findings],
        }
