"""How the core reports progress without printing.

Core functions take a ``Progress`` and call ``step`` for each long step and ``advance`` as work is
done. The CLI renders it as Rich progress bars, the web app as HTML, tests capture it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol


class Progress(Protocol):
    """The interface the core reports to."""

    def start(self, description: str, total: float | None = None) -> None:
        """A new step begins; ``total`` units of work if known."""

    def advance(self, amount: float = 1) -> None:
        """``amount`` units of the current step are done."""

    def finish(self) -> None:
        """The current step is done."""

    def note(self, message: str) -> None:
        """Something a user should see that is neither progress nor an error."""


class NullProgress:
    """Reports nowhere: the default for library calls."""

    def start(self, description: str, total: float | None = None) -> None:
        return None

    def advance(self, amount: float = 1) -> None:
        return None

    def finish(self) -> None:
        return None

    def note(self, message: str) -> None:
        return None


@dataclass
class CapturedProgress:
    """Records every call: for tests and for packs that list what was done."""

    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    advanced: float = 0.0
    finished: int = 0

    def start(self, description: str, total: float | None = None) -> None:
        self.steps.append(description)

    def advance(self, amount: float = 1) -> None:
        self.advanced += amount

    def finish(self) -> None:
        self.finished += 1

    def note(self, message: str) -> None:
        self.notes.append(message)


@contextmanager
def step(progress: Progress, description: str, total: float | None = None) -> Iterator[Progress]:
    """``with step(progress, "Loading accounts", total=n) as p: p.advance(k)``."""
    progress.start(description, total)
    try:
        yield progress
    finally:
        progress.finish()
