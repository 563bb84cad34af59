"""Reading YAML with positions, syntax errors as findings, and writing models back."""

from __future__ import annotations

from datetime import date

import pytest

from demandos.errors import Location
from demandos.spec import WorkspaceSpec, dump_yaml
from demandos.spec.yamlio import Position, dump_data, parse_yaml

DOC = """\
name: Acme   # comment
store:
  backend: embedded
metrics:
  - id: der
    owner: maya
    dimensions: [channel, segment]
  - id: leads
start: 2025-01-06
"""


def test_positions_of_keys_values_and_items() -> None:
    parsed = parse_yaml(DOC, "x.yaml")
    assert parsed.ok
    pos = parsed.positions
    assert pos.find(("name",)) == Position(1, 7)  # a scalar: where its value is
    assert pos.find(("store",)) == Position(2, 1)  # a mapping: where its key is
    assert pos.find(("store", "backend")) == Position(3, 12)
    assert pos.find(("metrics", 0)) == Position(5, 5)
    assert pos.find(("metrics", 0, "owner")) == Position(6, 12)
    assert pos.find(("metrics", 0, "owner"), key=True) == Position(6, 5)
    assert pos.find(("metrics", 0, "dimensions", 1)) == Position(7, 27)
    assert pos.find(("metrics", 1, "id")) == Position(8, 9)


def test_missing_path_points_at_nearest_ancestor() -> None:
    pos = parse_yaml(DOC, "x.yaml").positions
    assert pos.find(("metrics", 1, "owner")) == Position(8, 5)
    assert pos.find(("metrics", 7, "owner")) == Position(4, 1)
    assert pos.find(("nothing", "here")) == Position(1, 1)
    assert pos.locate(("metrics", 0, "owner")) == Location("x.yaml", 6, 12)


def test_data_is_plain_python() -> None:
    data = parse_yaml(DOC, "x.yaml").data
    assert data == {
        "name": "Acme",
        "store": {"backend": "embedded"},
        "metrics": [
            {"id": "der", "owner": "maya", "dimensions": ["channel", "segment"]},
            {"id": "leads"},
        ],
        "start": date(2025, 1, 6),
    }
    assert type(data["metrics"]) is list and type(data["store"]) is dict


def test_yaml_12_keeps_yes_and_times_as_text() -> None:
    data = parse_yaml("a: yes\nb: 09:30\nc: off\n", "x.yaml").data
    assert data == {"a": "yes", "b": "09:30", "c": "off"}


@pytest.mark.parametrize(
    ("text", "line", "column", "message", "hint"),
    [
        ("a: 1\na: 2\n", 2, 1, "duplicate key 'a'", "already set at line 1"),
        ("a:\n\tb: 1\n", 2, 1, "tab character in indentation", "spaces only"),
        ("a: 'abc\n", 1, 4, "a quoted value opened at line 1 is never closed", "closing quote"),
        ('a: "x\nb: 1\nc: d\n', 1, 4, "a quoted value opened at line 1 is never closed", "quote"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, "bad indentation", "same column"),
        ("a: b: c\n", 1, 5, "unexpected ':' in a value", "quotes"),
        ("a: [1, 2\n", 2, 1, "a [list] or {mapping} opened at line 1 is not closed", "close"),
        ("a: *x\n", 1, 4, "found undefined alias 'x'", "anchor &name"),
    ],
)
def test_syntax_errors_become_findings(
    text: str, line: int, column: int, message: str, hint: str
) -> None:
    (finding,) = parse_yaml(text, "f.yaml").findings
    assert finding.location == Location("f.yaml", line, column)
    assert finding.message == message
    assert finding.hint is not None and hint in finding.hint
    assert finding.severity == "error" and finding.rule == "yaml"


def test_multi_line_quoted_value_is_not_blamed() -> None:
    text = 'a: "two\n  lines"\nb: c: d\n'
    (finding,) = parse_yaml(text, "f.yaml").findings
    assert finding.message == "unexpected ':' in a value"
    assert finding.location.line == 3


def test_dump_yaml_round_trips_a_model() -> None:
    spec = WorkspaceSpec.model_validate(
        {"name": "Acme", "timezone": "Europe/Berlin", "store": {"schema": "mkt"}}
    )
    text = dump_yaml(spec)
    assert text == "name: Acme\ntimezone: Europe/Berlin\nstore:\n  schema: mkt\n"
    assert WorkspaceSpec.model_validate(parse_yaml(text, "x").data) == spec


def test_dump_quotes_strings_that_would_read_as_other_types() -> None:
    data = {"a": "yes", "b": "1.5", "c": "null", "d": "2025-01-06", "e": "- x", "f": "#x"}
    assert parse_yaml(dump_data(data), "x").data == data
