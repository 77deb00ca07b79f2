"""Participant steps: dispatch a workitem, follow its replies and heartbeats, notice a lost participant.

A participant acks a workitem as soon as it accepts it and then sends heartbeats; the engine does not hold
a delivery open for hours. The interpreter therefore keeps a *lease*: after ``accepted``, a timer checks
that a reply or heartbeat came within ``heartbeat_timeout``; if none did, the workitem is presumed lost, a
cancel request goes to the silent instance, and the step fails with a retryable ``lost`` error (re-dispatch
with the next attempt number). Replies for an older attempt, or for a step that moved on, are ignored.
"""

from __future__ import annotations

import json
from typing import Any

from engine.errors import ExpressionError
from engine.expressions import render
from engine.interpreter.effects import Dispatch, Workitem
from engine.interpreter.events import Reply
from engine.interpreter.failure import fail
from engine.interpreter.flow import cancel_work, error_at, finish, register
from engine.interpreter.run import Run
from engine.interpreter.state import Node, Work
from engine.language.keys import RESERVED_NAMES
from engine.language.model import ParticipantStep
from engine.timing import format_duration

SUMMARY_LIMIT = 2000

MAX_RETRY_AFTER = 24 * 3600.0  # a service asking for more than a day is not taken at its word


def start_participant(run: Run, node: Node, step: ParticipantStep) -> None:
    scope = run.scope(node)
    try:
        params = render(step.params, scope)
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"params: {exc}"))
        return
    node.attempt += 1
    state = run.state
    workitem_id = f"{state.id}/{node.id}"
    deadline = run.now + step.timeout if step.timeout else None
    workitem = Workitem(
        id=workitem_id, process_id=state.id, process_name=state.name, step=step.label, path=node.path,
        participant=step.participant, attempt=node.attempt, idempotency_key=workitem_id,
        fields=run.workitem_fields(node), params=params, deadline=deadline,
        heartbeat_interval=state.options.heartbeat_interval.total_seconds(), sent_at=run.now,
    )
    node.work = Work(id=workitem_id, attempt=node.attempt, participant=step.participant, sent_at=run.now)
    run.effects.append(Dispatch(workitem=workitem))
    run.record("step.dispatched", node, participant=step.participant, workitem=workitem_id,
               attempt=node.attempt, params=_redacted(run, params))


def on_reply(run: Run, reply: Reply) -> None:
    """Apply a participant's reply to the step it belongs to, unless it is stale."""
    node = run.node(reply.workitem.rpartition("/")[2])
    work = node.work if node is not None else None
    if node is None or work is None or work.id != reply.workitem or work.attempt != reply.attempt:
        run.record("reply.ignored", None, workitem=reply.workitem, attempt=reply.attempt, reply=reply.kind,
                   reason="the step is not waiting for this workitem attempt")
        return
    work.last_seen = reply.at
    work.instance = reply.instance or work.instance
    timeout = run.state.options.heartbeat_timeout
    if reply.kind == "accepted":
        work.accepted_at = reply.at
        run.record("step.accepted", node, instance=work.instance, attempt=work.attempt)
        run.start_timer(node, "lease", reply.at + timeout)
    elif reply.kind == "progress":
        if reply.progress:
            work.progress.update(reply.progress)
            run.record("step.progress", node, instance=work.instance, progress=reply.progress)
        if "lease" not in node.timers:
            run.start_timer(node, "lease", reply.at + timeout)
    elif reply.kind == "done":
        _done(run, node, reply)
    else:
        _error(run, node, reply)


def _done(run: Run, node: Node, reply: Reply) -> None:
    step = run.step_of(node)
    run.stop_timer(node, "lease")
    node.work = None
    for key, value in reply.fields.items():
        if key not in RESERVED_NAMES:
            run.write(node, key, value)
    result_key = step.result_key
    if result_key is not None:
        run.write(node, result_key, reply.result)
    finish(run, node, "done", result=summarize(reply.result), instance=reply.instance)


def _error(run: Run, node: Node, reply: Reply) -> None:
    run.stop_timer(node, "lease")
    node.work = None
    problem = reply.error
    message = problem.message if problem else "the participant reported an error without a message"
    error = error_at(run, node, problem.type if problem else "ParticipantError", message,
                     retryable=problem.retryable if problem else False, detail=problem.detail if problem else None)
    if problem is not None and problem.retry_after:
        error = error.model_copy(update={"retry_after": min(max(problem.retry_after, 0.0), MAX_RETRY_AFTER)})
    fail(run, node, error)


def lease_expired(run: Run, node: Node) -> None:
    """The lease timer fired: renew it if the participant was heard from, else declare the work lost."""
    work = node.work
    if work is None:
        return
    timeout = run.state.options.heartbeat_timeout
    last = work.last_seen or work.accepted_at or work.sent_at
    if run.now - last < timeout:
        run.start_timer(node, "lease", last + timeout)
        return
    instance = work.instance or "the participant"
    cancel_work(run, node)
    message = f"lost: no heartbeat from {instance} for {format_duration(run.now - last)}"
    fail(run, node, error_at(run, node, "lost", message, retryable=True))


def summarize(value: Any) -> Any:
    """A result small enough for a history record."""
    text = json.dumps(value, default=str)
    if len(text) <= SUMMARY_LIMIT:
        return value
    return {"summary": text[:SUMMARY_LIMIT] + "...", "size": len(text)}


def _redacted(run: Run, params: Any) -> Any:
    """Params for the record, with the values of secret fields masked wherever they appear."""
    secrets = [str(v) for k, v in run.state.fields.items()
               if k in run.program.definition.secret_fields and v not in (None, "")]
    if not secrets:
        return params
    text = json.dumps(params, default=str)
    for secret in secrets:
        text = text.replace(json.dumps(secret)[1:-1], "***")
    return json.loads(text)


register("participant", start_participant)
