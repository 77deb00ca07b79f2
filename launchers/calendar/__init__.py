"""The calendar launcher: launch processes on calendar rules, each occurrence exactly once.

Schedules come from ``etc/schedules.yaml`` (:mod:`.schedules`); which occurrences are due is a pure
function of the schedule, its progress and the time (:mod:`.plan`); progress lives in the boss store
(:mod:`.state`); the loop that launches and records is :mod:`.daemon`; the command line is :mod:`.cli`.
"""

from __future__ import annotations

from launchers.calendar.daemon import Calendar, Clock, Outcome, offset_clock
from launchers.calendar.plan import Plan, plan
from launchers.calendar.schedules import CatchUp, Schedule, ScheduleSource, load_schedules

__all__ = [
    "Calendar",
    "CatchUp",
    "Clock",
    "Outcome",
    "Plan",
    "Schedule",
    "ScheduleSource",
    "load_schedules",
    "offset_clock",
    "plan",
]
