"""The strategic kernel at work: which ICP segment each account is in, which persona each person
is, and which segment and message pillar every row of spend, touches and pipeline maps to.

    from demandos.kernel import account_segments, person_personas, KernelMap

``fit`` classifies accounts and people from kernel.yaml's rules; ``mapping`` carries those
classes (and the segments and pillars of channels.yaml's programs, the types and pillars of
assets) onto the rows of every canonical table. Both build Ibis expressions only, so they run
unchanged on every fact-store backend.
"""

from demandos.kernel.fit import (
    NO_PERSONA,
    NO_SEGMENT,
    account_segments,
    fit_checks,
    person_personas,
    persona_of,
    segment_of,
    title_matches,
)
from demandos.kernel.mapping import KERNEL_DIMENSIONS, NO_ASSET, NO_PILLAR, KernelMap, carried

__all__ = [
    "KERNEL_DIMENSIONS",
    "NO_ASSET",
    "NO_PERSONA",
    "NO_PILLAR",
    "NO_SEGMENT",
    "KernelMap",
    "account_segments",
    "carried",
    "fit_checks",
    "person_personas",
    "persona_of",
    "segment_of",
    "title_matches",
]
