"""Leads and deals by channel: the CRM's lead source mapped to the channels of channels.yaml.

Spend, email and touches carry a channel id (UTM rules and programs set it at intake). People and
opportunities carry what the CRM calls their source (``Paid Search``, ``Offline Sources / IMPORT``,
``Webinar``), so a breakdown by channel reads them through :class:`ChannelView`, which adds
``_channel``:

- a person: the first channel whose ``sources`` glob matches the lead source (any case), or whose
  id or name it equals; a value no channel claims is kept as it is, so it stays visible;
- an opportunity: its own source, mapped the same way; without one, the lead source of the first
  lead on its account in the ``LEAD_WINDOW_DAYS`` before the opportunity was created.

Mapping at read time means a change to channels.yaml applies to data already loaded.
"""

from __future__ import annotations

import re
from datetime import datetime

import ibis
import ibis.expr.types as ir

from demandos.metrics.dimensions import KernelSpecs, KernelView
from demandos.spec.channels import ChannelsSpec
from demandos.store.facts import FactStore

LEAD_WINDOW_DAYS = 180
"""How long before an opportunity a lead on its account can give it its channel."""
COLUMN = "_channel"


def _pattern(glob: str) -> str:
    body = re.escape(glob.strip().lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return f"^{body}$"


def _matches(low: ir.StringValue, glob: str) -> ir.BooleanValue:
    """Whether ``low`` (a lower-cased value) matches ``glob``: a comparison for a plain value or
    a prefix (``Paid Search*``), a regular expression only for other globs. Every row of
    people is mapped, and a comparison costs a fraction of a regular expression."""
    text = glob.strip().lower()
    plain = text.removesuffix("*")
    if "*" in plain or "?" in plain:
        return low.re_search(_pattern(glob))
    return low.startswith(plain) if plain != text else low == plain


def channel_of(value: ir.StringValue, channels: ChannelsSpec) -> ir.StringValue:
    """The channel id a CRM source value means (see the module doc), as an Ibis expression."""
    low = value.lower()
    cases: list[tuple[ir.BooleanValue, str]] = []
    for channel in channels.channels:
        cases.extend((_matches(low, g), channel.id) for g in channel.sources)
    for channel in channels.channels:
        cases.append((low == channel.id.lower(), channel.id))
        cases.append((low == channel.name.strip().lower(), channel.id))
    if not cases:
        return value
    return ibis.cases(*cases, else_=value)


class ChannelView(KernelView):
    """``facts`` read with ``_channel`` on people and opportunities."""

    def __init__(self, facts: FactStore, specs: KernelSpecs) -> None:
        super().__init__(facts, specs, "channel")
        self._built: dict[tuple[str, datetime | None], ibis.Table] = {}

    def table(self, name: str, *, as_of: datetime | None = None) -> ibis.Table:
        """The table, built once per view: a metric tree reads people and opportunities by
        name many times, and building the mapping takes longer than some of those reads."""
        if (name, as_of) not in self._built:
            self._built[name, as_of] = self._build(name, as_of)
        return self._built[name, as_of]

    def _build(self, name: str, as_of: datetime | None) -> ibis.Table:
        t = self.facts.table(name, as_of=as_of)
        if name == "people":
            return t.mutate(**{COLUMN: channel_of(t.lead_source, self.channels)})
        if name != "opportunities":
            return t
        p = self.facts.table("people", as_of=as_of)
        p = p.filter(p.account_id.notnull(), p.lead_at.notnull(), p.lead_source.notnull())
        leads = p.select(_l_account=p.account_id, _l_at=p.lead_at, _l_source=p.lead_source)
        unsourced = t.filter(t.source.isnull(), t.account_id.notnull())
        j = unsourced.join(leads, unsourced.account_id == leads._l_account)
        j = j.filter(
            j._l_at <= j.created_at, j._l_at >= j.created_at - ibis.interval(days=LEAD_WINDOW_DAYS)
        )
        first = j.group_by(_l_opp=j.opp_id).aggregate(_l_first=j._l_source.argmin(j._l_at))
        t = t.left_join(first, t.opp_id == first._l_opp).select(t, first._l_first)
        mapped = channel_of(ibis.coalesce(t.source, t._l_first), self.channels)
        return t.mutate(**{COLUMN: mapped}).drop("_l_first")
