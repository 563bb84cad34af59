"""Every connector registers here; a file's header says which one reads it."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TypeVar

from demandos.errors import IntakeError
from demandos.intake.connector import Connector
from demandos.intake.readers import find_header, head_rows
from demandos.suggest import did_you_mean

CONNECTORS: dict[str, Connector] = {}
C = TypeVar("C", bound=type[Connector])


def register(cls: C) -> C:
    """Class decorator: make a connector known by its ``name``."""
    if cls.name in CONNECTORS:
        raise ValueError(f"two connectors are named {cls.name!r}")
    CONNECTORS[cls.name] = cls()
    return cls


def connectors() -> dict[str, Connector]:
    """All connectors: every module of ``demandos.intake.connectors`` registers itself."""
    import demandos.intake.connectors as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return CONNECTORS


def connector(name: str) -> Connector:
    known = connectors()
    if name not in known:
        raise IntakeError(
            f"no connector named {name!r}",
            hint=did_you_mean(name, known) or f"connectors are: {', '.join(sorted(known))}",
        )
    return known[name]


def detect(path: Path, source: str | None = None) -> tuple[Connector, int]:
    """The connector for a file and the 0-based line of its header.

    With ``source`` the file must fit that connector; without, the connector whose signature
    matches (the most specific one when several do).
    """
    rows = head_rows(path)
    candidates = [connector(source)] if source else list(connectors().values())
    matches = []
    for candidate in candidates:
        if path.suffix.lower() not in candidate.formats:
            continue
        line = find_header(rows, candidate.signature)
        if line is not None:
            matches.append((len(candidate.signature), candidate, line))
    if matches:
        _, best, line = max(matches, key=lambda m: m[0])
        return best, line
    found = next((r for r in rows if any(c.strip() for c in r)), [])
    shown = ", ".join(c for c in found[:8] if c) or "nothing"
    if source:
        expected = candidates[0]
        formats = "/".join(expected.formats)
        raise IntakeError(
            f"this is not a {expected.system} {expected.name} export: expected a header with "
            f"{', '.join(expected.signature)} ({formats}); found {shown}",
            file=path,
            source=source,
            hint=f"export it again from {expected.system} ({expected.description}), "
            "or drop --source to let demandos detect the source",
        )
    raise IntakeError(
        f"no connector recognizes this file's header; found {shown}",
        file=path,
        hint="pass --source NAME (see `demandos ingest --list`), or describe the file with a "
        "mapping (generic connector)",
    )
