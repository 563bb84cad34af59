"""Operational cadence: the weekly, monthly and quarterly rituals, their calendar, and the
operating log of reviews, decisions and actions that carries one meeting into the next.

    from demandos.cadence import occurrences, ritual_instance
    from demandos.cadence.calendar import calendar_bytes      # iCal export (imports icalendar)
    ws.cadence_log.add_action("Cut retargeting", owner="maya", due="2026-11-27")
"""

from demandos.cadence.rhythm import (
    Occurrence,
    current_instance,
    find_ritual,
    instance_period,
    meeting_days,
    occurrences,
    ritual_instance,
)

__all__ = [
    "Occurrence",
    "current_instance",
    "find_ritual",
    "instance_period",
    "meeting_days",
    "occurrences",
    "ritual_instance",
]
