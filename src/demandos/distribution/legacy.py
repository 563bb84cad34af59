"""What campaigns and launches leave behind: the "starting from scratch" cost.

A campaign or launch that ended (in the ``ENDED_WITHIN_DAYS`` before the day measured to)
either left something the next one starts from, or not:

- an **asset**: an asset its touches used while it ran is touched again in the ``LEGACY_DAYS``
  after its end (up to the day measured to);
- an **audience**: at least ``LEGACY_AUDIENCE`` of the people its touches reached while it ran
  are touched on an owned channel in those days.

One that left neither *started from scratch*: its reach stopped when it did. One whose touches
reached nobody and used no asset is unknown (``from_scratch`` None). The systems audit
(``rollout.failures``) and the distribution report read this one computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import ibis

from demandos.metrics.components import in_period
from demandos.spec.channels import ChannelsSpec, Program
from demandos.store.facts import FactStore

LEGACY_DAYS = 90
"""Days after a campaign's end in which its assets and audience are looked for."""
LEGACY_AUDIENCE = 0.10
"""The share of the people a campaign reached still reached on owned channels after it ended
for it to have left an audience."""
ENDED_WITHIN_DAYS = 365
"""Campaigns that ended longer ago than this before the day measured to are left out."""


@dataclass(frozen=True)
class Legacy:
    """What an ended campaign or launch left behind."""

    program: str
    name: str
    kind: str
    owner: str
    start: date
    end: date
    after_days: int  # days after its end that were looked at (up to LEGACY_DAYS)
    reached: int  # people its touches reached while it ran
    kept: int  # of those, people touched on an owned channel after it ended
    assets: int  # assets its touches used
    assets_kept: int  # of those, assets touched again after it ended

    @property
    def kept_share(self) -> float | None:
        return self.kept / self.reached if self.reached else None

    @property
    def left_asset(self) -> bool:
        return self.assets_kept > 0

    @property
    def left_audience(self) -> bool:
        share = self.kept_share
        return share is not None and share >= LEGACY_AUDIENCE

    @property
    def from_scratch(self) -> bool | None:
        """True when it left neither; None when nothing says whom it reached."""
        if not self.reached and not self.assets:
            return None
        return not self.left_asset and not self.left_audience


@dataclass
class Scratch:
    ended: list[Legacy] = field(default_factory=list)
    running: list[str] = field(default_factory=list)  # campaigns still running at the audit
    undated: list[str] = field(default_factory=list)  # launches without an end date
    older: list[str] = field(default_factory=list)  # ended over ENDED_WITHIN_DAYS before

    @property
    def from_scratch(self) -> list[Legacy]:
        return [p for p in self.ended if p.from_scratch]

    @property
    def known(self) -> list[Legacy]:
        """The ended campaigns whose touches say whom they reached."""
        return [p for p in self.ended if p.from_scratch is not None]

    @property
    def present(self) -> bool | None:
        if not self.known:
            return None
        return bool(self.from_scratch)


def legacies(channels: ChannelsSpec, facts: FactStore, until: date) -> Scratch:
    """What each campaign and launch that ended before ``until`` (exclusive, the day measured
    to) left behind (see the module doc)."""
    out = Scratch()
    owned = sorted(c.id for c in channels.channels if c.type == "owned")
    for program in channels.programs:
        if program.kind == "always_on":
            continue
        if program.end is None:
            out.undated.append(program.id)
        elif program.end >= until:
            out.running.append(program.id)
        elif program.end < until - timedelta(days=ENDED_WITHIN_DAYS):
            out.older.append(program.id)
        else:
            out.ended.append(legacy(facts, program, owned, until))
    return out


def legacy(facts: FactStore, program: Program, owned: list[str], until: date) -> Legacy:
    """What ``program`` (ended before ``until``) left: people and assets it reached and kept."""
    assert program.start is not None and program.end is not None
    t = facts.table("touchpoints")
    over = program.end + timedelta(days=1)
    stop = min(over + timedelta(days=LEGACY_DAYS), until)
    ran = t.filter(t.program_id == program.id, in_period(t.ts, "timestamp", program.start, over))
    later = t.filter(in_period(t.ts, "timestamp", over, stop))
    people = ran.filter(ran.person_id.notnull()).select("person_id").distinct()
    assets = ran.filter(ran.asset_id.notnull()).select("asset_id").distinct()
    on_owned = later.filter(later.channel.isin(owned)) if owned else later.limit(0)
    kept_ids = on_owned.select(kept_id=on_owned.person_id).distinct()
    kept = people.join(kept_ids, people.person_id == kept_ids.kept_id)
    used = later.select(used_id=later.asset_id).distinct()
    reused = assets.join(used, assets.asset_id == used.used_id)

    def n(expr: ibis.Table) -> int:
        return int(expr.count().to_pyarrow().as_py())

    return Legacy(
        program.id, program.name, program.kind, program.owner, program.start, program.end,
        max(0, (stop - over).days), n(people), n(kept), n(assets), n(reused),
    )  # fmt: skip
