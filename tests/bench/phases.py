"""The two measured phases: launching P processes, then running their K steps each.

They are kept apart so that each figure measures one thing. The processes are launched while no
participant runs yet: the engine does nothing but launch (create each process and dispatch its first
workitem), and the launch figure is the time from the first published request until all P processes are
in the store. Then the participants start and drain the work: from then on every process always has
exactly one workitem outstanding, the steady state of a closed loop with P clients.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pika
import sqlalchemy as sa

from engine.store import Store
from engine.store.schema import steps as steps_table
from engine.transport.client import new_request_id
from engine.transport.messages import LaunchMessage
from engine.transport.topology import LAUNCH_QUEUE
from tests.bench.services import CpuMeter, Daemon, broker_connection, machine_jiffies

DEFINITION = "bench-chain"
PARTICIPANT = "echo"
POLL = 0.01  # while launching: the launch figure is as exact as this
PROGRESS_POLL = 0.1  # while stepping: the figures come from the store, polling only has to notice the end
WATCH_EVERY = 0.25


class BenchFailed(Exception):
    """The run went wrong (a daemon died, a process failed, time ran out): no figures to print."""


@dataclass(frozen=True)
class LaunchFigures:
    """How long the engine took to launch every process, and the CPU it spent on that."""

    processes: int
    seconds: float
    engine_cpu: float


@dataclass(frozen=True)
class StepFigures:
    """The stepping phase as the benchmark observed it (the precise window comes from the store later)."""

    engine_cpu: float  # from just before the participants started
    participants_cpu: float  # from the moment each participant was seen consuming
    machine_busy: float  # fraction of all the machine's cores that were busy, whoever used them


# ---- launching -----------------------------------------------------------------------------------------
def launch_all(amqp_url: str, store: Store, engine: Daemon, processes: int, steps: int,
               timeout: float) -> LaunchFigures:
    """Publish P launch requests in one go and wait until the engine has stored all P processes.

    The requests go straight to ``boss.launch`` without ``reply_to`` (what ``boss launch`` does, minus
    waiting for each answer: the engine still stores every answer but publishes none), so the publisher is
    never what limits the rate.
    """
    bodies = [LaunchMessage(definition=DEFINITION, fields={"steps": steps}, request_id=new_request_id(),
                            by="bench").encode() for _ in range(processes)]
    cpu = CpuMeter()
    cpu.add(engine.pid)
    started = time.monotonic()
    _publish(amqp_url, bodies)
    _wait(lambda: store.count_processes() >= processes, timeout, f"the engine to launch {processes} processes",
          engine)
    return LaunchFigures(processes, time.monotonic() - started, cpu.used())


def _publish(amqp_url: str, bodies: list[bytes]) -> None:
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    with broker_connection(amqp_url) as connection:  # its clean close delivers everything published before it
        channel = connection.channel()
        for body in bodies:
            channel.basic_publish("", LAUNCH_QUEUE, body, properties)


# ---- stepping ------------------------------------------------------------------------------------------
def start_participants(spawn: Callable[[int], Daemon], count: int, engine: Daemon
                       ) -> tuple[list[Daemon], CpuMeter, CpuMeter]:
    """Start the participants (``spawn(number)``); return them with the CPU meters of the stepping phase.

    The engine is idle until the first reply, so its meter starts now; each participant's starts when it
    is seen consuming (within 20 ms), so that the start-up of its interpreter (imports) is not counted
    as work. The first participant may work a little before the last is up: that is part of the run.
    """
    engine_cpu, participants_cpu = CpuMeter(), CpuMeter()
    engine_cpu.add(engine.pid)
    participants = [spawn(number) for number in range(count)]
    for participant in participants:
        participant.wait_for_line("consuming")
        participants_cpu.add(participant.pid)
    return participants, engine_cpu, participants_cpu


def run_steps(store: Store, engine: Daemon, participants: list[Daemon], processes: int, steps: int,
              timeout: float, engine_cpu: CpuMeter, participants_cpu: CpuMeter) -> StepFigures:
    """Wait until every process is done, printing progress once a second.

    Args:
        store: the run's store, polled for progress.
        engine: the engine, checked for signs of trouble once a second (as are the participants).
        participants: the participants.
        processes: P.
        steps: K.
        timeout: seconds before giving up.
        engine_cpu: the engine's CPU meter (see :func:`start_participants`).
        participants_cpu: the participants' CPU meter.
    """
    total = processes * steps
    busy_before, total_before = machine_jiffies()
    started = time.monotonic()
    deadline = started + timeout
    next_report = started + 1.0
    while (done := _count_done(store)) < processes:
        now = time.monotonic()
        if now >= next_report:
            finished = echo_steps_done(store)
            print(f"  {now - started:6.1f}s  steps {finished:>7}/{total}  ({finished / (now - started):7.1f}/s)  "
                  f"processes done {done}/{processes}", flush=True)
            next_report += 1.0
            _watch(engine, *participants)
            _no_failures(store)
        if now > deadline:
            raise BenchFailed(f"only {done} of {processes} processes were done after {timeout:g}s")
        time.sleep(PROGRESS_POLL)
    busy, all_ticks = machine_jiffies()
    print(f"  {time.monotonic() - started:6.1f}s  steps {total:>7}/{total}  all {processes} processes done",
          flush=True)
    return StepFigures(engine_cpu.used(), participants_cpu.used(),
                       (busy - busy_before) / max(all_ticks - total_before, 1))


def _count_done(store: Store) -> int:
    return store.count_processes(statuses=["done"])


def echo_steps_done(store: Store) -> int:
    """How many echo steps are done so far, over all processes (one query on the steps projection)."""
    query = (sa.select(sa.func.count()).select_from(steps_table)
             .where(steps_table.c.participant == PARTICIPANT, steps_table.c.status == "done"))
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _no_failures(store: Store) -> None:
    failed = store.list_processes(statuses=["error", "cancelled"], limit=1)
    if failed:
        row = failed[0]
        raise BenchFailed(f"process {row.id} ended {row.status}: {row.error_step}: {row.error_message}")


# ---- shared --------------------------------------------------------------------------------------------
def _watch(engine: Daemon, *participants: Daemon) -> None:
    """Fail fast when a daemon died or the engine dead-lettered something (a refused launch, a bad reply)."""
    for daemon in (engine, *participants):
        if not daemon.alive():
            raise BenchFailed(f"{daemon.name} died (exit code {daemon.popen.returncode}):\n{daemon.tail()}")
    if "dead-lettered" in engine.text():  # the engine logs little; the participants log every workitem
        raise BenchFailed(f"the engine dead-lettered a message:\n{engine.tail()}")


def _wait(condition: Callable[[], bool], timeout: float, what: str, engine: Daemon) -> None:
    """Poll ``condition`` every 10 ms; check on the engine four times a second."""
    deadline = time.monotonic() + timeout
    next_watch = time.monotonic() + WATCH_EVERY
    while not condition():
        now = time.monotonic()
        if now > deadline:
            raise BenchFailed(f"timed out after {timeout:g}s waiting for {what}")
        if now >= next_watch:
            _watch(engine)
            next_watch = now + WATCH_EVERY
        time.sleep(POLL)
