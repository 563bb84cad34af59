"""A second process for the embedded store tests: a loader to kill, or a reader to race.

    python store_worker.py load ROOT START ROWS SIZE
    python store_worker.py read ROOT READY STOP OUT

``load`` merges ``audiences(START, ROWS, SIZE)``. ``read`` touches READY, then until STOP exists
refreshes, reads the current ``audiences`` and appends "snapshot rows total" lines to OUT.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa

from demandos.store import open_facts

CHANNELS = 50


def audiences(start: int, rows: int, size: int) -> pa.Table:
    """``rows`` (date, channel) keys from key number ``start`` on, each of audience ``size``."""
    i = np.arange(start, start + rows)
    days = (np.datetime64("2000-01-01") + i // CHANNELS).astype("datetime64[D]")
    channels = np.char.add("c", (i % CHANNELS).astype(str))
    return pa.table(
        {
            "date": pa.array(days),
            "channel": pa.array(channels),
            "size": pa.array(np.full(rows, size, dtype=np.int64)),
        }
    )


def load(root: Path, start: int, rows: int, size: int) -> None:
    with open_facts(root, lock_timeout=10) as store:
        store.load("audiences", audiences(start, rows, size))


def read(root: Path, ready: Path, stop: Path, out: Path) -> None:
    warnings.simplefilter("error")  # a lock or any other warning fails the reader
    warnings.filterwarnings("ignore", r"fetch_\w+\(\) is deprecated", DeprecationWarning)
    with open_facts(root) as store, out.open("a", encoding="utf-8") as f:
        ready.touch()
        while not stop.exists():
            store.refresh()
            t = store.table("audiences")
            row = t.aggregate(rows=t.count(), total=t["size"].sum()).to_pyarrow().to_pylist()[0]
            snapshot = store.snapshot.id  # type: ignore[attr-defined]
            f.write(f"{snapshot} {row['rows']} {row['total'] or 0}\n")
            f.flush()


if __name__ == "__main__":
    command, root, *args = sys.argv[1:]
    if command == "load":
        load(Path(root), *(int(a) for a in args))
    else:
        read(Path(root), *(Path(a) for a in args))
