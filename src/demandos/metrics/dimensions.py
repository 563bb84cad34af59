"""Kernel dimensions for the engine: a read-only view of the fact store that adds them.

``by="segment"`` (or persona, pillar, asset_type) reads the facts through :class:`KernelView`:
its ``table(name)`` is the stored table plus the derived column (``_segment``…) that
:class:`demandos.kernel.KernelMap` computes, so components group by it like any column. Other
breakdowns read the store directly and pay for no join.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import ibis

from demandos.errors import StoreError
from demandos.kernel.mapping import KERNEL_DIMENSIONS, KernelMap
from demandos.spec.channels import ChannelsSpec
from demandos.spec.kernel import KernelSpec
from demandos.store.facts import FactStore, Loader, TableSummary


class KernelSpecs(Protocol):
    @property
    def kernel(self) -> KernelSpec: ...
    @property
    def channels(self) -> ChannelsSpec: ...


class KernelView(FactStore):
    """``facts`` read with the kernel dimension ``by`` added to every table that carries it."""

    def __init__(self, facts: FactStore, specs: KernelSpecs, by: str) -> None:
        super().__init__()
        self.facts, self.by = facts, by
        self.backend = facts.backend
        self.kernel, self.channels = specs.kernel, specs.channels

    @property
    def ibis_connection(self) -> Any:
        return self.facts.ibis_connection

    def _versions(self, name: str) -> ibis.Table:
        return self.facts.versions(name)

    def table(self, name: str, *, as_of: datetime | None = None) -> ibis.Table:
        mapping = KernelMap(self.kernel, self.channels, lambda n: self.facts.table(n, as_of=as_of))
        return mapping.add(name, self.facts.table(name, as_of=as_of), (self.by,))

    def derived(self, name: str, build: Callable[[FactStore], ibis.Table]) -> ibis.Table:
        """Built on the store itself: a derived table never holds a dimension of the specs."""
        return self.facts.derived(name, build)

    def summary(self) -> list[TableSummary]:
        return self.facts.summary()

    def refresh(self) -> bool:
        return self.facts.refresh()

    def _begin(self, *, source: str, batch: str) -> Loader:
        raise StoreError("the metrics' view of the fact store is read-only",
                         hint="load through the fact store itself")  # fmt: skip

    def _close(self) -> None:
        """The view owns no connection: closing it leaves the store open."""


def for_dimension(facts: FactStore, specs: KernelSpecs, by: str | None) -> FactStore:
    """The store to read for a breakdown by ``by``: a :class:`KernelView` for kernel dimensions."""
    if by in KERNEL_DIMENSIONS:
        return KernelView(facts, specs, by)
    if by == "channel":
        from demandos.metrics.channels import ChannelView

        return ChannelView(facts, specs)
    return facts
