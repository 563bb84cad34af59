"""Asset production and management: the asset library (lifecycle, derivatives) and what each
asset does for pipeline (``docs/assets.md``).

    from demandos.assets import load_library, performance
    report = performance(ws.facts, "2026-Q3", by="type")
"""

from demandos.assets.library import (
    LIFECYCLE,
    Asset,
    AssetError,
    Library,
    asset_from_row,
    check_status,
    check_transition,
    load_library,
)
from demandos.assets.performance import (
    DURABLE_DAYS,
    AssetPerformance,
    Compounding,
    Row,
    last_full_quarter,
    performance,
    weighted_half_life,
)

__all__ = [
    "DURABLE_DAYS",
    "LIFECYCLE",
    "Asset",
    "AssetError",
    "AssetPerformance",
    "Compounding",
    "Library",
    "Row",
    "asset_from_row",
    "check_status",
    "check_transition",
    "last_full_quarter",
    "load_library",
    "performance",
    "weighted_half_life",
]
