"""The workspace as code: spec models, loading with file and line, the rules, and the starter.

specs = load_specs_or_raise(Path("my-company"))   # or load_specs → (specs, findings)
report = check_workspace(Path("my-company"))      # what `demandos check` prints
write_starter(Path("my-company"))                 # what `demandos init` writes
"""

from demandos.spec.cadence import AgendaItem, CadenceSpec, Ritual
from demandos.spec.channels import Channel, ChannelsSpec, Program, UtmRule
from demandos.spec.kernel import (
    Competitor,
    FitRules,
    KernelSpec,
    Persona,
    Pillar,
    Positioning,
    ProofPoint,
    Segment,
)
from demandos.spec.loader import load_specs, load_specs_or_raise
from demandos.spec.metrics import (
    ATTRIBUTION_MODELS,
    BUILTIN_METRICS,
    AttributionCalc,
    ConversionCalc,
    CumulativeCalc,
    DerivedCalc,
    Filter,
    Levels,
    Metric,
    MetricsSpec,
    RatioCalc,
    SimpleCalc,
    Target,
)
from demandos.spec.rollout import Phase, RolloutSpec, WeekRange
from demandos.spec.rules import check_workspace, registered_rules, rule, run_rules
from demandos.spec.specs import SPEC_FILES, SpecFile, Specs, WorkflowSource
from demandos.spec.stack import StackSpec, Tool
from demandos.spec.starter import write_starter
from demandos.spec.team import Person, Role, TeamSpec
from demandos.spec.workflows import Step, WorkflowSpec
from demandos.spec.workspace import StoreSettings, WorkspaceSpec
from demandos.spec.yamlio import dump_yaml

__all__ = [
    "ATTRIBUTION_MODELS",
    "BUILTIN_METRICS",
    "SPEC_FILES",
    "AgendaItem",
    "AttributionCalc",
    "CadenceSpec",
    "Channel",
    "ChannelsSpec",
    "Competitor",
    "ConversionCalc",
    "CumulativeCalc",
    "DerivedCalc",
    "Filter",
    "FitRules",
    "KernelSpec",
    "Levels",
    "Metric",
    "MetricsSpec",
    "Person",
    "Persona",
    "Phase",
    "Pillar",
    "Positioning",
    "Program",
    "ProofPoint",
    "RatioCalc",
    "Ritual",
    "Role",
    "RolloutSpec",
    "Segment",
    "SimpleCalc",
    "SpecFile",
    "Specs",
    "StackSpec",
    "Step",
    "StoreSettings",
    "Target",
    "TeamSpec",
    "Tool",
    "UtmRule",
    "WeekRange",
    "WorkflowSource",
    "WorkflowSpec",
    "WorkspaceSpec",
    "check_workspace",
    "dump_yaml",
    "load_specs",
    "load_specs_or_raise",
    "registered_rules",
    "rule",
    "run_rules",
    "write_starter",
]
