"""The release calendar: upcoming scheduled launches (``etc/schedules.yaml``) and the timers of live processes.

Two sources, one list in time order. Scheduled launches are computed from the schedules file with the
calendar launcher's own rules (:mod:`launchers.calendar.schedules`), so the page shows exactly what the
launcher will do; the timers come from the store (``boss_timers``): a wait step's end, the next attempt of
a step that failed, a step's or process's time limit. Heartbeat deadlines of running work are timers too,
but they move every few seconds and mean nothing to a planner: they are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.api.queries import reading
from engine.errors import BossError
from engine.store import Store
from engine.store.schema import processes, timers

TIMER_PURPOSES = {"wait": "waits until then", "retry": "tries again", "timeout": "reaches its time limit"}
LIVE = ("running", "paused", "error", "cancelling")
TIMER_LIMIT = 500
HORIZON = timedelta(days=400)  # a yearly schedule still shows its next occurrence


@dataclass(frozen=True)
class Entry:
    """Something planned: a launch or a timer."""

    at: datetime
    kind: str  # "launch" or a timer purpose (wait, retry, timeout)
    process: str  # the definition name
    what: str  # in words
    process_id: str | None = None
    step: str | None = None
    fields: dict[str, Any] | None = None


@dataclass(frozen=True)
class Schedules:
    """The schedules file as the calendar shows it."""

    file: str
    rules: list[dict[str, Any]]  # name, process, rule in words, enabled
    launches: list[Entry]
    problem: str | None = None


def scheduled(path: str | Path, now: datetime, per_schedule: int = 3) -> Schedules:
    """The next launches of every enabled schedule (``per_schedule`` each, within about a year)."""
    from launchers.calendar.schedules import load_schedules  # the launcher's rules; imported when needed

    if not Path(path).is_file():
        return Schedules(str(path), [], [], f"no schedules file at {path} (set BOSS_SCHEDULES)")
    try:
        schedules = load_schedules(path)
    except BossError as exc:
        return Schedules(str(path), [], [], str(exc).splitlines()[0])
    rules, launches = [], []
    for schedule in schedules:
        rules.append({"name": schedule.name, "process": schedule.process, "rule": schedule.describe(),
                      "enabled": schedule.enabled, "description": schedule.description})
        if not schedule.enabled:
            continue
        for count, occurrence in enumerate(schedule.occurrences_after(now)):
            if count == per_schedule or occurrence > now + HORIZON:
                break
            try:
                fields: dict[str, Any] = schedule.fields_for(occurrence)
            except BossError as exc:
                fields = {"error": str(exc)}
            launches.append(Entry(at=occurrence, kind="launch", process=schedule.process, fields=fields,
                                  what=f"by the schedule {schedule.name}"))
    return Schedules(str(path), rules, launches)


def pending_timers(store: Store, limit: int = TIMER_LIMIT) -> list[Entry]:
    """The timers of live processes, soonest first, each with its step and what happens when it fires."""
    query = (sa.select(timers.c.process_id, timers.c.timer, timers.c.due, processes.c.name)
             .join(processes, processes.c.id == timers.c.process_id)
             .where(processes.c.status.in_(LIVE)).order_by(timers.c.due).limit(limit))
    with reading(store) as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    described: dict[str, dict[str, tuple[str, str]]] = {}
    entries = []
    for row in rows:
        pid = str(row["process_id"])
        if pid not in described:
            described[pid] = _timers_of(store, pid)
        purpose, step = described[pid].get(str(row["timer"]), ("", ""))
        if purpose not in TIMER_PURPOSES:
            continue
        what = f"{step} {TIMER_PURPOSES[purpose]}" if step else f"the process {TIMER_PURPOSES[purpose]}"
        entries.append(Entry(at=row["due"], kind=purpose, process=str(row["name"]), what=what, process_id=pid,
                             step=step or None))
    return entries


def _timers_of(store: Store, process_id: str) -> dict[str, tuple[str, str]]:
    """Timer id -> (purpose, step name) of one process, from its state and its steps."""
    row = store.get_process(process_id)
    if row is None:
        return {}
    names = {step.node: step.step or step.path or step.node for step in store.steps(process_id)}
    return {timer.id: (timer.purpose, names.get(timer.node, "")) for timer in row.state.timers.values()}
