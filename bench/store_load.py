"""Benchmark: loading and reading the embedded fact store, against plain DuckDB + Parquet.

Each case runs in its own subprocess so its peak memory (max RSS) is its own. The baseline is
what the store does without its guarantees: DuckDB writing the same Arrow table to one Parquet
file, and the same query over that file. The ratio says what atomic, idempotent, historical loads
cost on top.

    .venv/bin/python bench/store_load.py [--rows 5000000]
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

import numpy as np
import pyarrow as pa

CHANNELS = np.array(
    ["paid_search", "linkedin_ads", "newsletter", "webinars", "website", "partners"]
)
TYPES = np.array(["ad_click", "page_view", "form_fill", "email_click", "webinar_attend"])


def touchpoints(rows: int, *, seed: int = 7, offset: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-06-01T00:00:00", "us")
    ts = start + rng.integers(0, 540 * 86_400, rows).astype("timedelta64[s]")
    ids = np.arange(offset, offset + rows)
    return pa.table(
        {
            "touch_id": pa.array([f"t{i:09d}" for i in ids]),
            "ts": pa.array(ts.astype("datetime64[us]")),
            "person_id": pa.array([f"p{i:07d}" for i in rng.integers(0, rows // 10 + 1, rows)]),
            "account_id": pa.array([f"a{i:06d}" for i in rng.integers(0, rows // 100 + 1, rows)]),
            "channel": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), rows)]),
            "program_id": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), rows)]),
            "asset_id": pa.nulls(rows, pa.string()),
            "touch_type": pa.array(TYPES[rng.integers(0, len(TYPES), rows)]),
        }
    )


QUERY = """SELECT channel, date_trunc('month', ts) AS month, count(*) AS n,
                  count(DISTINCT account_id) AS accounts
           FROM {source} GROUP BY ALL ORDER BY ALL"""


def case_store(rows: int, folder: Path) -> dict[str, float]:
    from demandos.store import open_facts

    batch = touchpoints(rows)
    out: dict[str, float] = {}
    with open_facts(folder / ".demandos") as store:
        t = time.perf_counter()
        store.load("touchpoints", batch)
        out["load"] = time.perf_counter() - t
        t = time.perf_counter()
        result = store.load("touchpoints", batch)
        out["reload_unchanged"] = time.perf_counter() - t
        assert result.unchanged == rows, result
        changed = batch.slice(0, rows // 100).set_column(
            4, "channel", pa.array(["direct"] * (rows // 100))
        )
        t = time.perf_counter()
        result = store.load("touchpoints", changed)
        out["update_1pct"] = time.perf_counter() - t
        assert result.updated == rows // 100, result
        t = time.perf_counter()
        expr = store.table("touchpoints")
        monthly = (
            expr.group_by(["channel", expr.ts.truncate("M").name("month")])
            .aggregate(n=expr.count(), accounts=expr.account_id.nunique())
            .to_pyarrow()
        )
        out["query"] = time.perf_counter() - t
        assert monthly.num_rows > 0
    return out


def case_baseline(rows: int, folder: Path) -> dict[str, float]:
    import duckdb

    batch = touchpoints(rows)
    out: dict[str, float] = {}
    con = duckdb.connect()
    con.register("batch", batch)
    path = folder / "touchpoints.parquet"
    t = time.perf_counter()
    con.execute(f"COPY batch TO '{path}' (FORMAT parquet)")
    out["load"] = time.perf_counter() - t
    t = time.perf_counter()
    con.sql(QUERY.format(source=f"read_parquet('{path}')")).fetchall()
    out["query"] = time.perf_counter() - t
    return out


def run_case(name: str, rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, __file__, "--case", name, "--rows", str(rows), "--dir", tmp],
            capture_output=True,
            text=True,
            check=True,
        )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--case", choices=["store", "baseline"])
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    if args.case:
        cases = {"store": case_store, "baseline": case_baseline}
        result = cases[args.case](args.rows, args.dir)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    store = run_case("store", args.rows)
    base = run_case("baseline", args.rows)
    print(f"embedded fact store, {args.rows:,} touchpoints (2 cores)")
    print(f"{'step':<22}{'store s':>10}{'baseline s':>12}{'ratio':>8}")
    print(
        f"{'initial load':<22}{store['load']:>10.2f}{base['load']:>12.2f}"
        f"{store['load'] / base['load']:>8.1f}x"
    )
    print(f"{'reload, unchanged':<22}{store['reload_unchanged']:>10.2f}{'':>12}{'':>8}")
    print(f"{'update 1% of rows':<22}{store['update_1pct']:>10.2f}{'':>12}{'':>8}")
    print(
        f"{'query by channel×month':<22}{store['query']:>10.2f}{base['query']:>12.2f}"
        f"{store['query'] / base['query']:>8.1f}x"
    )
    print(f"{'peak memory MB':<22}{store['peak_mb']:>10.0f}{base['peak_mb']:>12.0f}")


if __name__ == "__main__":
    main()
