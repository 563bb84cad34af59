"""A bounded load test of the web app on loopback: N concurrent signed-in clients for T seconds
against the home page, a metric page and the API, with the static stylesheet as the baseline
(the server's floor: no data, no template) measured in the same run.

    .venv/bin/python bench/web_load.py [--workspace PATH] [--clients 50] [--seconds 30]

The workspace defaults to the large demo of bench/metrics_tree.py
(``/tmp/demandos-bench-large-seed7``, built with ``bench/metrics_tree.py --case build`` when
missing). The server runs in a process of its own (Uvicorn, one worker, as `demandos serve`);
its peak memory is read from /proc. Target: the home page's p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

LARGE = Path("/tmp/demandos-bench-large-seed7")
PASSWORD = "bench-password-123"
TODAY = "2026-11-23"
SERVER = """
import os, sys, uvicorn
os.environ["DEMANDOS_WORKSPACE"], os.environ["DEMANDOS_TODAY"] = sys.argv[1], sys.argv[2]
uvicorn.run("demandos.web.app:app_from_env", factory=True, workers=int(sys.argv[4]),
            host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    """The peak resident memory of ``pid`` and its children (the workers), summed."""
    total = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            total += int(line.split()[1]) / 1024
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        total += _peak_rss_mb(int(child))
    return total


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ensure_user(root: Path) -> None:
    from demandos.errors import DemandosError
    from demandos.web.users import Users
    from demandos.workspace import Workspace

    with Workspace.open(root) as ws:
        users = Users(ws.log)
        try:
            users.add("bench", PASSWORD, "viewer")
        except DemandosError:
            users.set_password("bench", PASSWORD)


async def _client(
    base: str, paths: list[str], until: float, results: dict[str, list[float]], start: int
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        answer = await client.post("/login", data={"login": "bench", "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        i = start
        while time.perf_counter() < until:
            path = paths[i % len(paths)]
            i += 1
            began = time.perf_counter()
            response = await client.get(path)
            took = time.perf_counter() - began
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            results[path].append(took)


async def _run(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {p: [] for p in paths}
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(base, paths, until, results, k) for k in range(clients)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=LARGE)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--workers", type=int, default=1, help="Uvicorn worker processes")
    args = parser.parse_args()
    root = args.workspace
    if not (root / "demandos.yaml").is_file():
        print(f"building the large demo at {root} (bench/metrics_tree.py --case build) …")
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("metrics_tree.py")), "--case", "build"],
            check=True,
        )
    _ensure_user(root)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(root), TODAY, str(port), str(args.workers)]
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.5)
        period = args.period
        paths = ["/", f"/metrics/der?period={period}", f"/api/metrics?period={period}",
                 "/static/app.css"]  # fmt: skip
        with httpx.Client(base_url=base, timeout=600) as warm:  # the first reads compute
            warm.post("/login", data={"login": "bench", "password": PASSWORD})
            began = time.perf_counter()
            for path in paths:
                assert warm.get(path).status_code == 200, path
            first = time.perf_counter() - began
        load = os.getloadavg()[0]
        results = asyncio.run(_run(base, paths, args.clients, args.seconds))
        peak = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    total = sum(len(v) for v in results.values())
    print(f"workspace {root} · {args.workers} worker(s) · {args.clients} clients · "
          f"{args.seconds:.0f} s · load {load:.1f} "
          f"· first read of every page {first:.1f} s · {date.today()}")  # fmt: skip
    print(f"{'path':<34} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    floor = _percentile(results["/static/app.css"], 0.95)
    for path, times in results.items():
        ms = [t * 1000 for t in times]
        print(f"{path:<34} {len(ms):>9,} {len(ms) / args.seconds:>7.1f} "
              f"{statistics.median(ms):>8.1f} {_percentile(ms, 0.95):>8.1f} "
              f"{_percentile(ms, 0.99):>8.1f}")  # fmt: skip
    home = _percentile(results["/"], 0.95)
    print(f"all: {total / args.seconds:.1f} req/s; home p95 {home * 1000:.0f} ms "
          f"({home / floor:.1f}x the static file's p95); server peak memory {peak:,.0f} MB; "
          f"target home p95 < 200 ms: {'met' if home < 0.2 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
