"""Turning the run into figures: per-step latencies and the stepping window from the history, then the report.

Times come from the engine's own records (``step.dispatched`` / ``step.done`` / ``process.done``), not from
the benchmark's polling, so they are exact to the engine's batches: every record of one batch (one
transaction) carries the same timestamp, the moment the batch began.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from datetime import datetime

from engine.store import HistoryRow, Store
from tests.bench.phases import PARTICIPANT, BenchFailed, LaunchFigures, StepFigures

PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class Timeline:
    """What the history says about the stepping phase."""

    steps: int  # echo steps done, over all processes
    latencies: list[float]  # seconds from step.dispatched to step.done, each process's first step left out
    first_done: datetime  # the first echo step done: the participants have started
    last_done: datetime  # the last process done
    batches: int  # engine transactions that applied echo replies (records of one batch share its timestamp)

    @property
    def window(self) -> float:
        """Seconds of stepping: from the first echo step done to the last process done."""
        return (self.last_done - self.first_done).total_seconds()

    @property
    def rate(self) -> float:
        """Echo steps per second over the window (the step that opens the window does not count)."""
        return per_second(self.steps - 1, self.window)


def read_timeline(store: Store, processes: int) -> Timeline:
    """Read every process's history back (one query per process; after the run, so it costs no figure).

    The first echo step of each process is left out of the latencies: it was dispatched at launch, before
    any participant ran, so its wait says how long the participants took to start, not how fast steps go.
    """
    rows = store.list_processes(limit=processes + 1)
    steps, latencies = 0, []
    first: list[datetime] = []
    last: list[datetime] = []
    batches: set[datetime] = set()
    for row in rows:
        history = store.history(row.id)
        done, process_latencies = _echo_steps(history)
        steps += len(done)
        batches.update(done)
        latencies.extend(process_latencies[1:])
        first.extend(done[:1])
        last.extend(r.at for r in history if r.kind == "process.done")
    if not first or not last:
        raise BenchFailed("the history holds no finished echo step: nothing to measure")
    return Timeline(steps, latencies, min(first), max(last), len(batches))


def _echo_steps(history: list[HistoryRow]) -> tuple[list[datetime], list[float]]:
    """When each echo step of one process was done, and its dispatched-to-done latency, in order."""
    dispatched: dict[str, datetime] = {}
    done: list[datetime] = []
    latencies: list[float] = []
    for record in history:
        if record.kind == "step.dispatched" and record.data.get("participant") == PARTICIPANT and record.node:
            dispatched[record.node] = record.at
        elif record.kind == "step.done" and record.node in dispatched:
            done.append(record.at)
            latencies.append((record.at - dispatched.pop(record.node)).total_seconds())
    return done, latencies


def per_second(count: float, seconds: float) -> float:
    """``count / seconds``; NaN (printed as such) when a tiny run leaves no measurable time."""
    return count / seconds if seconds > 0 else float("nan")


def percentiles(values: list[float]) -> dict[int, float] | None:
    """The 50th/90th/99th percentiles (linear interpolation), None with fewer than two values."""
    if len(values) < 2:  # statistics.quantiles needs two
        return None
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {p: cuts[p - 1] for p in PERCENTILES}


@dataclass(frozen=True)
class Run:
    """Everything the report shows."""

    processes: int
    steps: int
    participants: int
    concurrency: int
    store: str
    baseline: float  # raw broker round trips per second
    launch: LaunchFigures
    stepping: StepFigures
    timeline: Timeline
    engine_peak_mb: float
    engine_cpu_total: float


def report(run: Run) -> str:
    """The figures block: one line per figure, each saying what it measures."""
    timeline, launch, stepping = run.timeline, run.launch, run.stepping
    window = timeline.window
    lines = [
        "",
        f"figures: {run.processes} processes x {run.steps} echo steps, {run.participants} echo participant(s) "
        f"with concurrency {run.concurrency}, store {run.store}",
        f"  broker baseline   {run.baseline:9.0f} raw round trips/s  "
        f"(pika echo, {run.processes} in flight, persistent, no confirms)",
        f"  launch            {per_second(launch.processes, launch.seconds):9.1f} processes/s  "
        f"({launch.processes} in {launch.seconds * 1000:.0f} ms: first request published -> all in the store; "
        f"engine CPU {_per(launch.engine_cpu, launch.processes)} per launch)",
        f"  steps             {timeline.rate:9.1f} steps/s  "
        f"({timeline.steps} steps in {window:.2f} s: first echo step done -> last process done)",
        f"  processes         {per_second(run.processes, window):9.2f} processes/s  ({run.steps} steps each)",
        f"  ratio             {timeline.rate / run.baseline:9.3f} of the broker's raw round trips/s  "
        f"(1.0 would mean engine + participants add nothing to a bare round trip)",
        *_latency_lines(run),
        f"  engine batches    {timeline.steps / timeline.batches:9.1f} replies per transaction  "
        f"({timeline.batches} transactions applied the {timeline.steps} replies)",
        f"  engine memory     {run.engine_peak_mb:9.1f} MB peak RSS (VmHWM, whole run)",
        _cpu_line("engine CPU", stepping.engine_cpu, window, timeline.steps)
        + f"; {run.engine_cpu_total:.2f} s in all",
        _cpu_line("participants CPU", stepping.participants_cpu, window, timeline.steps) + " (all instances)",
        f"  machine CPU       {stepping.machine_busy:9.0%} of {os.cpu_count()} cores busy while stepping "
        f"(everything: broker, engine, participants, this benchmark, other load)",
    ]
    return "\n".join(lines)


def _latency_lines(run: Run) -> list[str]:
    values = run.timeline.latencies
    cuts = percentiles(values)
    if cuts is None:
        return ["  per-step latency        n/a  (needs K >= 2: each process's first step is left out)"]
    ms = "  ".join(f"p{p} {cuts[p] * 1000:.1f}" for p in PERCENTILES)
    little = per_second(run.processes, run.timeline.rate) * 1000
    return [
        f"  per-step latency  {ms} ms, mean {statistics.fmean(values) * 1000:.1f} ms  "
        f"({len(values)} steps: step.dispatched -> step.done, i.e. queueing + participant + reply + engine batch)",
        f"                    with {run.processes} processes always waiting on one step each, Little's law "
        f"predicts a mean of P / steps/s = {little:.1f} ms",
    ]


def _cpu_line(label: str, seconds: float, window: float, steps: int) -> str:
    """CPU time over the stepping window: as a share of one core (1 = saturated if single-threaded), per step."""
    return (f"  {label:<16}  {seconds:9.2f} s while stepping = {per_second(seconds, window):.0%} of one core, "
            f"{_per(seconds, steps)} per step")


def _per(seconds: float, count: int) -> str:
    return f"{seconds / count * 1000:.2f} ms" if count else "n/a"
