"""Benchmark: multi-touch attribution from raw touches, demandos against the pipeline a user
would build with DuckDB and ChannelAttribution.

    .venv/bin/python bench/attribution.py [--journeys 1000000 5000000] [--orders] [--tight]
                                          [--repeat 3]

Data: synthetic journeys — 12 channels with unequal reach, 1 + Poisson(3) touches each (mean
4), minutes to days apart over half a year, about 3% converting with a probability that grows
with the channels touched, a log-normal value per conversion — written as **raw touches**, one
row per touch (journey_id, ts, channel, converted, value) in time order, as an event export
has them, to one Parquet file (generated once, kept in the system's temp dir).

Cases, each in its own process (its peak memory, max RSS, is its own), each timed from the file,
each run ``--repeat`` times interleaved with the others (the table shows the median run):

- **demandos Markov**: ``read_touch_file`` (DuckDB reads and sorts the touches once) and
  ``markov(order=1)`` — the exact absorbing-chain solution with non-converting journeys.
- **peer Markov**: DuckDB aggregates each journey's path (``string_agg`` in time order) and
  then the distinct paths with their conversions, non-conversions and value; then
  ChannelAttribution 2.2.5 ``markov_model`` with ``var_null`` (its defaults: 100,000 simulated
  paths, ``conv_par=0.05``); ``--tight`` also runs it at ``conv_par=0.01``.
- **demandos heuristics**: the same read and all seven heuristic models in one pass.
- **peer heuristics**: the same DuckDB paths and ChannelAttribution ``heuristic_models``
  (first, last, linear).
- ``--orders``: demandos Markov of order 2 and 3.

The parent checks the answers before printing: first, last and linear equal ChannelAttribution's
to rounding; the exact Markov credit is printed with the peer's largest error per channel
against it. Wall and CPU seconds (all threads) and the load average when each case started.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

CHANNELS = 12
SEED = 7


def data_file(journeys: int) -> Path:
    return Path(tempfile.gettempdir()) / f"demandos-bench-attribution-{journeys}.parquet"


def generate(path: Path, journeys: int, seed: int = SEED) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    names = pa.array([f"channel_{i:02d}" for i in range(CHANNELS)])
    reach = rng.dirichlet(np.full(CHANNELS, 2.0))
    lift = rng.uniform(0.0, 1.0, CHANNELS)
    length = 1 + rng.poisson(3.0, journeys)
    jid = np.repeat(np.arange(journeys, dtype=np.int64), length)
    channel = rng.choice(CHANNELS, size=jid.size, p=reach)
    score = np.bincount(jid, weights=lift[channel], minlength=journeys)
    converted = rng.random(journeys) < np.clip(0.03 * score / score.mean(), 0.0, 1.0)
    value = np.where(converted, np.round(rng.lognormal(9.0, 1.0, journeys), 2), 0.0)
    gaps = np.cumsum(rng.integers(60, 3 * 86_400, jid.size))
    first = np.concatenate(([0], np.cumsum(length)[:-1]))
    start = rng.integers(0, 180 * 86_400, journeys)
    seconds = 1_767_225_600 + start[jid] + gaps - gaps[first][jid]
    order = np.argsort(seconds, kind="stable")  # an event export: in time order
    table = pa.table({
        "journey_id": jid[order],
        "ts": pa.array(seconds[order] * 1_000_000, type=pa.timestamp("us")),
        "channel": pa.DictionaryArray.from_arrays(
            pa.array(channel[order].astype(np.int32)), names
        ).cast(pa.string()),
        "converted": converted[jid][order],
        "value": value[jid][order],
    })  # fmt: skip
    pq.write_table(table, path, row_group_size=1_000_000)


# -- cases (each runs in a child process) --------------------------------------------------


def _peer_paths(path: Path) -> Any:
    import duckdb

    con = duckdb.connect()
    frame = con.sql(f"""
        WITH journeys AS (
            SELECT string_agg(channel, ' > ' ORDER BY ts) AS path,
                   bool_or(converted)::INTEGER AS conv, max(value) AS value
            FROM read_parquet('{path}') GROUP BY journey_id
        )
        SELECT path, sum(conv) AS conv, sum(1 - conv) AS null, sum(value * conv) AS value
        FROM journeys GROUP BY path
    """).df()  # fmt: skip
    con.close()
    return frame


def case(name: str, path: Path) -> dict[str, Any]:
    from demandos.feedback import heuristics, markov
    from demandos.feedback.raw import read_touch_file

    out: dict[str, Any] = {"load": os.getloadavg()[0]}
    start, cpu = time.perf_counter(), time.process_time()
    if name.startswith("demandos"):
        j = read_touch_file(path, times=name == "demandos-heuristics")  # time decay reads times
        out["read"] = time.perf_counter() - start
        if name == "demandos-markov":
            credit = markov(j, 1)
            out["credit"] = dict(zip(credit.labels, credit.conversions.tolist(), strict=True))
        elif name == "demandos-heuristics":
            credits = heuristics(j)
            out["credit"] = {
                m: dict(zip(c.labels, c.conversions.tolist(), strict=True))
                for m, c in credits.items()
            }
        else:  # demandos-orders
            for order in (1, 2, 3):
                lap = time.perf_counter()
                markov(j, order)
                out[f"order{order}"] = time.perf_counter() - lap
        out["journeys"], out["touches"] = len(j), j.touches
    else:
        import ChannelAttribution as ca

        paths = _peer_paths(path)
        out["read"] = time.perf_counter() - start
        out["paths"] = len(paths)
        if name.startswith("peer-markov"):
            tight = {"conv_par": 0.01} if name == "peer-markov-tight" else {}
            result = ca.markov_model(
                paths, "path", "conv", var_null="null", var_value="value", order=1,
                flg_pro=False, verbose=False, **tight,
            )  # fmt: skip
            out["credit"] = dict(zip(result.channel_name, result.total_conversions, strict=True))
        else:
            result = ca.heuristic_models(paths, "path", "conv", var_value="value", flg_pro=False)
            out["credit"] = {
                m: dict(zip(result.channel_name, result[f"{m}_touch_conversions"], strict=True))
                for m in ("first", "last", "linear")
            }
    out["wall"] = time.perf_counter() - start
    out["cpu"] = time.process_time() - cpu
    return out


def run(name: str, path: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--case", name, "--file", str(path)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{name} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def child(name: str, path: Path) -> None:
    result = case(name, path)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# -- report -----------------------------------------------------------------------------------


def _row(label: str, r: dict[str, Any], base: float) -> str:
    ratio = base / r["wall"]
    return (f"  {label:<50}{r['read']:>8.2f}{r['wall'] - r['read']:>8.2f}{r['wall']:>8.2f}"
            f"{r['cpu']:>8.2f}{r['peak_mb']:>9,.0f}{r['load']:>6.1f}{ratio:>8.1f}x")  # fmt: skip


def _worst(mine: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(theirs[c] / mine[c] - 1) for c in mine if mine[c] > 0)


def _median(results: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(results, key=lambda r: r["wall"])[len(results) // 2]


def report(journeys: int, orders: bool, tight: bool, repeat: int) -> None:
    path = data_file(journeys)
    if not path.is_file():
        lap = time.perf_counter()
        generate(path, journeys)
        os.sync()
        print(f"generated {path.name} in {time.perf_counter() - lap:.1f} s")
    names = ["peer-markov", "demandos-markov", "peer-heuristics", "demandos-heuristics"]
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for _ in range(repeat):  # interleaved, so a busy moment hits both sides
        for name in names:
            runs[name].append(run(name, path))
    peer, ours = _median(runs["peer-markov"]), _median(runs["demandos-markov"])
    h_peer, h_ours = _median(runs["peer-heuristics"]), _median(runs["demandos-heuristics"])
    size = path.stat().st_size / 1e6
    print(f"\n{journeys:,} journeys, {ours['touches']:,} touches, {peer['paths']:,} distinct "
          f"paths ({size:,.0f} MB Parquet); the median of {repeat} runs each")  # fmt: skip
    print(f"  {'':<50}{'read s':>8}{'model s':>8}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}"
          f"{'load':>6}{'ratio':>9}")  # fmt: skip
    print(_row("peer Markov (DuckDB paths + CA markov_model)", peer, peer["wall"]))
    print(_row("demandos exact Markov, order 1", ours, peer["wall"]))
    if tight:
        t = run("peer-markov-tight", path)
        print(_row("peer Markov at conv_par=0.01 (one run)", t, t["wall"]))
        print(f"  {'':<50}demandos {t['wall'] / ours['wall']:.1f}x faster than this; its largest "
              f"error per channel {_worst(ours['credit'], t['credit']):.1%}")  # fmt: skip
    print(_row("peer heuristics (DuckDB paths + heuristic_models)", h_peer, h_peer["wall"]))
    print(_row("demandos all 7 heuristics, one pass", h_ours, h_peer["wall"]))

    def spread(a: str, b: str) -> str:
        ratios = sorted(p["wall"] / o["wall"] for p, o in zip(runs[a], runs[b], strict=True))
        return " / ".join(f"{r:.1f}x" for r in ratios)

    print(f"  → Markov {peer['wall'] / ours['wall']:.1f}x faster end to end (runs: "
          f"{spread('peer-markov', 'demandos-markov')}; CPU seconds "
          f"{peer['cpu'] / ours['cpu']:.1f}x); the peer's largest error per channel against the "
          f"exact answer: {_worst(ours['credit'], peer['credit']):.1%}")  # fmt: skip
    for model in ("first", "last", "linear"):
        mine, theirs = h_ours["credit"][model], h_peer["credit"][model]
        diff = max(abs(mine[c] - theirs[c]) for c in mine)
        if diff > 1e-6 * max(1.0, sum(mine.values())):
            raise SystemExit(f"{model}: demandos and ChannelAttribution differ by {diff}")
    print(f"  → heuristics {h_peer['wall'] / h_ours['wall']:.1f}x faster (runs: "
          f"{spread('peer-heuristics', 'demandos-heuristics')}); first, last and linear equal "
          "ChannelAttribution's")  # fmt: skip
    if orders:
        o = run("demandos-orders", path)
        print(f"  demandos Markov after the read ({o['read']:.2f} s): order 1 {o['order1']:.2f} s, "
              f"order 2 {o['order2']:.2f} s, order 3 {o['order3']:.2f} s; peak "
              f"{o['peak_mb']:,.0f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--orders", action="store_true", help="time Markov of order 2 and 3")
    parser.add_argument("--tight", action="store_true", help="also run the peer at conv_par=0.01")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each case (the median)")
    parser.add_argument("--case")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.case:
        child(args.case, args.file)
        return
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for n in args.journeys:
        report(n, args.orders, args.tight, args.repeat)


if __name__ == "__main__":
    main()
