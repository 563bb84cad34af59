"""Programs week by week, for the packs: the crediting of leads and deals to programs by last
touch, and what channels.yaml plans, live in :mod:`demandos.distribution.programs` (one home);
this module keeps the names the packs import."""

from __future__ import annotations

from demandos.distribution.programs import (
    Economics,
    ProgramWeeks,
    planned_spend,
    program_totals,
    program_weeks,
    running_days,
    runs_on,
)

__all__ = [
    "Economics",
    "ProgramWeeks",
    "planned_spend",
    "program_totals",
    "program_weeks",
    "running_days",
    "runs_on",
]
