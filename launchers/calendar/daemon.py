"""The calendar launcher's loop: launch due occurrences, record them, sleep until the next one.

One cycle (:meth:`Calendar.run_once`) reads every schedule's progress from the store, plans each schedule
(:mod:`launchers.calendar.plan`), launches what is due with a request id made of the schedule and the
occurrence, and records each launch after the engine confirmed it. Between cycles the loop sleeps until
the next occurrence, at most ``max_sleep`` seconds, so that an edited schedules file or a changed clock
is noticed soon.

Failures never lose an occurrence: when the broker or the engine does not answer, or a field template
fails, nothing is recorded for that schedule and the next cycle (after ``retry_delay``) tries again with
the same request id. A refusal by the engine (unknown process, invalid fields) is final for that request
id, so it is recorded with its reason and logged as an error.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType

from engine.errors import BossError, ExpressionError, TransportError
from engine.store import ScheduleRow, Store
from launchers.calendar.plan import plan
from launchers.calendar.schedules import Schedule
from launchers.calendar.state import load_progress, record_covered, record_launch
from launchers.client import Launcher, LaunchRefused

log = logging.getLogger("boss.calendar")

Clock = Callable[[], datetime]


def offset_clock(offset: float = 0.0) -> Clock:
    """The wall clock in UTC shifted by ``offset`` seconds, like the engine's (``BOSS_CLOCK_OFFSET``)."""
    shift = timedelta(seconds=offset)
    return lambda: datetime.now(UTC) + shift


@dataclass(frozen=True)
class Outcome:
    """What one cycle did with one schedule's occurrence, or with occurrences it passed over."""

    schedule: str
    occurrence: datetime | None = None
    process_id: str | None = None
    error: str | None = None  # the engine's refusal
    skipped: int = 0
    pending: bool = False  # not launched for now (broker down, template failing): retried next cycle

    def __str__(self) -> str:
        if self.occurrence is None:
            return f"{self.schedule}: passed over {self.skipped} missed occurrence(s)"
        when = f"{self.schedule} {self.occurrence:%Y-%m-%dT%H:%M:%SZ}"
        if self.pending:
            return f"{when}: not launched yet ({self.error}); retried at the next cycle"
        return f"{when}: refused: {self.error}" if self.error else f"{when}: launched {self.process_id}"


class Calendar:
    """The launcher daemon; safe to :meth:`stop` from a signal handler or another thread."""

    def __init__(self, schedules: Callable[[], Sequence[Schedule]], store: Store, launcher: Launcher,
                 clock: Clock | None = None, *, max_sleep: float = 60.0, retry_delay: float = 10.0) -> None:
        self.schedules = schedules
        self.store = store
        self.launcher = launcher
        self.clock = clock or offset_clock()
        self.max_sleep = max_sleep
        self.retry_delay = retry_delay
        self._stopping = threading.Event()

    def run_once(self) -> list[Outcome]:
        """One cycle at the clock's current time: launch what is due and record it."""
        now = self.clock()
        progress = load_progress(self.store)
        outcomes: list[Outcome] = []
        for schedule in self.schedules():
            outcomes.extend(self._tick(schedule, progress.get(schedule.name), now))
        return outcomes

    def run(self) -> None:
        """Cycle until :meth:`stop` (SIGTERM and SIGINT call it)."""
        self._install_signals()
        log.info("calendar launcher running")
        while not self._stopping.is_set():
            try:
                outcomes = self.run_once()
                delay = self.seconds_to_next()
            except BossError as exc:  # the store or the schedules file: say so and try again
                log.error("%s; retrying in %gs", exc, self.retry_delay)
                outcomes, delay = [], self.retry_delay
            if any(o.pending for o in outcomes):
                delay = min(delay, self.retry_delay)
            self._stopping.wait(delay)
        log.info("calendar launcher stopped")

    def stop(self) -> None:
        """End :meth:`run` at once (a cycle in progress finishes its current launch first)."""
        self._stopping.set()

    def seconds_to_next(self) -> float:
        """How long to sleep: until just after the next occurrence of an enabled schedule, within ``max_sleep``."""
        now = self.clock()
        upcoming = [o for s in self.schedules() if s.enabled
                    for o in [next(s.occurrences_after(now), None)] if o is not None]
        if not upcoming:
            return self.max_sleep
        return max(0.01, min(self.max_sleep, (min(upcoming) - now).total_seconds() + 0.01))

    # ---- one schedule --------------------------------------------------------------------------------
    def _tick(self, schedule: Schedule, row: ScheduleRow | None, now: datetime) -> list[Outcome]:
        todo = plan(schedule, row.covered_until if row else None, now)
        outcomes: list[Outcome] = []
        for occurrence in todo.launch:
            outcome = self._fire(schedule, occurrence)
            outcomes.append(outcome)
            if outcome.pending:
                return outcomes  # progress stays before this occurrence: the next cycle retries it
            row = record_launch(self.store, schedule.name, occurrence, outcome.process_id, outcome.error)
        if todo.records_progress:
            record_covered(self.store, row, schedule.name, todo.covered_until)
        if todo.skipped:
            why = "the schedule is disabled" if not schedule.enabled else f"catch_up: {schedule.catch_up.value}"
            log.warning("schedule %s: passed over %d occurrence(s) missed until %s (%s)", schedule.name,
                        todo.skipped, f"{now:%Y-%m-%dT%H:%M:%SZ}", why)
            outcomes.append(Outcome(schedule.name, skipped=todo.skipped))
        return outcomes

    def _fire(self, schedule: Schedule, occurrence: datetime) -> Outcome:
        """Launch one occurrence; the engine launches it once however often this runs."""
        try:
            fields = schedule.fields_for(occurrence)
            launched = self.launcher(schedule.process, fields, request_id=schedule.request_id(occurrence),
                                     by=f"calendar:{schedule.name}")
        except LaunchRefused as exc:
            log.error("schedule %s: occurrence %s: %s", schedule.name, f"{occurrence:%Y-%m-%dT%H:%M:%SZ}", exc)
            return Outcome(schedule.name, occurrence, error=exc.reason)
        except (TransportError, ExpressionError) as exc:
            log.warning("schedule %s: occurrence %s not launched yet: %s", schedule.name,
                        f"{occurrence:%Y-%m-%dT%H:%M:%SZ}", exc)
            return Outcome(schedule.name, occurrence, error=str(exc), pending=True)
        log.info("schedule %s: launched %s as process %s for %s", schedule.name, schedule.process,
                 launched.process_id, f"{occurrence:%Y-%m-%dT%H:%M:%SZ}")
        for warning in launched.warnings:
            log.warning("schedule %s: %s", schedule.name, warning)
        return Outcome(schedule.name, occurrence, process_id=launched.process_id)

    def _install_signals(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            log.info("%s: stopping", signal.Signals(signum).name)
            self.stop()

        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread (tests run the loop in a thread)
                signal.signal(signum, handler)
