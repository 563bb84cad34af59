"""Sync a CRM's API into the fact store, incrementally from the cursor stored per object.

    from demandos.intake.api import sync
    reports = sync(ws, "hubspot")            # companies, contacts, deals modified since last time
    reports = sync(ws, "salesforce", full=True)

Per object, in dependency order (companies before contacts and deals): read the cursor, fetch
the records modified at or after it page by page, and load each page like an export file — the
object's file connector translates it, the common steps normalize and check it, one transaction
loads it with its bad rows quarantined. Only then does the cursor move to the newest modification
time on the page (recorded with the page's load in the operating log), so a sync that dies part
way re-reads from the last committed page on its next run.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from demandos.errors import IntakeError
from demandos.intake.api.cursors import advance, read_cursor
from demandos.intake.api.source import ApiObject, Page, Source, newest
from demandos.intake.connector import Connector, Context, Header
from demandos.intake.ingest import IngestReport, TableCounts, ingest_rows
from demandos.intake.normalize import rules_for
from demandos.intake.registry import connector as connector_named
from demandos.progress import NullProgress, Progress
from demandos.store.oplog import Load

if TYPE_CHECKING:  # the facade drives intake, not the other way round
    from demandos.workspace import Workspace

System = Literal["hubspot", "salesforce"]
SYSTEMS: tuple[System, ...] = ("hubspot", "salesforce")


@dataclass
class SyncReport:
    """What one sync did to one object: counts that equal what the store now holds."""

    system: str
    object: str
    source: str  # the connector that translated the rows
    since: str | None  # the cursor the sync read from (None: everything)
    cursor: str | None  # the cursor after the sync
    pages: int = 0
    fetched: int = 0  # records the API returned
    quarantined: int = 0  # records in the quarantine (once each, whatever tables they feed)
    tables: dict[str, TableCounts] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)

    def total(self, what: str) -> int:
        return sum(getattr(t, what) for t in self.tables.values())

    @property
    def inserted(self) -> int:
        return self.total("inserted")

    @property
    def updated(self) -> int:
        return self.total("updated")

    @property
    def unchanged(self) -> int:
        return self.total("unchanged")


def open_source(system: str) -> Source:
    """The API of ``system``, configured from the environment (raises before any request)."""
    if system == "hubspot":
        from demandos.intake.api.hubspot import HubSpot

        return HubSpot.from_env()
    if system == "salesforce":
        from demandos.intake.api.salesforce import Salesforce

        return Salesforce.from_env()
    raise IntakeError(
        f"no API sync for {system!r}", hint=f"systems with an API sync: {', '.join(SYSTEMS)}"
    )


def sync(
    ws: Workspace,
    system: System,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> list[SyncReport]:
    """Sync every object of ``system`` (all records when ``full``); one report per object."""
    source = open_source(system)
    try:
        context = Context(
            timezone=ws.specs.workspace.timezone, currency=ws.specs.workspace.currency
        )
        return [
            sync_object(ws, source, obj, full=full, context=context, progress=progress)
            for obj in source.objects
        ]
    finally:
        source.close()


def sync_object(
    ws: Workspace,
    source: Source,
    obj: ApiObject,
    *,
    full: bool = False,
    context: Context | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Sync one object page by page; the cursor moves after each committed page."""
    progress = progress or NullProgress()
    context = context or Context(
        timezone=ws.specs.workspace.timezone, currency=ws.specs.workspace.currency
    )
    connector = _connector_for(source, obj)
    stored = read_cursor(ws.log, source.system, obj.name)
    report = SyncReport(source.system, obj.name, connector.name, None if full else stored, stored)
    zone = ZoneInfo(connector.source_zone(context))
    origin = f"{source.label} API {obj.name}"  # the quarantine's "file"
    identity = hashlib.sha256(f"{source.system}:{obj.name}".encode()).hexdigest()
    rules = rules_for(ws.specs, ws.facts)  # the accounts loaded so far resolve people
    progress.start(f"Syncing {source.label} {obj.name}", total=None)
    try:
        for page in source.pages(obj, report.since, zone):
            report.pages += 1
            report.fetched += len(page.rows)
            if not page.rows:
                continue
            started = datetime.now()
            loaded = ingest_rows(
                ws.facts,
                connector,
                page.raw(obj.header),
                # The quarantine keys a bad record by the object and the record's id (``__row``).
                IngestReport(origin, connector.name, identity, rows=len(page.rows)),
                context=context,
                rules=rules,
                progress=progress,
            )
            # The page is committed to the fact store: now, and only now, the cursor moves.
            report.cursor = newest(report.cursor, page.cursor)
            advance(
                ws.log,
                source.system,
                obj.name,
                report.cursor,
                rows=len(page.rows),
                load=_load(source, obj, page, loaded, started),
            )
            _add(report, loaded)
            progress.advance(len(page.rows))
        if not report.fetched:  # nothing new: note when the object was last looked at
            advance(ws.log, source.system, obj.name, report.cursor, rows=0)
    finally:
        progress.finish()
    return report


def _connector_for(source: Source, obj: ApiObject) -> Connector:
    connector = connector_named(obj.connector)
    missing = connector.missing(Header(obj.header))
    if missing:
        raise IntakeError(
            f"the {connector.name} connector needs column(s) {', '.join(missing)}, which the "
            f"{source.label} API sync of {obj.name} does not write",
            source=connector.name,
            hint="this is a bug in demandos: the API sync and the connector disagree; ingest "
            f"a {source.label} export file meanwhile",
        )
    return connector


def _load(
    source: Source, obj: ApiObject, page: Page, loaded: IngestReport, started: datetime
) -> Load:
    finished = datetime.now()
    return Load(
        batch=f"{finished:%Y%m%dT%H%M%S%f}-{source.system}-{obj.name}"[:64],
        source=loaded.source,
        file=f"{loaded.file} page {page.number}",
        file_sha256=page.sha256,
        started_at=started,
        finished_at=finished,
        counts={
            "request": page.request,
            "cursor": page.cursor,
            "rows": loaded.rows,
            "quarantined": loaded.quarantined,
            "tables": {t: vars(c) for t, c in loaded.tables.items()},
        },
    )


def _add(report: SyncReport, loaded: IngestReport) -> None:
    report.quarantined += loaded.quarantined
    report.reasons.update(loaded.reasons)
    for table, counts in loaded.tables.items():
        total = report.tables.setdefault(table, TableCounts())
        for name, value in vars(counts).items():
            setattr(total, name, getattr(total, name) + value)


__all__ = ["SYSTEMS", "SyncReport", "System", "open_source", "sync", "sync_object"]
