"""Fixtures for the fact store: one real store per backend, and small hand-made batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_helpers import BACKENDS

from demandos.store import FactStore, open_facts


def open_store(request: pytest.FixtureRequest, tmp_path: Path, **kwargs: Any) -> FactStore:
    """A store of the backend the test is parametrized with (``request.param``)."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        return open_facts(tmp_path / ".demandos", backend="postgres", url=url, **kwargs)
    return open_facts(tmp_path / ".demandos", **kwargs)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    with open_store(request, tmp_path) as s:
        yield s


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Opens more stores on the same data (another process would do the same)."""
    opened: list[FactStore] = []

    def factory(**kwargs: Any) -> FactStore:
        s = open_store(request, tmp_path, **kwargs)
        opened.append(s)
        return s

    yield factory
    for s in opened:
        s.close()
