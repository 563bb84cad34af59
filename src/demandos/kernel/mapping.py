"""Rows mapped to the kernel: the segment, persona, message pillar and asset type of each row.

Which canonical tables carry which kernel dimension, and how (:func:`carried`):

=============  ==========================================================================
dimension      where a row gets it
=============  ==========================================================================
segment        its account's segment (:mod:`demandos.kernel.fit`), the account being the
               row's ``account_id`` or, when that is empty, its person's account; rows
               without an account (spend, email sends, web sessions) take their program's
               segment from ``channels.yaml``
persona        its person's persona (people: their own title)
pillar         its asset's pillar, else its program's pillar (assets: their own pillar)
asset_type     its asset's type (assets: their own type)
=============  ==========================================================================

A program counts under the **first** segment and the first pillar it lists, so every row has
exactly one member and members add up to the total. Labels for rows the kernel does not cover:

- ``NO_SEGMENT`` / ``NO_PERSONA`` / ``NO_PILLAR``: the row's account, person, program or asset
  is known and maps to none (an account that fits no segment, a program of no segment, a
  program that is not in channels.yaml, an asset without a pillar);
- ``NO_ASSET``: a touch without an asset;
- null, shown as ``(unassigned)`` by the metrics: the row names no account, person, program or
  asset, or one the store does not hold — there is nothing to map.

Derived columns are named ``_segment``, ``_persona``, ``_pillar`` and ``_asset_type``
(:data:`COLUMNS`), so they never collide with a canonical column. Joins are made only for the
dimensions asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import ibis
import ibis.expr.types as ir

from demandos.kernel.fit import NO_SEGMENT, persona_of, segment_of
from demandos.spec.channels import ChannelsSpec
from demandos.spec.kernel import KernelSpec
from demandos.store.schema import TABLES

KERNEL_DIMENSIONS = ("segment", "persona", "pillar", "asset_type")
COLUMNS = {d: f"_{d}" for d in KERNEL_DIMENSIONS}
"""The column each kernel dimension is added as."""

NO_PILLAR = "(no pillar)"
"""The pillar of a row whose program and asset carry no message pillar."""
NO_ASSET = "(no asset)"
"""The asset type of a touch without an asset."""

Tables = Callable[[str], ir.Table]  # canonical table name -> its current rows


def carried(table: str) -> tuple[str, ...]:
    """The kernel dimensions rows of a canonical table can be broken down by."""
    columns = set(TABLES[table].column_names) if table in TABLES else set()
    out = []
    if table == "accounts" or columns & {"account_id", "program_id"}:
        out.append("segment")
    if table == "people" or "person_id" in columns:
        out.append("persona")
    if table == "assets" or columns & {"asset_id", "program_id"}:
        out.append("pillar")
    if table == "assets" or "asset_id" in columns:
        out.append("asset_type")
    return tuple(out)


def dimension_columns(table: str) -> dict[str, str]:
    """``{dimension: column}`` of the kernel dimensions a table carries (for components)."""
    return {d: COLUMNS[d] for d in carried(table)}


def _null() -> ir.StringValue:
    return ibis.null("string")


class KernelMap:
    """Adds kernel dimensions to canonical tables, reading accounts, people and assets
    through ``tables`` when a row needs them."""

    def __init__(self, kernel: KernelSpec, channels: ChannelsSpec, tables: Tables) -> None:
        self.kernel, self.channels, self.tables = kernel, channels, tables

    # -- programs: no join, one CASE over the programs of channels.yaml --------------------------

    def _program(self, program_id: ir.StringValue, pick: Callable[..., str | None],
                 none: str) -> ir.StringValue:  # fmt: skip
        cases = [(program_id == p.id, pick(p) or none) for p in self.channels.programs]
        return ibis.cases((program_id.isnull(), _null()), *cases, else_=none)

    def program_segment(self, program_id: ir.StringValue) -> ir.StringValue:
        """A program's first segment; NO_SEGMENT when it lists none or is not in channels.yaml."""
        return self._program(program_id, lambda p: p.segments[0] if p.segments else None,
                             NO_SEGMENT)  # fmt: skip

    def program_pillar(self, program_id: ir.StringValue) -> ir.StringValue:
        """A program's first pillar; NO_PILLAR when it lists none or is not in channels.yaml."""
        return self._program(program_id, lambda p: p.pillars[0] if p.pillars else None,
                             NO_PILLAR)  # fmt: skip

    # -- lookups ---------------------------------------------------------------------------------

    def _accounts(self) -> ir.Table:
        a = self.tables("accounts")
        return a.select(_k_account=a.account_id, _k_segment=segment_of(a, self.kernel.segments))

    def _people(self, persona: bool) -> ir.Table:
        p = self.tables("people")
        value = persona_of(p.title, self.kernel.personas, p.department) if persona else _null()
        return p.select(_k_person=p.person_id, _k_person_account=p.account_id, _k_persona=value)

    def _assets(self) -> ir.Table:
        a = self.tables("assets")
        return a.select(_k_asset=a.asset_id, _k_pillar=a.pillar.nullif(""), _k_type=a.type)

    # -- adding ----------------------------------------------------------------------------------

    def add(self, table: str, t: ir.Table, dims: Iterable[str]) -> ir.Table:
        """``t`` (rows of the canonical ``table``) with a column per kernel dimension it carries
        among ``dims``; other dimensions are ignored."""
        wanted = [d for d in dims if d in carried(table)]
        if not wanted:
            return t
        keep = list(t.columns)
        cols = set(keep)
        new: dict[str, ir.Value] = {}
        if table == "accounts":
            return t.mutate(**{COLUMNS["segment"]: segment_of(t, self.kernel.segments)})
        if table == "people" and "persona" in wanted:
            persona_value = persona_of(t.title, self.kernel.personas, t.department)
            t = t.mutate(**{COLUMNS["persona"]: persona_value})
            keep.append(COLUMNS["persona"])
        if table == "assets":
            pillar = ibis.coalesce(t.pillar.nullif(""), ibis.literal(NO_PILLAR))
            extra = {COLUMNS["pillar"]: pillar, COLUMNS["asset_type"]: t.type}
            return t.mutate(**{COLUMNS[d]: extra[COLUMNS[d]] for d in wanted})

        segment = "segment" in wanted
        via_person = "person_id" in cols and table != "people"
        if via_person and ("persona" in wanted or (segment and "account_id" in cols)):
            people = self._people("persona" in wanted)
            t = t.left_join(people, t.person_id == people._k_person).select(
                t, people._k_person_account, people._k_persona
            )
            if "persona" in wanted:
                new[COLUMNS["persona"]] = t._k_persona
        if segment and "account_id" in cols:
            key = t.account_id
            if "_k_person_account" in t.columns:
                key = ibis.coalesce(t.account_id, t._k_person_account)
            accounts = self._accounts()
            t = t.left_join(accounts, key == accounts._k_account).select(t, accounts._k_segment)
            new[COLUMNS["segment"]] = t._k_segment
        elif segment:
            new[COLUMNS["segment"]] = self.program_segment(t.program_id)

        if "asset_id" in cols and ({"pillar", "asset_type"} & set(wanted)):
            assets = self._assets()
            t = t.left_join(assets, t.asset_id == assets._k_asset).select(
                t, assets._k_asset, assets._k_pillar, assets._k_type
            )
            if "pillar" in wanted:
                known = t._k_asset.notnull().ifelse(ibis.literal(NO_PILLAR), _null())
                by_program = self.program_pillar(t.program_id) if "program_id" in cols else _null()
                new[COLUMNS["pillar"]] = ibis.coalesce(t._k_pillar, by_program, known)
            if "asset_type" in wanted:
                new[COLUMNS["asset_type"]] = t.asset_id.isnull().ifelse(
                    ibis.literal(NO_ASSET), t._k_type
                )
        elif "pillar" in wanted:
            new[COLUMNS["pillar"]] = self.program_pillar(t.program_id)

        return t.select(*keep, **new)
