"""ICP segments and personas from kernel.yaml's rules, by hand, on every store backend."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demandos.kernel import (
    NO_PERSONA,
    NO_SEGMENT,
    account_segments,
    fit_checks,
    person_personas,
)
from demandos.spec.kernel import KernelSpec
from demandos.store import FactStore, open_facts
from metrics.fixture import BACKENDS, KERNEL, batch, open_store

DAY = datetime(2026, 3, 1)

# KERNEL's segments, in order: saas_mid (Software or SaaS, 50-500 employees, US or CA), fin_ent
# (financial services, revenue 100M or more), large (1,000 employees or more).
ACCOUNTS: dict[str, tuple[dict[str, Any], str]] = {
    "lo": ({"industry": "Software", "employees": 50, "country": "US"}, "saas_mid"),  # min inclusive
    "hi": ({"industry": "SaaS", "employees": 500, "country": "CA"}, "saas_mid"),  # max inclusive
    "over": ({"industry": "SaaS", "employees": 501, "country": "US"}, NO_SEGMENT),
    "under": ({"industry": "SaaS", "employees": 49, "country": "US"}, NO_SEGMENT),
    "case": ({"industry": "  sOfTwArE ", "employees": 100, "country": "us"}, "saas_mid"),
    "country": ({"industry": "Software", "employees": 100, "country": "DE"}, NO_SEGMENT),
    "no_country": ({"industry": "Software", "employees": 100}, NO_SEGMENT),
    "no_size": ({"industry": "Software", "country": "US"}, NO_SEGMENT),  # null employees
    "no_industry": ({"employees": 100, "country": "US"}, NO_SEGMENT),
    "bank": ({"industry": "FINANCIAL SERVICES", "annual_revenue": 1e8}, "fin_ent"),  # min incl.
    "small_bank": ({"industry": "Financial Services", "annual_revenue": 99_999_999.0}, NO_SEGMENT),
    # fits fin_ent and large: the first in kernel order wins
    "both": (
        {"industry": "Financial Services", "annual_revenue": 5e8, "employees": 5000},
        "fin_ent",
    ),
    "saas_big": ({"industry": "Software", "employees": 1000, "country": "US"}, "large"),
    "nothing": ({}, NO_SEGMENT),  # every field null
}

TITLES: dict[str, tuple[str | None, str]] = {
    # finance_lead: *controller*, head of finance*, cfo; marketing_lead: vp*marketing
    "c1": ("Controller", "finance_lead"),  # * matches nothing on both sides
    "c2": ("Senior Financial CONTROLLER, EMEA", "finance_lead"),
    "c3": ("  Head of Finance  ", "finance_lead"),  # surrounding spaces are ignored
    "c4": ("Deputy Head of Finance", NO_PERSONA),  # the pattern is anchored at the start
    "c5": ("cfo", "finance_lead"),
    "c6": ("CFO & COO", NO_PERSONA),  # no wildcard: the whole title must match
    "m1": ("VP Marketing", "marketing_lead"),
    "m2": ("vp, demand marketing", "marketing_lead"),
    "m3": ("VP Marketing Ops", NO_PERSONA),  # anchored at the end
    "both": ("VP Marketing Controller", "finance_lead"),  # matches both: kernel order wins
    "none": (None, NO_PERSONA),
    "empty": ("", NO_PERSONA),
}


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    facts = open_store(request.param, tmp_path / ".demandos", request)
    accounts = [{"account_id": a, "name": a, **fields} for a, (fields, _) in ACCOUNTS.items()]
    people = [{"person_id": p, "title": title, "created_at": DAY}
              for p, (title, _) in TITLES.items()]  # fmt: skip
    with facts.transaction(source="test") as tx:
        tx.load("accounts", batch("accounts", accounts))
        tx.load("people", batch("people", people))
    yield facts
    facts.close()


def _pairs(table: Any, key: str, value: str) -> dict[str, str]:
    return {r[key]: r[value] for r in table.to_pyarrow().to_pylist()}


def test_segments_by_hand(store: FactStore) -> None:
    got = _pairs(account_segments(store.table("accounts"), KERNEL), "account_id", "segment")
    assert got == {a: segment for a, (_, segment) in ACCOUNTS.items()}


def test_personas_by_hand(store: FactStore) -> None:
    got = _pairs(person_personas(store.table("people"), KERNEL), "person_id", "persona")
    assert got == {p: persona for p, (_, persona) in TITLES.items()}


def test_punctuation_in_patterns_is_literal(store: FactStore) -> None:
    kernel = KERNEL.model_copy(update={"personas": (
        KERNEL.personas[0].model_copy(update={"id": "dots", "titles": ("c.f.o*",)}),
        KERNEL.personas[0].model_copy(update={"id": "parens", "titles": ("*head (of) finance*",)}),
        KERNEL.personas[0].model_copy(update={"id": "anyone", "titles": ("*",)}),
    )})  # fmt: skip
    with store.transaction(source="test") as tx:
        tx.load("people", batch("people", [
            {"person_id": "d1", "title": "C.F.O. EMEA", "created_at": DAY},
            {"person_id": "d2", "title": "CxFxO EMEA", "created_at": DAY},  # . is a dot
            {"person_id": "d3", "title": "Acting head (of) finance", "created_at": DAY},
        ]))  # fmt: skip
    got = _pairs(person_personas(store.table("people"), kernel), "person_id", "persona")
    assert (got["d1"], got["d2"], got["d3"]) == ("dots", "anyone", "parens")
    assert got["none"] == NO_PERSONA  # "*" matches every title, but not a missing one
    assert got["empty"] == "anyone"


def test_fit_checks_name_each_rule(store: FactStore) -> None:
    accounts = store.table("accounts")
    saas = KERNEL.segments[0].rules
    checks = fit_checks(accounts, saas)
    assert list(checks) == ["industries", "employees", "countries"]
    rows = accounts.select(accounts.account_id, **checks).to_pyarrow().to_pylist()
    over = next(r for r in rows if r["account_id"] == "over")
    assert (over["industries"], over["employees"], over["countries"]) == (True, False, True)
    nothing = next(r for r in rows if r["account_id"] == "nothing")
    assert (nothing["industries"], nothing["employees"], nothing["countries"]) == (False,) * 3


def test_a_kernel_without_personas_or_rules() -> None:
    bare = KernelSpec.model_validate({
        "positioning": KERNEL.positioning.model_dump(),
        "segments": [{"id": "everyone", "name": "Everyone"}],
        "pillars": [{"id": "p", "name": "P", "message": "m"}],
    })  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        facts = open_facts(Path(tmp) / ".demandos")
        try:
            facts.load("accounts", batch("accounts", [{"account_id": "x", "name": "X"}]))
            facts.load("people", batch("people", [
                {"person_id": "y", "title": "CEO", "created_at": DAY}]))  # fmt: skip
            segments = _pairs(account_segments(facts.table("accounts"), bare), "account_id",
                              "segment")  # fmt: skip
            personas = _pairs(person_personas(facts.table("people"), bare), "person_id", "persona")
        finally:
            facts.close()
    assert segments == {"x": "everyone"}  # a segment without rules takes every account
    assert personas == {"y": NO_PERSONA}


# -- laws: the Ibis expressions agree with a plain-Python reading of the rules ------------------


def _reference_segment(account: dict[str, Any], kernel: KernelSpec) -> str:
    for segment in kernel.segments:
        r = segment.rules
        industry = (account.get("industry") or "").strip().lower()
        if r.industries and industry not in {i.strip().lower() for i in r.industries}:
            continue
        ok = True
        for field, bounds in (("employees", r.employees), ("annual_revenue", r.annual_revenue)):
            value = account.get(field)
            if bounds is not None and (
                value is None
                or (bounds.min is not None and value < bounds.min)
                or (bounds.max is not None and value > bounds.max)
            ):
                ok = False
        country = (account.get("country") or "").strip().upper()
        if ok and (not r.countries or country in r.countries):
            return segment.id
    return NO_SEGMENT


def _reference_persona(title: str | None, kernel: KernelSpec) -> str:
    for persona in kernel.personas:
        for pattern in persona.titles:
            regex = ".*".join(re.escape(p) for p in pattern.strip().lower().split("*"))
            if title is not None and re.fullmatch(regex, title.strip().lower()):
                return persona.id
    return NO_PERSONA


ACCOUNT = st.fixed_dictionaries({
    "industry": st.sampled_from(["Software", "saas", " SOFTWARE", "Financial Services", "Retail",
                                 None]),
    "employees": st.one_of(st.none(), st.sampled_from([0, 49, 50, 51, 499, 500, 501, 999, 1000])),
    "annual_revenue": st.one_of(st.none(), st.sampled_from([0.0, 99_999_999.0, 1e8, 1e9])),
    "country": st.sampled_from(["US", "us", "CA", "DE", None]),
})  # fmt: skip
TITLE = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["VP", "vp", "marketing", "Controller", "head of finance", "CFO",
                              ",", " ", "of", "ops", "."]), max_size=4).map("".join),
)  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACCOUNT, min_size=1, max_size=12), st.lists(TITLE, min_size=1, max_size=12))
def test_expressions_agree_with_the_rules(
    accounts: list[dict[str, Any]], titles: list[str | None]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        facts = open_facts(Path(tmp) / ".demandos")
        try:
            rows = [{"account_id": f"a{i}", "name": "n", **a} for i, a in enumerate(accounts)]
            people = [{"person_id": f"p{i}", "title": t, "created_at": DAY}
                      for i, t in enumerate(titles)]  # fmt: skip
            with facts.transaction(source="test") as tx:
                tx.load("accounts", batch("accounts", rows))
                tx.load("people", batch("people", people))
            segments = _pairs(account_segments(facts.table("accounts"), KERNEL), "account_id",
                              "segment")  # fmt: skip
            personas = _pairs(person_personas(facts.table("people"), KERNEL), "person_id",
                              "persona")  # fmt: skip
        finally:
            facts.close()
    assert segments == {r["account_id"]: _reference_segment(r, KERNEL) for r in rows}
    assert personas == {p["person_id"]: _reference_persona(p["title"], KERNEL) for p in people}
