"""`demandos serve` as a user runs it: its own process, one worker or several."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import PASSWORDS, Served, _free_port

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_with_one_or_several_workers(
    served: Served, workers: int, tmp_path: Path
) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "demandos.cli.main", "serve", str(served.root),
               "--port", str(port), "--today", "2026-11-23", "--workers", str(workers)]  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "demandos serve did not answer"
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=60) as client:
            answer = client.post("/login", data={"login": "vic", "password": PASSWORDS["vic"]})
            assert answer.status_code == 303
            # every worker reads the same store and log: each request may land on either
            for _ in range(2 * workers):
                page = client.get("/", params={"period": "2026-10"})
                assert page.status_code == 200 and "Metric tree · 2026-10" in page.text
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert Path(served.root / "demandos.yaml").is_file()
