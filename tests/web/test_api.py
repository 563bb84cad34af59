"""The REST API answers with the core's numbers and records what it is sent."""

from __future__ import annotations

import pytest

from demandos.workspace import Workspace

from .conftest import TODAY, Served, sign_in

pytestmark = pytest.mark.slow


def test_the_metric_tree_is_the_engines(served: Served) -> None:
    with sign_in(served, "vic") as client:
        body = client.get("/api/metrics", params={"period": "2026-10"}).json()
        der = client.get("/api/metrics/der", params={"period": "2026-10"}).json()
    with Workspace.open(served.root) as ws:
        table = ws.metrics("2026-10", today=TODAY)
    assert body["period"] == "2026-10"
    top = body["metrics"][0]
    assert top["id"] == "der"
    assert top["value"] == pytest.approx(table.get("der").value, rel=1e-12)
    flat: dict[str, float | None] = {}

    def walk(node: dict[str, object]) -> None:
        flat[str(node["id"])] = node["value"]  # type: ignore[assignment]
        for child in node["children"]:  # type: ignore[attr-defined]
            walk(child)

    for node in body["metrics"]:
        walk(node)
    engine = {r.metric: r.value for r in table.totals()}
    assert set(flat) == set(engine)
    for metric, value in engine.items():  # DuckDB may sum in another order: the last bits differ
        assert flat[metric] == (None if value is None else pytest.approx(value, rel=1e-12)), metric
    assert der["metric"]["value"] == pytest.approx(table.get("der").value, rel=1e-12)
    drivers = der["explanation"]["drivers"]
    assert sum(d["contribution"] for d in drivers) == pytest.approx(
        der["explanation"]["value"] - der["explanation"]["before"], rel=1e-9
    )


def test_actions_and_decisions_round_trip(served: Served) -> None:
    with sign_in(served, "priya") as client:
        made = client.post(
            "/api/actions",
            json={"title": "Cut Meta retargeting by 20%", "owner": "diego", "due": "2026-11-27",
                  "metric": "cpl"},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        action = made.json()
        done = client.post(f"/api/actions/{action['id']}/complete").json()
        again = client.post(f"/api/actions/{action['id']}/complete").json()
        decision = client.post(
            "/api/decisions",
            json={"title": "Hold paid social flat", "owner": "maya", "metric": "der",
                  "ritual": "monday_review", "period": "2026-W48"},
        )  # fmt: skip
        assert decision.status_code == 201, decision.text
        listed = client.get("/api/actions", params={"owner": "diego"}).json()
    assert (action["owner"], action["due"], action["metric_id"]) == ("diego", "2026-11-27", "cpl")
    assert done["status"] == "done" and again["warnings"]
    with Workspace.open(served.root) as ws:
        stored = [a for a in ws.cadence_log.list_actions(owner="diego") if a.id == action["id"]]
        decisions = ws.cadence_log.list_decisions(ritual="monday_review", period="2026-W48")
    assert [a.status for a in stored] == ["done"]
    assert [a["id"] for a in listed if a["id"] == action["id"]] == [action["id"]]
    assert [d.title for d in decisions] == ["Hold paid social flat"]


def test_a_review_pack_as_markdown_and_the_proposals(served: Served) -> None:
    with sign_in(served, "vic") as client:
        md = client.get("/api/reviews/monday_review", params={"period": "2026-W44",
                                                             "format": "md"})  # fmt: skip
        proposals = client.get("/api/kernel/proposals", params={"period": "2026-Q3"}).json()
        rituals = client.get("/api/reviews").json()["rituals"]
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "## North star" in md.text
    assert [p["target"] for p in proposals["proposals"]] == ["mid_market_finance"]
    assert proposals["proposals"][0]["evidence"][0].startswith("average deal size")
    assert {r["kind"] for r in rituals} >= {"weekly_review", "qbr", "strategy_refresh"}


def test_the_openapi_spec_lists_the_api(served: Served) -> None:
    with sign_in(served, "vic") as client:
        spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/metrics", "/api/actions", "/api/decisions", "/api/reviews/{ritual}",
            "/api/kernel/proposals", "/api/assets", "/api/ingest"} <= paths  # fmt: skip
    assert not any(p.startswith(("/login", "/actions")) for p in paths)  # pages stay out


def test_a_load_by_another_process_is_seen_at_once(served: Served) -> None:
    from datetime import datetime

    from metrics.fixture import batch

    with sign_in(served, "vic") as client:
        before = client.get("/api/metrics", params={"period": "2026-10"}).json()
        with Workspace.open(served.root) as ws:  # as `demandos load` would, beside the app
            ws.facts.load("opportunities", batch("opportunities", [
                {"opp_id": "web-test-opp", "account_id": None, "created_at":
                 datetime(2026, 10, 15, 10), "stage": "discovery", "amount": 123_456.0,
                 "is_closed": False, "is_won": False},
            ]))  # fmt: skip
        after = client.get("/api/metrics", params={"period": "2026-10"}).json()

    def pipeline(body: dict[str, object]) -> float:
        def find(nodes: list[dict[str, object]]) -> float | None:
            for node in nodes:
                if node["id"] == "pipeline_created":
                    return float(node["value"])  # type: ignore[arg-type]
                found = find(node["children"])  # type: ignore[arg-type]
                if found is not None:
                    return found
            return None

        value = find(body["metrics"])  # type: ignore[arg-type]
        assert value is not None
        return value

    assert pipeline(after) - pipeline(before) == pytest.approx(123_456.0)


def test_the_kernel_diff_page_shows_what_changed(served: Served) -> None:
    with Workspace.open(served.root) as ws:
        kv = ws.kernel_versions
        first = kv.publish("the kernel as the team wrote it", by="maya").item.version
        path = served.root / "kernel.yaml"
        path.write_text(path.read_text().replace(
            "category: Accounts-payable automation", "category: AP automation"
        ))  # fmt: skip
        second = kv.publish("shorter category", by="maya").item.version
    with sign_in(served, "vic") as client:
        page = client.get("/kernel/diff", params={"a": first, "b": second})
        missing = client.get("/kernel/diff", params={"a": 1, "b": 99})
    assert page.status_code == 200
    assert "Accounts-payable automation" in page.text and "AP automation" in page.text
    assert "category" in page.text
    assert missing.status_code == 400 and "v99" in missing.text
