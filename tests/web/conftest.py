"""The web app served for real: Uvicorn on a loopback port, over a copy of the demo company,
with an admin, an editor and a viewer."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn

from demandos.web.app import create_app
from demandos.web.users import Users
from demandos.workspace import Workspace

TODAY = date(2026, 11, 23)  # the demo's data runs to 2026-10-31
PASSWORDS = {
    "maya": "maya-admin-pass-1",
    "priya": "priya-editor-pass-2",
    "vic": "vic-viewer-pass-3",
}
UPLOAD_LIMIT = 512 * 1024  # bytes: small, so a test can go over it
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DEMANDOS_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))


@dataclass(frozen=True)
class Served:
    url: str
    root: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def web_root(copy_demo: Callable[[str], Path]) -> Path:
    root = copy_demo("web")
    with Workspace.open(root) as ws:
        users = Users(ws.log)
        users.add("maya", PASSWORDS["maya"], "admin", person_id="maya")
        users.add("priya", PASSWORDS["priya"], "editor", person_id="priya")
        users.add("vic", PASSWORDS["vic"], "viewer")
    return root


@pytest.fixture(scope="session")
def served(web_root: Path) -> Iterator[Served]:
    app = create_app(web_root, today=TODAY, upload_limit=UPLOAD_LIMIT)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    yield Served(f"http://127.0.0.1:{port}", web_root)
    server.should_exit = True
    thread.join(timeout=30)


@contextmanager
def sign_in(served: Served, login: str) -> Iterator[httpx.Client]:
    """A client signed in as ``login``, sending the session's CSRF token as X-CSRF-Token."""
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=60) as client:
        answer = client.post("/login", data={"login": login, "password": PASSWORDS[login]})
        assert answer.status_code == 303, answer.text
        page = client.get("/actions")
        marker = 'name="csrf" value="'
        start = page.text.index(marker) + len(marker)
        client.headers["x-csrf-token"] = page.text[start : page.text.index('"', start)]
        yield client


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = ARTIFACTS / "web"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
