"""Fixtures shared by the whole suite: a real PostgreSQL server and a local Spark session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_postgresql import factories
from pytest_postgresql.executors import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor

# pytest-xdist's workers set COLUMNS=80; the CLI's tables are tested as they print without a
# terminal (160 columns, cli/render.py), the way a serial run sees them
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[NoopExecutor]:
    """A PostgreSQL 15 server in a fresh data folder, for the whole session."""
    if not Path(PG_BIN, "initdb").exists():
        raise RuntimeError(
            f"PostgreSQL server binaries not found in {PG_BIN}: run scripts/test.sh, "
            "which installs them, or set PG_BIN"
        )
    run_dir = Path(f"/tmp/demandos-pgtest-{os.getpid()}")
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(run_dir, "postgres", "postgres")
    port = _free_port()
    data = run_dir / "data"
    subprocess.run(
        _as_postgres(
            [
                f"{PG_BIN}/initdb",
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            [
                f"{PG_BIN}/pg_ctl",
                "-D",
                str(data),
                "-w",
                "-l",
                f"{run_dir}/log",
                "-o",
                f"-p {port} -k {run_dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    executor = NoopExecutor(
        host="127.0.0.1", port=port, user="postgres", options="", dbname="tests"
    )
    try:
        with DatabaseJanitor(
            user="postgres",
            host="127.0.0.1",
            port=port,
            dbname=executor.template_dbname,
            as_template=True,
        ):
            yield executor
    finally:
        subprocess.run(
            _as_postgres([f"{PG_BIN}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(run_dir, ignore_errors=True)


postgresql = factories.postgresql("pg_server")  # a fresh database per test


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local Spark session for the whole run (starting one takes seconds)."""
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from demandos.store.spark import start_session

    root = tmp_path_factory.mktemp("spark") / "facts"  # a fresh warehouse folder beside it
    tiny = {  # the fixtures are a few rows: planning and code generation cost more than data
        "spark.sql.shuffle.partitions": "1",
        "spark.sql.codegen.wholeStage": "false",
    }
    session, started = start_session(master="local[2]", config=tiny, root=root)
    yield session
    if started:
        session.stop()


@pytest.fixture
def postgres_url(postgresql) -> str:  # type: ignore[no-untyped-def]
    """A SQLAlchemy/psycopg URL for a fresh database on the session's server."""
    info = postgresql.info
    return f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo company (`demandos demo PATH --size small --seed 7`), built once per
    session. Tests never open it: they take their own copy with ``copy_demo``."""
    from demandos.simulate.demo import build_demo

    root = tmp_path_factory.mktemp("demo-template") / "demo"
    build_demo(root, size="small", seed=7)
    return root


@pytest.fixture(scope="session")
def copy_demo(
    demo_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """A fresh copy of the demo company in a folder of its own (a copy takes a fraction of a
    second; building one takes most of a minute)."""

    def copy(name: str) -> Path:
        target = tmp_path_factory.mktemp(name) / "demo"
        shutil.copytree(demo_template, target)
        return target

    return copy
