"""Workflows: documented procedures run step by step with SLA clocks, and the inbound lead →
opportunity flow measured from CRM data.

- ``clock``: due times and elapsed time in calendar time or business hours;
- ``runs``: runs kept in the operating log (start, check, done, status, stats, overdue steps);
- ``leads``: speed to lead, MQL → SQL time, SLA compliance and leads that fell through.
"""

from demandos.workflows.clock import Clock, format_span
from demandos.workflows.leads import LeadFlow, inbound_workflow, lead_flow
from demandos.workflows.runs import (
    CycleStats,
    OverdueStep,
    RunState,
    StepState,
    WorkflowRuns,
    WorkflowStats,
)

__all__ = [
    "Clock",
    "CycleStats",
    "LeadFlow",
    "OverdueStep",
    "RunState",
    "StepState",
    "WorkflowRuns",
    "WorkflowStats",
    "format_span",
    "inbound_workflow",
    "lead_flow",
]
