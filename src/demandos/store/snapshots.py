"""Snapshots of the embedded store: which immutable Parquet files make up each table.

    facts/
      CURRENT                  the id of the committed snapshot, replaced atomically
      _snapshots/<n>.json      manifest n: table -> files, when and what was loaded
      <table>/<uuid>.parquet   immutable data files (every version, with the system columns)
      .load.lock               held by the one process that is loading

A commit writes the data files, then the manifest, then replaces CURRENT; each step is fsynced
and only the last one publishes. A process killed at any point leaves the previous snapshot whole;
what it wrote is unreferenced and removed later by :meth:`SnapshotLog.collect_garbage`.
Readers read CURRENT once and keep the files of that snapshot, so they never lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from demandos.errors import StoreError
from demandos.files import fsync_dir, fsync_file, write_atomic
from demandos.store.schema import ALL_TABLES

CURRENT = "CURRENT"
SNAPSHOTS = "_snapshots"
LOCK = ".load.lock"
FORMAT = 1

# Test hook: when set, a commit creates the file this names and waits, after the data files and
# the manifest are written and before CURRENT is replaced, so a test can kill the process there.
PAUSE_ENV = "DEMANDOS_STORE_PAUSE_BEFORE_COMMIT"


@dataclass(frozen=True)
class Snapshot:
    """One committed state of every table. Paths are relative to the facts folder."""

    id: int
    tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    loaded_at: datetime | None = None
    batch: str | None = None
    source: str = ""
    loads: tuple[dict[str, Any], ...] = ()

    def files(self, table: str) -> tuple[str, ...]:
        return self.tables.get(table, ())

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "loaded_at": self.loaded_at.isoformat() if self.loaded_at else None,
            "batch": self.batch,
            "source": self.source,
            "loads": list(self.loads),
            "tables": {name: list(files) for name, files in self.tables.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        loaded_at = data.get("loaded_at")
        return cls(
            id=int(data["id"]),
            tables={name: tuple(files) for name, files in data["tables"].items()},
            loaded_at=datetime.fromisoformat(loaded_at) if loaded_at else None,
            batch=data.get("batch"),
            source=data.get("source", ""),
            loads=tuple(data.get("loads", ())),
        )


EMPTY = Snapshot(id=0, tables=dict.fromkeys(ALL_TABLES, ()))


class SnapshotLog:
    """Reads and publishes the snapshots of one facts folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.snapshots = root / SNAPSHOTS
        self.lock_path = root / LOCK

    def manifest(self, snapshot_id: int) -> Path:
        return self.snapshots / f"{snapshot_id}.json"

    def current(self) -> Snapshot:
        """The committed snapshot (an empty one before the first load)."""
        try:
            text = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return EMPTY
        try:
            return self.read(int(text))
        except (ValueError, OSError, KeyError) as exc:
            raise StoreError(
                f"the fact store in {self.root} is damaged: CURRENT names snapshot {text!r}, "
                f"which cannot be read ({exc})",
                hint=f"restore {self.root} from a backup, or delete it and load the data again",
            ) from None

    def read(self, snapshot_id: int) -> Snapshot:
        data = json.loads(self.manifest(snapshot_id).read_text(encoding="utf-8"))
        return Snapshot.from_json(data)

    def commit(self, snapshot: Snapshot, written: list[Path]) -> None:
        """Publish ``snapshot``, whose new data files are ``written``; atomic."""
        for path in written:
            fsync_file(path)
        for folder in {p.parent for p in written}:
            fsync_dir(folder)
        self.snapshots.mkdir(parents=True, exist_ok=True)
        write_atomic(self.manifest(snapshot.id), json.dumps(snapshot.as_json(), indent=1))
        _pause_for_tests()
        write_atomic(self.root / CURRENT, f"{snapshot.id}\n")

    def collect_garbage(
        self, current: Snapshot, *, keep: int, grace: timedelta, own: tuple[str, ...] = ()
    ) -> int:
        """Delete files no recent snapshot uses; the number of files deleted.

        A file survives while one of the last ``keep`` snapshots lists it, or while it is younger
        than ``grace`` (a reader may still be pinned to an older snapshot). Folders named in
        ``own`` hold files the store keeps beside its snapshots and replaces itself (summaries,
        derived tables): they are left alone. Call with the lock held.
        """
        recent = range(max(1, current.id - keep + 1), current.id + 1)
        used: set[str] = set()
        for snapshot_id in recent:
            with contextlib.suppress(OSError, ValueError, KeyError):
                snapshot = current if snapshot_id == current.id else self.read(snapshot_id)
                used.update(f for files in snapshot.tables.values() for f in files)
        cutoff = time.time() - grace.total_seconds()
        removed = 0
        for folder in self.root.iterdir():
            if not folder.is_dir() or folder.name.startswith(".") or folder.name in own:
                continue
            for path in folder.iterdir():
                rel = f"{folder.name}/{path.name}"
                if folder.name == SNAPSHOTS:
                    stem = path.name.split(".", 1)[0]
                    if stem.isdigit() and int(stem) in recent and path.suffix == ".json":
                        continue
                elif rel in used:
                    continue
                removed += _remove_if_older(path, cutoff)
        for path in self.root.glob(f"{CURRENT}.*.tmp"):
            removed += _remove_if_older(path, cutoff)
        return removed


def _remove_if_older(path: Path, cutoff: float) -> int:
    try:
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()
            return 1
    except OSError:
        pass
    return 0


def _pause_for_tests() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.05)
    raise StoreError(f"{PAUSE_ENV} is set and nobody stopped this load", hint=f"unset {PAUSE_ENV}")
