"""Distribution networks: channels (owned, earned, paid), the programs that run on them
(always-on, campaigns, launches) and what they leave behind.

- :mod:`demandos.distribution.report`: owned-audience growth, rented versus owned pipeline,
  program health, launches' conformance, campaigns that started from scratch;
- :mod:`demandos.distribution.programs`: programs' spend, leads and pipeline (credited by last
  touch) and their planned spend;
- :mod:`demandos.distribution.legacy`: what an ended campaign or launch left behind.
"""

from __future__ import annotations

from demandos.distribution.legacy import Legacy, Scratch, legacies
from demandos.distribution.programs import Economics, program_totals, program_weeks
from demandos.distribution.report import (
    DistributionReport,
    LaunchConformance,
    OwnedAudience,
    PipelineShare,
    ProgramHealth,
    distribution_report,
)

__all__ = [
    "DistributionReport",
    "Economics",
    "LaunchConformance",
    "Legacy",
    "OwnedAudience",
    "PipelineShare",
    "ProgramHealth",
    "Scratch",
    "distribution_report",
    "legacies",
    "program_totals",
    "program_weeks",
]
