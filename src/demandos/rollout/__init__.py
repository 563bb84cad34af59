"""Rollout: the systems audit — readiness checks computed from the workspace, a maturity score
per component and layer, and the failure modes, measured (``demandos audit``).

    from demandos.rollout import audit
    report = audit(ws, "2026-Q3")
    report.scores, report.failure_modes, report.fix_first()
"""

from demandos.rollout.audit import (
    LEVELS,
    AuditReport,
    CheckResult,
    FailureMode,
    Fix,
    Score,
    audit,
    audit_quarter,
)
from demandos.rollout.checks import AREA_NAMES, CHECKS, COMPONENTS, LAYERS, Check, Result, check

__all__ = [
    "AREA_NAMES",
    "CHECKS",
    "COMPONENTS",
    "LAYERS",
    "LEVELS",
    "AuditReport",
    "Check",
    "CheckResult",
    "FailureMode",
    "Fix",
    "Result",
    "Score",
    "audit",
    "audit_quarter",
    "check",
]
