"""Benchmark the simulation engine at each size, against a baseline measured in the same run.

    .venv/bin/python bench/simulate_sizes.py            # small and medium
    .venv/bin/python bench/simulate_sizes.py --large    # and large (≥ 10M touchpoints)

Each run happens in its own subprocess, so peak memory (``ru_maxrss``) is that run's alone. The
baseline writes the same number of rows per table, with the same schemas and Parquet settings,
from plain numpy random columns: the ratio says how much the simulation itself costs on top of
producing and writing that much data.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from demandos.simulate.engine import simulate
from demandos.simulate.params import NORTHWIND, SIZES
from demandos.simulate.parts import WRITER_OPTIONS, output_schema


class Result(TypedDict):
    rows: dict[str, int]
    seconds: float
    peak_mb: float


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _random_column(kind: pa.DataType, n: int, g: np.random.Generator) -> pa.Array:
    if pa.types.is_string(kind):
        return pc.cast(pa.array(g.integers(0, 10**9, n)), pa.string())
    if pa.types.is_int64(kind):
        return pa.array(g.integers(0, 10**6, n))
    if pa.types.is_float64(kind):
        return pa.array(g.random(n))
    if pa.types.is_boolean(kind):
        return pa.array(g.random(n) < 0.5)
    if pa.types.is_timestamp(kind):
        return pa.array(g.integers(1_700_000_000_000_000, 1_800_000_000_000_000, n), type=kind)
    if pa.types.is_date(kind):
        return pa.array(g.integers(20_000, 20_600, n).astype(np.int32), type=kind)
    return pa.array([["x"]] * n, type=kind)


def run_baseline(rows: dict[str, int], out: Path, chunk_rows: int) -> None:
    g = np.random.default_rng(0)
    for table, total in rows.items():
        schema = output_schema(table)
        folder = out / table
        folder.mkdir(parents=True)
        for part, start in enumerate(range(0, max(total, 1), chunk_rows)):
            n = min(chunk_rows, total - start)
            cols = [_random_column(f.type, n, g) for f in schema]
            with pq.ParquetWriter(
                folder / f"part-{part:05d}.parquet", schema, **WRITER_OPTIONS
            ) as w:
                w.write_table(pa.Table.from_arrays(cols, schema=schema))


def worker(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.worker == "simulate":
            summary = simulate(
                NORTHWIND, args.size, args.seed, Path(tmp, "out"), Path(tmp, "truth")
            )
            rows = summary.rows
        else:
            rows = json.loads(args.rows)
            run_baseline(rows, Path(tmp), SIZES[args.size].chunk_rows)
        seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": _peak_mb()}))


def _spawn(*extra: str) -> Result:
    cmd = [sys.executable, __file__, *extra]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return cast(Result, json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also run the large size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", choices=["simulate", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--size", default="small", help=argparse.SUPPRESS)
    parser.add_argument("--rows", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    sizes = ["small", "medium", *(["large"] if args.large else [])]
    results: dict[str, tuple[Result, Result]] = {}
    for size in sizes:
        sim = _spawn("--worker", "simulate", "--size", size, "--seed", str(args.seed))
        base = _spawn("--worker", "baseline", "--size", size, "--rows", json.dumps(sim["rows"]))
        results[size] = (sim, base)

    tables = list(results[sizes[0]][0]["rows"])
    print(f"{'rows per table':<22}" + "".join(f"{s:>14}" for s in sizes))
    for table in tables:
        counts = [results[s][0]["rows"][table] for s in sizes]
        print(f"{table:<22}" + "".join(f"{c:>14,}" for c in counts))
    print()
    header = ("size", "rows", "wall s", "rows/s", "peak MB", "baseline s", "base MB", "× baseline")
    print("{:<8}{:>13}{:>9}{:>13}{:>9}{:>12}{:>9}{:>12}".format(*header))
    for size in sizes:
        sim, base = results[size]
        total = sum(sim["rows"].values())
        secs, bsecs = sim["seconds"], base["seconds"]
        print(
            f"{size:<8}{total:>13,}{secs:>9.1f}{total / secs:>13,.0f}{sim['peak_mb']:>9.0f}"
            f"{bsecs:>12.1f}{base['peak_mb']:>9.0f}{secs / bsecs:>12.2f}"
        )


if __name__ == "__main__":
    main()
