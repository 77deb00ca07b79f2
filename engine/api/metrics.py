"""``GET /metrics``: Prometheus text exposition (format 0.0.4), computed from the store on each scrape.

Nothing is counted in the API process itself, so any number of ``boss serve`` replicas report the same
numbers and a restart loses nothing; the store and the broker are the sources of truth:

- ``boss_processes{state}``: processes in each state (gauge);
- ``boss_participant_instances{participant,state}``: instances alive or silent (gauge);
- ``boss_dead_letters``: messages waiting in the ``boss.dead`` queue (gauge; absent when the broker is
  unreachable, and then ``boss_broker_up`` is 0);
- ``boss_dispatches_total`` and ``boss_retries_total{by="policy"|"operator"}``: from the history (counters);
- ``boss_step_duration_seconds{kind,participant}``: how long step runs took, start to end (histogram).

The histogram is the one thing kept between scrapes: the step runs already counted, so that each run is
counted once even though its row stays in the store (rows updated within ``overlap`` are read again, and
recognised by their end time). It starts from every finished step in the store, and counts each run
once, so its buckets only grow, as a Prometheus histogram's must.

``prometheus_client`` is not a dependency: this small, documented text format is written here.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from engine.api import queries
from engine.api.reads import participant_listing
from engine.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0, math.inf)
STATES = ("running", "paused", "error", "cancelling", "done", "cancelled")
OVERLAP = timedelta(minutes=5)

Labels = tuple[tuple[str, str], ...]


class Exposition:
    """Lines of the text format, a metric family at a time."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: Iterable[tuple[str, Labels, float]]) -> None:
        """``# HELP``, ``# TYPE`` and the samples (suffixed names such as ``_bucket`` go in ``samples``)."""
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        self.lines.extend(f"{name}{suffix}{_labels(labels)} {_number(value)}" for suffix, labels, value in samples)

    def text(self) -> str:
        """The whole exposition."""
        return "\n".join(self.lines) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels) + "}"


def _escape(value: str) -> str:
    """A label value as the format wants it: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class StepLatency:
    """The step duration histogram, kept up to date from the store's step rows (thread-safe)."""

    def __init__(self, overlap: timedelta = OVERLAP) -> None:
        self.overlap = overlap
        self._lock = threading.Lock()
        self._counts: dict[Labels, list[int]] = {}
        self._sums: dict[Labels, float] = {}
        self._counted: dict[tuple[str, str], tuple[datetime, datetime]] = {}  # (process, node) -> (ended, updated)
        self._watermark: datetime | None = None

    def update(self, store: Store) -> None:
        """Count the step runs that ended since the last update."""
        with self._lock:
            since = None if self._watermark is None else self._watermark - self.overlap
            for row in queries.finished_steps(store, since):
                self._count(row)
            if self._watermark is not None:
                horizon = self._watermark - self.overlap
                self._counted = {key: seen for key, seen in self._counted.items() if seen[1] >= horizon}

    def _count(self, row: dict[str, Any]) -> None:
        key = (str(row["process_id"]), str(row["node"]))
        previous = self._counted.get(key)
        self._counted[key] = (row["ended_at"], row["updated_at"])
        self._watermark = row["updated_at"] if self._watermark is None else max(self._watermark, row["updated_at"])
        if previous is not None and previous[0] == row["ended_at"]:
            return  # the same run, read again
        labels: Labels = (("kind", row["kind"] or ""), ("participant", row["participant"] or ""))
        seconds = max((row["ended_at"] - row["started_at"]).total_seconds(), 0.0)
        counts = self._counts.setdefault(labels, [0] * len(BUCKETS))
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                counts[index] += 1
        self._sums[labels] = self._sums.get(labels, 0.0) + seconds

    def samples(self) -> list[tuple[str, Labels, float]]:
        """The ``_bucket``, ``_sum`` and ``_count`` samples, by label set."""
        with self._lock:
            found: list[tuple[str, Labels, float]] = []
            for labels in sorted(self._counts):
                counts = self._counts[labels]
                found.extend(("_bucket", (*labels, ("le", _number(bound))), count)
                             for bound, count in zip(BUCKETS, counts, strict=True))
                found.append(("_sum", labels, self._sums[labels]))
                found.append(("_count", labels, counts[-1]))
            return found


class Metrics:
    """What one scrape reports (see the module's docstring)."""

    def __init__(self, store: Store, heartbeat_timeout: float, dead_letters: Callable[[], int | None],
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.heartbeat_timeout = timedelta(seconds=heartbeat_timeout)
        self.dead_letters = dead_letters
        self.clock = clock
        self.latency = StepLatency()

    def render(self) -> str:
        """The exposition text of one scrape."""
        out = Exposition()
        by_status = queries.count_by_status(self.store)
        states = [*STATES, *sorted(set(by_status) - set(STATES))]
        out.family("boss_processes", "gauge", "Processes in each state.",
                   [("", (("state", state),), by_status.get(state, 0)) for state in states])
        listing = participant_listing(self.store.registrations(), self.store.instances(), self.clock(),
                                      self.heartbeat_timeout)
        instances = []
        for entry in listing:
            alive = entry["alive"]
            name = str(entry["participant"])
            instances.append(("", (("participant", name), ("state", "alive")), alive))
            instances.append(("", (("participant", name), ("state", "silent")), len(entry["instances"]) - alive))
        out.family("boss_participant_instances", "gauge",
                   "Participant instances, alive (heartbeats within the timeout) or silent.", instances)
        totals = queries.count_records(self.store)
        # format 0.0.4 names a counter's family with its _total (as prometheus_client writes it)
        out.family("boss_dispatches_total", "counter",
                   "Workitems dispatched to participants (re-dispatches included).", [("", (), totals["dispatches"])])
        out.family("boss_retries_total", "counter", "Step retries: by the step's retry policy, or by an operator.",
                   [("", (("by", "policy"),), totals["retries_policy"]),
                    ("", (("by", "operator"),), totals["retries_operator"])])
        self.latency.update(self.store)
        out.family("boss_step_duration_seconds", "histogram", "How long step runs took, from start to end.",
                   self.latency.samples())
        dead = self.dead_letters()
        out.family("boss_broker_up", "gauge", "Whether the broker answered this scrape (1) or not (0).",
                   [("", (), 0 if dead is None else 1)])
        if dead is not None:
            out.family("boss_dead_letters", "gauge", "Messages waiting in the boss.dead queue.", [("", (), dead)])
        return out.text()


def dead_letter_count(amqp_url: str) -> int | None:
    """Messages in the ``boss.dead`` queue (a passive declare: nothing is created), or None when unreachable."""
    import pika
    import pika.exceptions

    from engine.transport import topology

    try:
        parameters = pika.URLParameters(amqp_url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = 3
        connection = pika.BlockingConnection(parameters)
    except (pika.exceptions.AMQPError, OSError):
        return None
    try:
        declared = connection.channel().queue_declare(queue=topology.DEAD_QUEUE, passive=True)
        return int(declared.method.message_count)
    except pika.exceptions.AMQPError:  # no such queue yet (no engine ever ran here): nothing dead
        return 0
    finally:
        if connection.is_open:
            connection.close()
