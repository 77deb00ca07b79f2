"""The engine's core: a batch of inputs -> the interpreter -> ONE transaction. No AMQP here.

The daemon hands over a batch of deliveries (launches, commands, replies, participant announcements) and
acks them all once :meth:`EngineCore.handle` returns, i.e. after the commit. Everything that must leave
the engine (workitems, cancel requests, answers to requesters, dead letters) is written to the outbox in
that same transaction and published afterwards, so a crash between commit and publish only re-publishes.
Process records go out as transient events after the commit: observers may miss one, the history never.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.config import Settings
from engine.errors import BossError
from engine.interpreter import ProcessState, Transition, advance, launch
from engine.interpreter.effects import CancelWork, Dispatch, Record, StartTimer, StopTimer
from engine.interpreter.events import (
    Answer,
    Cancel,
    Event,
    Launch,
    Pause,
    Reply,
    ReplyError,
    Resume,
    Retry,
    Skip,
    TimerFired,
)  # fmt: skip
from engine.interpreter.state import Options
from engine.language import Program
from engine.language.model import ParticipantStep
from engine.service import outgoing
from engine.service.programs import Programs
from engine.store import InstanceRow, OutboxRow, Outgoing, RegistrationRow, Store, Tx
from engine.transport import topology
from engine.transport.messages import (
    Announcement,
    CommandMessage,
    LaunchMessage,
    MessageError,
    Registration,
    ReplyMessage,
    ResponseMessage,
)  # fmt: skip
from engine.transport.signing import UNSIGNED, signature_of, verify

log = logging.getLogger("boss.engine")

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Incoming:
    """One delivery, as the daemon received it."""

    queue: str
    body: bytes
    tag: int = 0
    reply_to: str | None = None
    headers: dict[str, Any] | None = None


@dataclass
class _Open:
    """A process touched by the current batch."""

    state: ProcessState
    program: Program
    digest: str
    new: bool = False
    records: list[Record] = field(default_factory=list)
    timers: list[StartTimer | StopTimer] = field(default_factory=list)


@dataclass
class BatchResult:
    """What the daemon does after the commit: publish transient events; count what happened."""

    events: list[tuple[str, bytes]] = field(default_factory=list)
    outbox: list[OutboxRow] = field(default_factory=list)  # committed: the daemon publishes them now
    dead: int = 0
    finished: list[str] = field(default_factory=list)


def real_clock(offset: float = 0.0) -> Clock:
    """The wall clock in UTC, shifted by ``offset`` seconds (time-travel drills and tests)."""
    shift = timedelta(seconds=offset)
    return lambda: datetime.now(UTC) + shift


class EngineCore:
    """Applies batches of inputs to processes; owns no connection."""

    def __init__(self, store: Store, programs: Programs, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.programs = programs
        self.settings = settings
        self.clock = clock
        self.options = Options(heartbeat_interval=timedelta(seconds=settings.heartbeat_interval),
                               heartbeat_timeout=timedelta(seconds=settings.heartbeat_timeout),
                               lost_retries=settings.lost_retries)

    # ---- batches of deliveries ---------------------------------------------------------------------
    def handle(self, batch: list[Incoming], done_outbox: Sequence[int] = ()) -> BatchResult:
        """Apply a batch in one transaction. Raises StoreError (nothing committed) when the store fails.

        Args:
            batch: the deliveries, in order.
            done_outbox: outbox rows the broker confirmed since the last batch, deleted in this transaction.
        """
        now = self.clock()
        with self.store.transaction() as tx:
            if done_outbox:
                tx.delete_outbox(done_outbox)
            work = _Batch(self, tx, now)
            for message in batch:
                work.one(message)
            return work.commit()

    def delete_outbox(self, ids: Sequence[int]) -> None:
        """Forget outbox rows the broker confirmed."""
        with self.store.transaction() as tx:
            tx.delete_outbox(ids)

    def fire_timers(self, limit: int = 500) -> tuple[int, BatchResult]:
        """Fire the timers that are due; returns how many fired."""
        now = self.clock()
        with self.store.transaction() as tx:
            due = tx.claim_due_timers(now, limit)
            work = _Batch(self, tx, now)
            for timer in due:
                opened = work.open(timer.process_id)
                if opened is not None:
                    work.apply(timer.process_id, TimerFired(at=max(now, timer.due), timer=timer.timer))
            tx.delete_timers([(t.process_id, t.timer) for t in due])
            return len(due), work.commit()


class _Batch:
    """One transaction's worth of work."""

    def __init__(self, core: EngineCore, tx: Tx, now: datetime) -> None:
        self.core = core
        self.tx = tx
        self.now = now
        self.open_processes: dict[str, _Open] = {}
        self.outbox: list[Outgoing] = []
        self.result = BatchResult()
        self.served: tuple[set[str], dict[str, list[str]]] | None = None

    # ---- dispatch by queue -------------------------------------------------------------------------
    def one(self, message: Incoming) -> None:
        try:
            if not self.authentic(message):
                self.unsigned(message)
            elif message.queue == topology.REPLIES_QUEUE:
                self.reply(ReplyMessage.decode(message.body), message)
            elif message.queue == topology.LAUNCH_QUEUE:
                self.launch(LaunchMessage.decode(message.body), message)
            elif message.queue == topology.COMMANDS_QUEUE:
                self.command(CommandMessage.decode(message.body), message)
            elif message.queue == topology.REGISTRY_QUEUE and _kind(message) == "registration":
                self.registration(Registration.decode(message.body), message)
            elif message.queue == topology.REGISTRY_QUEUE:
                self.announcement(Announcement.decode(message.body))
            else:
                self.dead(message, f"the engine does not consume {message.queue}")
        except MessageError as exc:
            self.dead(message, str(exc))

    def authentic(self, message: Incoming) -> bool:
        """Whether a delivery may be acted on: always without a signing key, else only when signed with it."""
        key = self.core.settings.signing_key
        return not key or verify(key, message.body, signature_of(message.headers))

    def unsigned(self, message: Incoming) -> None:
        """Dead-letter a message that is not signed with the key; a requester is told why, in one line.

        The refusal is not saved as the request's answer: an unsigned request must not be able to claim a
        request id, nor to read the answer a signed request with the same id got.
        """
        self.dead(message, UNSIGNED)
        kind = _REQUESTS.get(message.queue)
        if kind is None:
            return
        try:
            request = kind.decode(message.body)
        except MessageError:
            return
        target = request.reply_to or message.reply_to
        if target:
            self.outbox.append(outgoing.response(target, ResponseMessage(
                request_id=request.request_id, ok=False, error=f"{UNSIGNED} (set BOSS_SIGNING_KEY)")))

    def dead(self, message: Incoming, reason: str) -> None:
        log.warning("dead-lettered a message from %s: %s", message.queue, reason)
        self.outbox.append(outgoing.dead_letter(message.queue, message.body, reason, self.now))
        self.result.dead += 1

    def answer(self, message: Incoming, request_id: str, reply_to: str | None, answer: ResponseMessage) -> None:
        self.tx.save_response(request_id, answer.model_dump_json())
        target = reply_to or message.reply_to
        if target:
            self.outbox.append(outgoing.response(target, answer))

    def _repeat(self, message: Incoming, request_id: str, reply_to: str | None) -> bool:
        """A request seen before gets its first answer again (redeliveries must not act twice)."""
        previous = self.tx.find_response(request_id)
        if previous is None:
            return False
        target = reply_to or message.reply_to
        if target:
            self.outbox.append(outgoing.response(target, ResponseMessage.model_validate_json(previous)))
        return True

    # ---- launches ----------------------------------------------------------------------------------
    def launch(self, request: LaunchMessage, message: Incoming) -> None:
        if self._repeat(message, request.request_id, request.reply_to):
            return
        try:
            program = self.core.programs.for_launch(request.definition, request.bundle)
            process_id = new_process_id(self.now)
            transition = launch(program, Launch(at=self.now, process_id=process_id, fields=request.fields,
                                                by=request.by, options=self.core.options))
        except BossError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.dead(message, f"launch refused: {reason}")
            self.answer(message, request.request_id, request.reply_to,
                        ResponseMessage(request_id=request.request_id, ok=False, error=str(exc)))
            return
        digest = self.core.programs.remember(self.tx, program)
        self.open_processes[process_id] = _Open(transition.state, program, digest, new=True)
        self._absorb(process_id, transition)
        answer = ResponseMessage(request_id=request.request_id, ok=True, process_id=process_id,
                                 status=transition.state.status.value, warnings=self._unserved(program))
        self.answer(message, request.request_id, request.reply_to, answer)

    def _unserved(self, program: Program) -> list[str]:
        """Warnings for participants the program uses that are not registered, or have no live instance."""
        used = sorted({s.participant for d in program.definitions.values() for s in d.all_steps()
                       if isinstance(s, ParticipantStep)})
        alive, pools = self._served()
        warnings = []
        for name in (n for n in used if n not in alive):
            queue = topology.participant_queue(name)
            if name in pools:
                warnings.append(f"no instance of participant {name!r} is running (installed in "
                                f"{', '.join(pools[name])}; skynet start {name}): its workitems wait in {queue}")
            else:
                warnings.append(f"participant {name!r} is not registered (skynet install SPEC, or skynet run "
                                f"SPEC): its workitems wait in {queue} until an instance starts")
        return warnings

    def _served(self) -> tuple[set[str], dict[str, list[str]]]:
        """Participants with a live instance, and the pools each is installed in (read once per batch)."""
        if self.served is None:
            timeout = self.core.options.heartbeat_timeout
            alive = {i.participant for i in self.core.store.instances() if self.now - i.last_seen <= timeout}
            pools: dict[str, list[str]] = {}
            for row in self.core.store.registrations():
                pools.setdefault(row.participant, []).append(row.pool or row.host)
            self.served = (alive, pools)
        return self.served

    # ---- commands and replies ----------------------------------------------------------------------
    def command(self, request: CommandMessage, message: Incoming) -> None:
        if self._repeat(message, request.request_id, request.reply_to):
            return
        opened = self.open(request.process_id)
        if opened is None:
            self.dead(message, f"unknown process {request.process_id!r}")
            self.answer(message, request.request_id, request.reply_to, ResponseMessage(
                request_id=request.request_id, ok=False, error=f"no process {request.process_id}"))
            return
        transition = self.apply(request.process_id, self._command_event(request))
        ok = transition.rejected is None
        answer = ResponseMessage(request_id=request.request_id, ok=ok, process_id=request.process_id,
                                 status=transition.state.status.value, error=transition.rejected)
        self.answer(message, request.request_id, request.reply_to, answer)

    def _command_event(self, request: CommandMessage) -> Event:
        at, by = self.now, request.by
        if request.command == "cancel":
            return Cancel(at=at, by=by, reason=request.comment or None)
        if request.command == "pause":
            return Pause(at=at, by=by)
        if request.command == "resume":
            return Resume(at=at, by=by)
        if request.command == "retry":
            return Retry(at=at, by=by, step=request.step, fields=request.fields)
        if request.command == "skip":
            return Skip(at=at, by=by, step=request.step)
        groups = {g for g, members in self.core.settings.groups.items() if by in members}
        return Answer(at=at, by=by, step=request.step, approved=request.approved, comment=request.comment,
                      groups=tuple(sorted(groups | set(request.groups))))

    def reply(self, reply: ReplyMessage, message: Incoming) -> None:
        if self.open(reply.process_id) is None:
            self.dead(message, f"reply for unknown process {reply.process_id!r}")
            return
        error = ReplyError.model_validate(reply.error.model_dump()) if reply.error else None
        self.apply(reply.process_id, Reply(at=self.now, workitem=reply.id, attempt=reply.attempt, kind=reply.kind,
                                           result=reply.result, fields=reply.fields, progress=reply.progress,
                                           error=error, instance=reply.instance))

    def registration(self, request: Registration, message: Incoming) -> None:
        """Install or uninstall a participant in the registry, and confirm it to the requester."""
        if request.kind == "unregister":
            self.tx.remove_registration(request.participant, request.pool)
        elif request.queue is None:
            raise MessageError("invalid Registration: queue: a registration needs the participant's queue")
        else:
            self.tx.upsert_registration(RegistrationRow(
                participant=request.participant, pool=request.pool, host=request.host, queue=request.queue,
                version=request.version, description=request.description, params_schema=request.params_schema,
                config_keys=list(request.config_keys), registered_at=self.now, registered_by=request.by))
        if message.reply_to:
            self.outbox.append(outgoing.response(message.reply_to, ResponseMessage(
                request_id=request.request_id, ok=True, status=f"{request.kind}ed")))

    def announcement(self, note: Announcement) -> None:
        if note.kind == "goodbye":
            self.tx.remove_instance(note.instance)
            return
        if note.kind == "register":
            self.tx.upsert_registration(RegistrationRow(
                participant=note.participant, pool=note.pool or "", host=note.host, queue=note.queue,
                version=note.version, description=note.description, params_schema=note.params_schema,
                config_keys=list(note.config_keys), registered_at=self.now, registered_by=note.instance))
        current = note.current.model_dump(mode="json") if note.current else None
        self.tx.upsert_instance(InstanceRow(
            instance=note.instance, participant=note.participant, host=note.host, pool=note.pool, pid=note.pid,
            version=note.version, description=note.description, queue=note.queue,
            params_schema=note.params_schema, config_keys=list(note.config_keys), started_at=note.started_at,
            last_seen=self.now, current=current, handled=note.handled))

    # ---- processes ---------------------------------------------------------------------------------
    def open(self, process_id: str) -> _Open | None:
        """The process, loaded (and locked) once per batch."""
        opened = self.open_processes.get(process_id)
        if opened is None:
            loaded = self.tx.load_process(process_id, lock=True)
            if loaded is None:
                return None
            state, digest = loaded
            opened = _Open(state, self.core.programs.get(self.tx, digest), digest)
            self.open_processes[process_id] = opened
        return opened

    def apply(self, process_id: str, event: Event) -> Transition:
        opened = self.open_processes[process_id]
        transition = advance(opened.program, opened.state, event)
        if transition.rejected is None:
            opened.state = transition.state
            self._absorb(process_id, transition)
        return transition

    def _absorb(self, process_id: str, transition: Transition) -> None:
        opened = self.open_processes[process_id]
        for effect in transition.effects:
            if isinstance(effect, Dispatch):
                self.outbox.append(outgoing.workitem(effect, self.core.settings.signing_key))
            elif isinstance(effect, CancelWork):
                self.outbox.append(outgoing.control(effect, self.now, self.core.settings.signing_key))
            elif isinstance(effect, StartTimer | StopTimer):
                opened.timers.append(effect)
            elif isinstance(effect, Record):
                opened.records.append(effect)
        if transition.state.status.finished and process_id not in self.result.finished:
            self.result.finished.append(process_id)

    def commit(self) -> BatchResult:
        """Write every touched process, its records and timers, and the outbox (the caller commits)."""
        tx = self.tx
        changed = [o.state for o in self.open_processes.values() if not o.new and (o.records or o.timers)]
        tx.update_processes(changed)
        for process_id, opened in self.open_processes.items():
            if opened.new:
                tx.insert_process(opened.state, opened.digest)
            if opened.records:
                tx.append_records(process_id, opened.records)
                state = opened.state
                self.result.events.append(
                    outgoing.process_event(process_id, state.name, state.status.value, opened.records))
            if opened.timers:
                tx.apply_timers(process_id, opened.timers)
        self.result.outbox = tx.add_outbox(self.outbox)
        return self.result


def _kind(message: Incoming) -> str | None:
    """The ``boss-type`` header of a delivery, if any."""
    value = (message.headers or {}).get("boss-type")
    return value.decode() if isinstance(value, bytes) else value


_REQUESTS: dict[str, type[LaunchMessage] | type[CommandMessage]] = {
    topology.LAUNCH_QUEUE: LaunchMessage, topology.COMMANDS_QUEUE: CommandMessage}


def new_process_id(now: datetime) -> str:
    """A process id: sortable by launch day, random enough to never collide, short enough to type."""
    return f"{now:%y%m%d}-{secrets.token_hex(4)}"
