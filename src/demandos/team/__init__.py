"""Team & roles: who owns what (``demandos team ownership``).

    from demandos.team import ownership
    report = ownership(ws)
    report.person("jonas").counts(), report.idle, report.unknown

One owner per metric, workflow and tool: ``demandos check`` refuses a missing, shared or unknown
owner (``spec/checks.py``); this package shows ownership from each person's side.
"""

from demandos.team.ownership import (
    KINDS,
    Owned,
    OwnerRef,
    OwnershipReport,
    PersonOwnership,
    asset_refs,
    owner_refs,
    ownership,
    ownership_of,
)

__all__ = [
    "KINDS",
    "Owned",
    "OwnerRef",
    "OwnershipReport",
    "PersonOwnership",
    "asset_refs",
    "owner_refs",
    "ownership",
    "ownership_of",
]
