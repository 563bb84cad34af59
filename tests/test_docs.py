"""Docs and code must not drift: every CLI command and spec file is documented in the README."""

from __future__ import annotations

from pathlib import Path

import typer.main

from demandos.cli.main import app
from demandos.spec import SPEC_FILES

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_cli_command_is_in_the_readme() -> None:
    group = typer.main.get_command(app)
    commands = sorted(group.commands)  # type: ignore[attr-defined]
    assert commands
    missing = [c for c in commands if f"`demandos {c}" not in README]
    assert not missing, f"README lacks these commands: {missing}"


def test_every_spec_file_is_in_the_workspace_tour() -> None:
    missing = [f for f in SPEC_FILES if str(f).split("/")[0] not in README]
    assert not missing, f"README's workspace tour lacks: {missing}"


def test_the_two_commands_are_the_scripts_ci_runs() -> None:
    root = Path(__file__).parent.parent
    assert "./scripts/demo" in README and "./scripts/test" in README
    assert "./scripts/test" in (root / ".ci" / "run").read_text()


def test_every_connector_is_in_docs_intake() -> None:
    from demandos.intake.registry import connectors

    intake = (Path(__file__).parent.parent / "docs" / "intake.md").read_text()
    missing = [name for name in connectors() if f"`{name}`" not in intake]
    assert not missing, f"docs/intake.md lacks these connectors: {missing}"
