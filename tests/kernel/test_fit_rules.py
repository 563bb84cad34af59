"""Technologies, any account field and departments in kernel.yaml's fit rules, by hand, on every
store backend; and the checks that keep those rules well-formed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from demandos.kernel import NO_PERSONA, NO_SEGMENT, account_segments, person_personas
from demandos.kernel.fit import fit_report
from demandos.spec.kernel import FitRules, KernelSpec, Persona
from demandos.store import FactStore
from metrics.fixture import BACKENDS, KERNEL, batch, open_store

DAY = datetime(2026, 3, 1)

RULES = KernelSpec.model_validate({
    "positioning": KERNEL.positioning.model_dump(),
    "segments": [
        {"id": "netsuite_io", "name": "NetSuite shops on .io", "rules": {
            "technologies": ["netsuite", "sage *"],
            "fields": {"domain": ["*.io"]},
        }},
        {"id": "new_2025", "name": "Created in 2025", "rules": {
            "fields": {"created_at": {"min": "2025-01-01", "max": "2025-12-31"}},
        }},
    ],
    "personas": [
        {"id": "ap_clerk", "name": "AP", "titles": ["*payable*"], "departments": ["accounting"]},
        {"id": "finance", "name": "Finance", "departments": ["finance*"]},
    ],
    "pillars": [{"id": "p", "name": "P", "message": "m"}],
})  # fmt: skip

ACCOUNTS: dict[str, tuple[dict[str, Any], str]] = {
    # technologies: at least one matches a pattern, ignoring case; and the domain pattern
    "ns": ({"technologies": ["Salesforce", " NetSuite "], "domain": "a.io"}, "netsuite_io"),
    "sage": ({"technologies": ["Sage Intacct"], "domain": "b.IO"}, "netsuite_io"),
    "sage_bare": ({"technologies": ["Sage"], "domain": "c.io"}, NO_SEGMENT),  # 'sage *' wants more
    "wrong_domain": ({"technologies": ["NetSuite"], "domain": "d.com"}, NO_SEGMENT),
    "no_tech": ({"technologies": [], "domain": "e.io"}, NO_SEGMENT),
    "null_tech": ({"domain": "f.io"}, NO_SEGMENT),
    # 'sage *' may not run across two items: "Sage" then "Bill" is not "Sage Bill"
    "two_items": ({"technologies": ["Sage", "Bill"], "domain": "g.io"}, NO_SEGMENT),
    # a timestamp against a date range is compared by its day, both ends inclusive
    "first_day": ({"created_at": datetime(2025, 1, 1, 0, 0)}, "new_2025"),
    "last_day": ({"created_at": datetime(2025, 12, 31, 23, 59)}, "new_2025"),
    "after": ({"created_at": datetime(2026, 1, 1, 0, 0)}, NO_SEGMENT),
    "before": ({"created_at": datetime(2024, 12, 31, 23, 59)}, NO_SEGMENT),
    "undated": ({}, NO_SEGMENT),
}

PEOPLE: dict[str, tuple[str | None, str | None, str]] = {
    "ap": ("Accounts Payable Manager", "Accounting", "ap_clerk"),  # title and department
    "ap_ops": ("Accounts Payable Manager", "Operations", NO_PERSONA),  # department fails
    "ap_unknown": ("Accounts Payable Manager", None, NO_PERSONA),  # no department: no match
    "fin": ("Analyst", " FINANCE & Strategy", "finance"),  # departments only, any title
    "fin_untitled": (None, "Finance", "finance"),  # no title needed where titles are not set
    "nobody": ("Engineer", "Engineering", NO_PERSONA),
}


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    facts = open_store(request.param, tmp_path / ".demandos", request)
    accounts = [
        {"account_id": a, "name": a, "domain": None, "technologies": None,
         "created_at": None, **fields}
        for a, (fields, _) in ACCOUNTS.items()
    ]  # fmt: skip
    people = [
        {"person_id": p, "title": title, "department": department, "created_at": DAY}
        for p, (title, department, _) in PEOPLE.items()
    ]
    with facts.transaction(source="test") as tx:
        tx.load("accounts", batch("accounts", accounts))
        tx.load("people", batch("people", people))
    yield facts
    facts.close()


def _pairs(table: Any, key: str, value: str) -> dict[str, str]:
    return {r[key]: r[value] for r in table.to_pyarrow().to_pylist()}


def test_technologies_and_any_field_by_hand(store: FactStore) -> None:
    got = _pairs(account_segments(store.table("accounts"), RULES), "account_id", "segment")
    assert got == {a: segment for a, (_, segment) in ACCOUNTS.items()}


def test_departments_by_hand(store: FactStore) -> None:
    got = _pairs(person_personas(store.table("people"), RULES), "person_id", "persona")
    assert got == {p: persona for p, (*_, persona) in PEOPLE.items()}


def test_the_fit_report_names_technologies_and_fields(store: FactStore) -> None:
    report = fit_report(store.table("accounts"), store.table("people"), RULES)
    by_id = {a.account_id: a for a in report.accounts}
    wrong = by_id["wrong_domain"]
    assert (wrong.closest, wrong.matched, wrong.failed) == (
        "netsuite_io",
        ("technologies",),
        ("domain",),
    )
    assert wrong.score == pytest.approx(0.5)
    first = by_id["first_day"]
    assert (first.segment, first.matched, first.failed, first.score) == (
        "new_2025",
        ("created_at",),
        (),
        1.0,
    )
    people = {p.person_id: p for p in report.people}
    assert (people["fin"].department, people["fin"].persona) == (" FINANCE & Strategy", "finance")


def test_a_persona_needs_a_title_or_a_department() -> None:
    with pytest.raises(ValidationError, match="no title or department pattern"):
        Persona.model_validate({"id": "x", "name": "X"})


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"fields": {"employees": {"min": 5}}}, "has a rule of its own"),
        ({"fields": {"country": ["US"]}}, "'country' has a rule of its own"),
        ({"fields": {"created_at": {}}}, "a range needs min, max or both"),
        ({"fields": {"created_at": {"min": "2025-01-01", "max": 3}}}, "not both numbers or both"),
        ({"fields": {"created_at": {"min": "2025-02-01", "max": "2025-01-01"}}}, "is below min"),
    ],
)
def test_malformed_field_rules_say_how_to_fix_them(rules: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FitRules.model_validate(rules)
