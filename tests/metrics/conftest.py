"""Fixtures for the metric tests: the hand-made company in a real store, per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demandos.store import FactStore

from .fixture import BACKENDS, load, open_store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    """The hand-made company, loaded into an embedded, a PostgreSQL or a Spark store."""
    facts = load(open_store(request.param, tmp_path / ".demandos", request))
    yield facts
    facts.close()
