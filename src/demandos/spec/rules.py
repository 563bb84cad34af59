"""The rules of the system, checked across spec files, and ``check_workspace``.

A rule is a function ``(specs) -> Iterable[Finding]`` registered under an id with ``@rule``.
The built-in rules live in ``demandos.spec.checks``; other packages register theirs the same way
and ``demandos check`` runs them all:

    @rule("assets.pillars_exist")
    def _assets_map_to_pillars(specs: Specs) -> Iterable[Finding]: ...
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

from demandos.errors import CheckReport, Finding
from demandos.spec.diagnostics import listing, render_path
from demandos.spec.specs import SPEC_FILES, Specs
from demandos.spec.yamlio import PathPart
from demandos.suggest import did_you_mean

RuleFn = Callable[[Specs], Iterable[Finding]]

_RULES: dict[str, RuleFn] = {}


def rule(rule_id: str) -> Callable[[RuleFn], RuleFn]:
    """Register a rule under ``rule_id``; its findings carry that id."""

    def register(fn: RuleFn) -> RuleFn:
        if rule_id in _RULES and _RULES[rule_id] is not fn:
            raise ValueError(f"a rule {rule_id!r} is already registered")
        _RULES[rule_id] = fn
        return fn

    return register


def registered_rules() -> dict[str, RuleFn]:
    """Every registered rule by id, the built-in ones included."""
    importlib.import_module("demandos.spec.checks")
    return dict(_RULES)


def run_rules(specs: Specs) -> list[Finding]:
    """Run every registered rule; findings are tagged with their rule id and sorted by place."""
    findings: list[Finding] = []
    for rule_id, fn in registered_rules().items():
        for finding in fn(specs):
            findings.append(
                dataclasses.replace(finding, rule=rule_id) if finding.rule == "spec" else finding
            )
    return sort_findings(findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """In file order (demandos.yaml, kernel.yaml, …, workflows/), then line."""
    order = {name: i for i, name in enumerate(SPEC_FILES)}

    def key(f: Finding) -> tuple[int, str, int, int]:
        loc = f.location
        return (order.get(loc.file, len(order)), loc.file, loc.line or 0, loc.column or 0)

    return sorted(findings, key=key)


def check_workspace(root: Path) -> CheckReport:
    """Everything `demandos check` reports: load and validate every file, then run the rules.

    The rules run only when every file loads, since they compare files with each other.
    """
    from demandos.spec.loader import load_specs  # the loader does not need the rules

    specs, findings = load_specs(root)
    if specs is not None:
        findings = findings + run_rules(specs)
    return CheckReport(sort_findings(findings))


# helpers for rules ------------------------------------------------------------------------


def finding(
    specs: Specs,
    file: str,
    path: Sequence[PathPart],
    message: str,
    hint: str | None = None,
    *,
    severity: str = "error",
) -> Finding:
    """A finding at ``path`` of ``file``, located by line and column."""
    return Finding(severity, specs.locate(file, path), render_path(path), message, hint)


def check_ref(
    specs: Specs,
    file: str,
    path: Sequence[PathPart],
    value: str | None,
    known: Collection[str],
    what: str,
    defined_in: str,
    *,
    plural: str | None = None,
) -> Finding | None:
    """An error when ``value`` is not among the ``known`` ids, with a did-you-mean."""
    if value is None or value in known:
        return None
    options = sorted(known)
    where = (
        f"{plural or what + 's'} in {defined_in}: {listing(options)}"
        if options
        else (f"{defined_in} defines none yet")
    )
    guess = did_you_mean(value, options)
    hint = f"{guess} ({where})" if guess else where
    return finding(specs, file, path, f"unknown {what} {value!r}", hint)


def check_refs(
    specs: Specs,
    file: str,
    path: Sequence[PathPart],
    values: Sequence[str],
    known: Collection[str],
    what: str,
    defined_in: str,
    *,
    plural: str | None = None,
) -> Iterable[Finding]:
    """``check_ref`` for each item of a list field."""
    for index, value in enumerate(values):
        found = check_ref(
            specs, file, (*path, index), value, known, what, defined_in, plural=plural
        )
        if found:
            yield found
