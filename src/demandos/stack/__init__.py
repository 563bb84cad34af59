"""Technology stack: what the tools cost against the pipeline, and the tool-first trap
(``demandos stack audit``), and the stack's cost in DER's fully loaded cost
(``demandos stack costs``).

    from demandos.stack import stack_audit
    report = stack_audit(ws, "2026-Q3")
    report.categories, report.tool_first, report.overlaps, report.loaded
"""

from demandos.stack.audit import (
    ONE_TOOL_CATEGORIES,
    Category,
    LoadedMonth,
    Overlap,
    StackAudit,
    ToolFinding,
    ToolLine,
    audit_stack,
    overlaps,
    stack_audit,
    tool_first,
)
from demandos.stack.costs import StackCosts, cost_rows, load_stack_costs

__all__ = [
    "ONE_TOOL_CATEGORIES",
    "Category",
    "LoadedMonth",
    "Overlap",
    "StackAudit",
    "StackCosts",
    "ToolFinding",
    "ToolLine",
    "audit_stack",
    "cost_rows",
    "load_stack_costs",
    "overlaps",
    "stack_audit",
    "tool_first",
]
