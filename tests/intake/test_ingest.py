"""Workspace.ingest options: the source's time zone, folders, and the operating log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from demandos import Workspace
from demandos.simulate.company import write_company
from demandos.simulate.params import NORTHWIND

FIXTURES = Path(__file__).with_name("fixtures")


def created(tmp_path: Path, name: str, timezone: str | None) -> dict[str, object]:
    write_company(tmp_path / name, NORTHWIND)
    with Workspace.open(tmp_path / name) as ws:
        ws.ingest([FIXTURES / "hubspot_contacts.csv"], timezone=timezone)
        people = ws.facts.table("people").to_pyarrow().to_pylist()
        assert ws.log.loads()[-1].source == "hubspot_contacts"
    return {p["person_id"]: p["created_at"] for p in people}


def test_a_source_timezone_moves_times_into_the_workspace_zone(tmp_path: Path) -> None:
    local = created(tmp_path, "a", None)  # HubSpot writes the portal's zone: the workspace's
    utc = created(tmp_path, "b", "UTC")  # the portal runs on UTC: 4-5 hours earlier in New York
    assert local.keys() == utc.keys() and local
    for person, when in local.items():
        assert when - utc[person] in (timedelta(hours=4), timedelta(hours=5))
