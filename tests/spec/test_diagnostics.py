"""Pydantic errors → findings: the path as written, the place, one finding per mistake."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from demandos.errors import Finding
from demandos.spec import MetricsSpec, StoreSettings, WorkspaceSpec
from demandos.spec.diagnostics import Explainer, field_keys, render_path
from demandos.spec.yamlio import parse_yaml

METRIC = """\
metrics:
  - id: w
    name: W
    tier: 1
    owner: maya
    unit: count
    calculation:
      type: simple
      table: people
      agg: count
      filters:
        - column: x
          op: in
          value: [a, {b: 1}]
"""


def explain(model: type[BaseModel], text: str, people: tuple[str, ...] = ()) -> list[Finding]:
    parsed = parse_yaml(text, "f.yaml")
    try:
        model.model_validate(parsed.data)
    except ValidationError as error:
        return Explainer(model, parsed, people).findings(error)
    raise AssertionError("expected a validation error")


def test_render_path() -> None:
    assert render_path(("metrics", 3, "owner")) == "metrics[3].owner"
    assert render_path(("a", 0, 1, "b")) == "a[0][1].b"
    assert render_path(()) == ""


def test_union_and_tag_labels_are_not_part_of_the_path() -> None:
    (finding,) = explain(MetricsSpec, METRIC)
    assert finding.field == "metrics[0].calculation.filters[0].value[1]"
    assert (finding.location.line, finding.location.column) == (14, 22)
    assert finding.message == "expected text, got a mapping of keys"


def test_a_misspelt_key_is_one_finding() -> None:
    (finding,) = explain(WorkspaceSpec, "nme: Acme\n")
    assert (finding.field, finding.message, finding.hint) == (
        "nme",
        "unknown field 'nme'",
        "did you mean 'name'?",
    )


def test_unknown_key_without_a_close_match_lists_the_keys() -> None:
    findings = explain(StoreSettings, "backend: embedded\nregion: eu\n")
    assert [f.hint for f in findings] == ["allowed here: backend, url, spark, schema, log_url"]
    assert field_keys(StoreSettings) == ["backend", "url", "spark", "schema", "log_url"]


def test_missing_owner_lists_the_team() -> None:
    text = "metrics:\n  - {id: m, name: M, tier: 1, unit: count, builtin: leads}\n"
    (finding,) = explain(MetricsSpec, text, people=("ana", "ben"))
    assert finding.message == "missing required field 'owner'"
    assert finding.hint == "add `owner:` here — one person id from team.yaml: ana, ben"
    assert (finding.location.line, finding.location.column) == (2, 5)


def test_errors_in_several_items_are_all_reported() -> None:
    text = (
        "metrics:\n"
        "  - {id: a, name: A, tier: 9, owner: x, unit: count, builtin: leads}\n"
        "  - {id: b, name: B, tier: 1, owner: x, unit: counts, builtin: leads}\n"
    )
    findings = explain(MetricsSpec, text)
    assert [(f.field, f.location.line) for f in findings] == [
        ("metrics[0].tier", 2),
        ("metrics[1].unit", 3),
    ]
    assert findings[0].message == "must be at most 4, got 9"
    assert findings[1].hint is not None and findings[1].hint.startswith("did you mean 'count'?")
