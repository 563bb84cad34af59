"""Feedback & optimization loops: what drove results. Attribution (heuristics, exact Markov of
order 1-3, Shapley) over journeys read from the canonical touchpoints."""

from demandos.feedback.attribution import (
    MODELS,
    Attribution,
    Comparison,
    Options,
    Row,
    attribute,
    compare,
    run,
    run_many,
)
from demandos.feedback.heuristics import HEURISTICS, Credit, HeuristicOptions, heuristics
from demandos.feedback.journeys import AttributionError, Journeys, from_arrays
from demandos.feedback.markov import Chain, fit, markov, removal_effects
from demandos.feedback.raw import read_touch_file
from demandos.feedback.shapley import shapley
from demandos.feedback.sources import (
    DIMENSIONS,
    LEVELS,
    MILESTONES,
    JourneyQuery,
    read_journeys,
    read_many,
)

__all__ = [
    "DIMENSIONS",
    "HEURISTICS",
    "LEVELS",
    "MILESTONES",
    "MODELS",
    "Attribution",
    "AttributionError",
    "Chain",
    "Comparison",
    "Credit",
    "HeuristicOptions",
    "JourneyQuery",
    "Journeys",
    "Options",
    "Row",
    "attribute",
    "compare",
    "fit",
    "from_arrays",
    "heuristics",
    "markov",
    "read_journeys",
    "read_many",
    "read_touch_file",
    "removal_effects",
    "run",
    "run_many",
    "shapley",
]
