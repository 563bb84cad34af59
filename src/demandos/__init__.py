"""demandos — a Demand Operating System for B2B marketing teams.

from demandos import Workspace
ws = Workspace.open("my-company")
"""

from typing import TYPE_CHECKING

from demandos.errors import (
    CheckReport,
    DemandosError,
    Finding,
    IntakeError,
    MetricError,
    SpecError,
    SpecErrors,
    StoreError,
    WorkspaceError,
)

if TYPE_CHECKING:
    from demandos.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "DemandosError",
    "Finding",
    "IntakeError",
    "MetricError",
    "SpecError",
    "SpecErrors",
    "StoreError",
    "Workspace",
    "WorkspaceError",
    "__version__",
]


def __getattr__(name: str) -> object:
    # Workspace pulls in the engines (DuckDB, Ibis, SQLAlchemy); import it on first use so that
    # `import demandos.errors` and `demandos --help` stay fast.
    if name == "Workspace":
        from demandos.workspace import Workspace

        return Workspace
    raise AttributeError(f"module 'demandos' has no attribute {name!r}")
