"""Which occurrences of a schedule to launch now: the catch-up policy, as a pure function.

Progress is one instant per schedule, ``covered_until``: every occurrence at or before it has been handled
(launched, refused by the engine, or passed over). The occurrences after it and at or before *now* are
due; the policy decides which of them to launch. Nothing here reads a clock or does I/O, so every policy
is a plain unit test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import takewhile

from launchers.calendar.schedules import CatchUp, Schedule

#: The most occurrences one cycle launches (``catch_up: all`` after a long outage of a frequent rule);
#: the rest are launched by the next cycles, oldest first.
MAX_BATCH = 100


@dataclass(frozen=True)
class Plan:
    """What to do with a schedule now.

    Attributes:
        launch: the occurrences to launch, oldest first.
        skipped: how many due occurrences the policy passes over (missed too long ago, or disabled).
        covered_until: the schedule's progress once every launch is done.
        first_seen: the schedule has no progress yet; it is recorded even if nothing is launched.
    """

    launch: tuple[datetime, ...]
    skipped: int
    covered_until: datetime
    first_seen: bool = False

    @property
    def records_progress(self) -> bool:
        """Whether ``covered_until`` must be saved after the launches (a launch records its own progress)."""
        return self.first_seen or self.skipped > 0


def plan(schedule: Schedule, covered_until: datetime | None, now: datetime) -> Plan:
    """The occurrences of ``schedule`` to launch at ``now``, given its progress.

    Args:
        schedule: the entry, with its rule, catch-up policy, grace and ``since``.
        covered_until: the stored progress; None when the schedule was never seen.
        now: the launcher's clock (aware).

    Returns:
        The plan. A new schedule without ``since`` starts counting at ``now``: it never launches the past.
    """
    first_seen = covered_until is None
    start = schedule.since if covered_until is None else covered_until
    if start is None:
        return Plan((), 0, now, first_seen=True)
    if now <= start:
        return Plan((), 0, start, first_seen=first_seen)
    due = takewhile(lambda occurrence: occurrence <= now, schedule.occurrences_after(start))
    kept: list[datetime] = []
    count = 0
    for occurrence in due:
        count += 1
        if not schedule.enabled:
            continue
        if schedule.catch_up is CatchUp.ALL:
            kept.append(occurrence)
            if len(kept) == MAX_BATCH:
                return Plan(tuple(kept), 0, occurrence, first_seen=first_seen)
        elif schedule.catch_up is CatchUp.LATEST:
            kept = [occurrence]
        elif now - occurrence <= schedule.grace:
            kept.append(occurrence)
    return Plan(tuple(kept), count - len(kept), now, first_seen=first_seen)
