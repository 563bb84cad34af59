"""Shared ownership is no ownership: a metric, workflow or tool with no owner, two owners, a role
or someone not in team.yaml as its owner is an error of `demandos check`, with file, line, field
and the fix — one test per case and per kind of thing owned."""

from __future__ import annotations

from pathlib import Path

import pytest

from demandos.errors import Finding
from demandos.spec import check_workspace, write_starter

# (file, the text that names the owner in the starter, the field path of that owner)
OWNED = {
    "metric": ("metrics.yaml", "    owner: maya\n", "metrics[0].owner"),
    "workflow": ("workflows/campaign_launch.yaml", "owner: maya\n", "owner"),
    "tool": ("stack.yaml", "    owner: jonas\n", "tools[0].owner"),
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_starter(root)
    return root


def replace(root: Path, file: str, old: str, new: str) -> int:
    """Replace the first ``old`` in ``file``; the 1-based line it was on."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {file}: the starter changed"
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text.count("\n", 0, at) + 1


def errors(root: Path) -> list[Finding]:
    return check_workspace(root).errors


def test_the_starter_has_one_owner_everywhere(root: Path) -> None:
    assert errors(root) == []


@pytest.mark.parametrize("kind", list(OWNED))
def test_no_owner_is_an_error(root: Path, kind: str) -> None:
    file, text, field = OWNED[kind]
    line = replace(root, file, text, "")
    (found,) = errors(root)
    assert (found.location.file, found.field) == (file, field)
    assert found.message == "missing required field 'owner'"
    assert found.hint == "add `owner:` here — one person id from team.yaml: maya, jonas, priya"
    assert found.location.line is not None and found.location.line <= line


@pytest.mark.parametrize("kind", list(OWNED))
def test_an_empty_owner_is_an_error(root: Path, kind: str) -> None:
    file, text, field = OWNED[kind]
    line = replace(root, file, text, text.replace(text.strip(), "owner:"))
    (found,) = errors(root)
    assert (found.location.file, found.field) == (file, field)
    # YAML places an empty value where the next token starts: the key's line or the next one
    assert found.location.line in (line, line + 1)
    assert found.message == "expected text, got nothing"
    assert found.hint is not None and "the one person accountable" in found.hint


@pytest.mark.parametrize("kind", list(OWNED))
@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("[maya, jonas]", "'maya', 'jonas'"),
        ("'maya, jonas'", "'maya', 'jonas'"),
        ("maya and priya", "'maya', 'priya'"),
        ("jonas/priya", "'jonas', 'priya'"),
        ("[]", "none"),
    ],
)
def test_two_owners_is_an_error(root: Path, kind: str, written: str, named: str) -> None:
    file, text, field = OWNED[kind]
    line = replace(root, file, text, text.replace(text.strip(), f"owner: {written}"))
    (found,) = errors(root)
    assert (found.location.file, found.location.line, found.field) == (file, line, field)
    assert found.message == f"exactly one owner is allowed, got {named}"
    assert found.hint is not None and found.hint.startswith("shared ownership is no ownership")


@pytest.mark.parametrize("kind", list(OWNED))
def test_the_owner_key_twice_is_an_error(root: Path, kind: str) -> None:
    file, text, _ = OWNED[kind]
    line = replace(root, file, text, text + text.replace("maya", "priya").replace("jonas", "maya"))
    (found,) = errors(root)
    assert (found.location.file, found.location.line) == (file, line + 1)
    assert found.message == "duplicate key 'owner'"


@pytest.mark.parametrize("kind", list(OWNED))
def test_a_role_as_owner_is_an_error(root: Path, kind: str) -> None:
    file, text, field = OWNED[kind]
    line = replace(root, file, text, text.replace(text.strip(), "owner: marketing_ops"))
    (found,) = errors(root)
    assert (found.location.file, found.location.line, found.field) == (file, line, field)
    assert found.message == (
        "'marketing_ops' is a role, not a person: a role is shared ownership, which is no ownership"
    )
    assert found.hint == (
        "name the one person who answers for it: jonas holds the role 'marketing_ops'"
    )


def test_a_role_several_people_hold_names_them_all(root: Path) -> None:
    replace(root, "team.yaml", "    role: content_marketer\n", "    role: marketing_ops\n")
    file, text, _ = OWNED["metric"]
    replace(root, file, text, "    owner: marketing_ops\n")
    (found,) = errors(root)
    assert found.hint == (
        "name the one person who answers for it: jonas, priya hold the role 'marketing_ops'"
    )


@pytest.mark.parametrize("kind", list(OWNED))
def test_an_owner_not_in_team_yaml_is_an_error(root: Path, kind: str) -> None:
    file, text, field = OWNED[kind]
    line = replace(root, file, text, text.replace(text.strip(), "owner: jonah"))
    (found,) = errors(root)
    assert (found.location.file, found.location.line, found.field) == (file, line, field)
    assert found.message == "unknown person 'jonah'"
    assert found.hint == "did you mean 'jonas'? (people in team.yaml: jonas, maya, priya)"


def test_a_step_owner_follows_the_same_rule(root: Path) -> None:
    file = "workflows/campaign_launch.yaml"
    line = replace(root, file, "    owner: maya\n", "    owner: [maya, priya]\n")
    (found,) = errors(root)
    assert (found.location.line, found.field) == (line, "steps[0].owner")
    assert found.message == "exactly one owner is allowed, got 'maya', 'priya'"
