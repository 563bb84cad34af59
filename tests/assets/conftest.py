"""The hand-made asset library in a real store, embedded and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demandos.store import FactStore
from metrics.fixture import open_store

from .fixture import load


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    facts = load(open_store(request.param, tmp_path / ".demandos", request))
    yield facts
    facts.close()
