"""Leads and deals by channel: CRM lead sources mapped to channels.yaml, worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from demandos.metrics import compute
from demandos.metrics.components import UNASSIGNED
from demandos.spec.channels import ChannelsSpec
from demandos.store import FactStore

from .fixture import BACKENDS, load, open_store, specs, spend

CHANNELS = ChannelsSpec.model_validate({
    "channels": [
        {"id": "linkedin_ads", "name": "LinkedIn Ads", "type": "paid",
         "sources": ["Paid Social / LinkedIn", "linkedin*"]},
        {"id": "google_ads", "name": "Google Search Ads", "type": "paid",
         "sources": ["paid search*"]},
        {"id": "webinars", "name": "Webinars", "type": "owned", "sources": ["webinar*20?6"]},
    ],
})  # fmt: skip


def person(pid: str, account: str, lead: datetime, source: str | None) -> dict[str, Any]:
    return {"person_id": pid, "account_id": account, "created_at": lead, "lead_at": lead,
            "lead_source": source}  # fmt: skip


def opp(opp_id: str, account: str, created: datetime, amount: float,
        source: str | None) -> dict[str, Any]:  # fmt: skip
    return {"opp_id": opp_id, "account_id": account, "created_at": created, "amount": amount,
            "stage": "Open", "is_closed": False, "is_won": False, "source": source}  # fmt: skip


TABLES = {
    "people": [
        person("l1", "a1", datetime(2026, 3, 2), "Paid Social / LinkedIn"),
        person("l2", "a2", datetime(2026, 3, 3), "PAID SEARCH"),  # any case
        person("l3", "a3", datetime(2026, 3, 4), "webinars"),  # a channel's id
        person("l4", "a4", datetime(2026, 3, 5), "Trade show"),  # no channel claims it
        person("l5", "a1", datetime(2026, 3, 6), None),
        person("l6", "a5", datetime(2025, 1, 6), "LinkedIn Lead Gen"),  # too long before o5
        person("l7", "a6", datetime(2026, 3, 7), "Webinar: Close in Q1 2026"),  # * and ? inside
        # a glob without a wildcard is the whole value, not a prefix: no channel claims it
        person("l8", "a7", datetime(2026, 3, 8), "Paid Social / LinkedIn Retargeting"),
    ],
    "opportunities": [
        opp("o1", "a2", datetime(2026, 3, 10), 1000.0, "Paid Search"),  # its own source
        opp("o2", "a1", datetime(2026, 3, 11), 2000.0, None),  # a1's first lead, l1: LinkedIn
        opp("o3", "a4", datetime(2026, 3, 12), 4000.0, None),  # a4's lead: Trade show
        opp("o4", "a9", datetime(2026, 3, 13), 8000.0, None),  # no lead on a9
        opp("o5", "a5", datetime(2026, 3, 14), 16000.0, None),  # l6 is 14 months older
    ],
    "spend": [spend(date(2026, 3, 2), "linkedin_ads", "prog_b", 500.0, 1000, 10, 1)],
}


@pytest.fixture(params=BACKENDS)
def company(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    facts = load(open_store(request.param, tmp_path / ".demandos", request), TABLES)
    yield facts
    facts.close()


def tree() -> Any:
    ids = ("leads", "pipeline_created", "media_spend", "cpl")
    made = specs(*({"id": i, "name": i, "tier": 2, "owner": "ana", "builtin": i} for i in ids))
    return replace(made, channels=CHANNELS)


def test_lead_sources_and_deal_sources_map_to_channels(company: FactStore) -> None:
    table = compute(company, tree(), "2026-03", by="channel", today=date(2026, 6, 1))

    def by(metric: str) -> dict[str | None, float | None]:
        return {r.member: r.value for r in table.rows if r.metric == metric and r.member}

    assert by("leads") == {"linkedin_ads": 1.0, "google_ads": 1.0, "webinars": 2.0,
                           "Trade show": 1.0, "Paid Social / LinkedIn Retargeting": 1.0,
                           UNASSIGNED: 1.0}  # fmt: skip
    pipeline = by("pipeline_created")
    assert pipeline == {"google_ads": 1000.0, "linkedin_ads": 2000.0, "Trade show": 4000.0,
                        UNASSIGNED: 8000.0 + 16000.0}  # fmt: skip
    # the lead source now meets the spend of the same channel: CPL by channel is defined
    assert by("cpl")["linkedin_ads"] == 500.0
    assert table.get("leads").value == 7.0  # l6 led in 2025
