"""Each failure mode is present on the healthy company broken to trigger it, names what triggers
it, and is absent on the healthy company (tests/rollout/test_audit.py checks that part for all
five together)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from demandos.rollout import audit
from demandos.workspace import Workspace

from .fixture import QUARTER, TODAY, build, copy, edit, item
from .test_audit import _heroic, _one_off_campaign

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("modes") / "healthy")


def _tool_first(root: Path) -> None:
    def change(data: Any) -> None:
        item(data["tools"], "canva")["processes"] = []
        item(data["tools"], "notion")["processes"] = ["brainstorms"]

    edit(root, "stack.yaml", change)


def _vanity(root: Path) -> None:
    edit(root, "metrics.yaml", lambda d: item(d["metrics"], "ctr").pop("parent"))


def _missing_owner(root: Path) -> None:
    edit(root, "channels.yaml", lambda d: item(d["programs"], "close_notes").update(owner="ghost"))


def _role_owner(root: Path) -> None:
    edit(root, "stack.yaml", lambda d: item(d["tools"], "ga4").update(owner="marketing_ops"))


MODES: dict[str, tuple[str, Callable[[Path], None], list[str]]] = {
    # case: (failure mode, the break, details it must show)
    "heroic": ("heroic_campaign", _heroic, ["linkedin_controllers", "best week 2026-W33"]),
    "tool_first": (
        "tool_first",
        _tool_first,
        [
            "canva (Canva Teams, owner priya, 30 USD/month): serves no process",
            "notion (Notion, owner maya, 30 USD/month): serves 'brainstorms', neither a workflow "
            "nor a ritual",
        ],
    ),
    "vanity": ("vanity_metrics", _vanity, ["ctr (owner maya): has no parent"]),
    "missing_owner": (
        "ownership",
        _missing_owner,
        ["program close_notes: 'ghost' is not in team.yaml"],
    ),
    "shared_owner": (
        "ownership",
        _role_owner,
        ["tool ga4: owned by the role 'marketing_ops'"],
    ),
    "scratch": (
        "starting_from_scratch",
        _one_off_campaign,
        ["one_off (campaign, 2026-04-01 to 2026-04-30, owner maya): reached 10 people"],
    ),
}


@pytest.mark.parametrize("case", list(MODES))
def test_each_failure_mode_fires_on_a_fixture_built_to_trigger_it(
    case: str, healthy: Path, tmp_path: Path
) -> None:
    mode, breaks, shows = MODES[case]
    root = copy(healthy, tmp_path / case)
    breaks(root)
    with Workspace.open(root) as ws:
        report = audit(ws, QUARTER, today=TODAY)
    found = report.failure(mode)
    assert found.present is True, found.summary
    for text in shows:
        assert any(text in line for line in found.details), (text, found.details)
    others = {m.id for m in report.failure_modes if m.present} - {mode}
    assert not others  # the break triggers its own failure mode only
