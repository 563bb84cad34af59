"""The public API is what `demandos.__all__` says, and every name in it is importable."""

from __future__ import annotations

import demandos


def test_all_names_resolve() -> None:
    for name in demandos.__all__:
        assert getattr(demandos, name) is not None, name


def test_workspace_is_exported_lazily() -> None:
    from demandos.workspace import Workspace

    assert demandos.Workspace is Workspace


def test_exported_errors_share_one_base() -> None:
    errors = [getattr(demandos, n) for n in demandos.__all__ if n.endswith("Error")]
    assert errors and all(issubclass(e, demandos.DemandosError) for e in errors)
