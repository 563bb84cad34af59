"""The rule registry: built-in rules are registered, and other packages can add theirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demandos.errors import Finding
from demandos.spec import Specs, check_workspace, load_specs_or_raise, registered_rules, rule
from demandos.spec import rules as rules_module
from demandos.spec.rules import finding, sort_findings

from .conftest import Edit

BUILT_IN = {
    "unique_ids",
    "people_exist",
    "team",
    "metric_tree",
    "metric_formulas",
    "programs_on_kernel",
    "kernel_refs",
    "stack_processes",
    "workflows",
    "cadence",
    "store_credentials",
}


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules a test registers are gone after it."""
    monkeypatch.setattr(rules_module, "_RULES", dict(registered_rules()))


def test_built_in_rules_are_registered() -> None:
    assert set(registered_rules()) >= BUILT_IN


@pytest.mark.parametrize("rule_id", sorted(BUILT_IN))
def test_each_built_in_rule_passes_on_the_starter(workspace: Path, rule_id: str) -> None:
    specs = load_specs_or_raise(workspace)
    assert list(registered_rules()[rule_id](specs)) == []


@pytest.mark.usefixtures("clean_registry")
def test_a_registered_rule_runs_in_check(workspace: Path) -> None:
    @rule("test.every_metric_has_a_description")
    def _described(specs: Specs) -> Iterator[Finding]:
        for i, m in enumerate(specs.metrics.metrics):
            if not m.description:
                yield finding(
                    specs,
                    "metrics.yaml",
                    ("metrics", i),
                    f"{m.id} has no description",
                    severity="warning",
                )

    report = check_workspace(workspace)
    assert report.ok
    found = [f for f in report.warnings if f.rule == "test.every_metric_has_a_description"]
    assert [f.message for f in found] == [
        "leads has no description",
        "mqls has no description",
        "cpl has no description",
        "ctr has no description",
        "email_click_rate has no description",
    ]
    assert all(f.location.file == "metrics.yaml" and f.location.line for f in found)


@pytest.mark.usefixtures("clean_registry")
def test_rule_ids_are_unique() -> None:
    def first(specs: Specs) -> list[Finding]:
        return []

    def second(specs: Specs) -> list[Finding]:
        return []

    rule("test.once")(first)
    rule("test.once")(first)  # registering the same function again is harmless
    with pytest.raises(ValueError, match="already registered"):
        rule("test.once")(second)


def test_rules_do_not_run_when_a_file_fails_to_load(workspace: Path, edit: Edit) -> None:
    edit("team.yaml", "people:", "peeple:")
    edit("metrics.yaml", "owner: jonas", "owner: nobody")
    report = check_workspace(workspace)
    assert {f.rule for f in report.findings} == {"schema"}
    assert [(f.field, f.hint) for f in report.errors] == [("peeple", "did you mean 'people'?")]


def test_findings_are_sorted_by_file_then_line() -> None:
    def at(file: str, line: int) -> Finding:
        from demandos.errors import Location

        return Finding("error", Location(file, line), "", "x")

    unsorted = [
        at("workflows/a.yaml", 1),
        at("metrics.yaml", 9),
        at("demandos.yaml", 3),
        at("metrics.yaml", 2),
    ]
    assert [(f.location.file, f.location.line) for f in sort_findings(unsorted)] == [
        ("demandos.yaml", 3),
        ("metrics.yaml", 2),
        ("metrics.yaml", 9),
        ("workflows/a.yaml", 1),
    ]
