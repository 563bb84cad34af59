"""Sync cursors in the operating log: how far each API object has been read and loaded.

A cursor moves only after the page that reached it is committed to the fact store, and in the
same operating-log transaction that records the page's load: a sync that dies re-reads from the
last committed page, it never skips one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from demandos.store.oplog import Load, OperatingLog, SyncCursor


def read_cursor(log: OperatingLog, system: str, obj: str) -> str | None:
    """The stored cursor of one object, or None before its first sync."""
    with log.session() as session:
        found = session.get(SyncCursor, (system, obj))
        return found.cursor if found else None


def cursors(log: OperatingLog, system: str | None = None) -> list[SyncCursor]:
    """Every stored cursor (of one system), by system and object."""
    query = select(SyncCursor).order_by(SyncCursor.system, SyncCursor.object)
    if system is not None:
        query = query.where(SyncCursor.system == system)
    with log.session() as session:
        return list(session.scalars(query))


def advance(
    log: OperatingLog,
    system: str,
    obj: str,
    cursor: str | None,
    *,
    rows: int,
    load: Load | None = None,
    now: datetime | None = None,
) -> None:
    """Set the cursor (never backwards), add ``rows``, and record ``load``: one transaction."""
    with log.session() as session:
        found = session.get(SyncCursor, (system, obj))
        if found is None:
            found = SyncCursor(system=system, object=obj, cursor=None, rows=0)
            session.add(found)
        if cursor is not None and (found.cursor is None or cursor > found.cursor):
            found.cursor = cursor
        found.rows = (found.rows or 0) + rows
        found.updated_at = now or datetime.now()
        if load is not None:
            session.merge(load)


__all__ = ["advance", "cursors", "read_cursor"]
