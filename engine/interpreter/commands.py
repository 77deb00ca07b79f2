"""Operator commands: cancel, pause, resume, retry, skip, and answers to approvals.

A command that does not apply (retrying a process that is not in error, answering when no approval waits)
is *rejected*: the state stays as it was and the reason goes back to whoever sent the command.
"""

from __future__ import annotations

from engine.interpreter.events import Answer, Cancel, Pause, Resume, Retry, Skip
from engine.interpreter.flow import begin, finish, restart, tear_down
from engine.interpreter.kinds.waiting import answer
from engine.interpreter.run import Run
from engine.interpreter.state import Node, NodeStatus, ProcessStatus, Purpose, Role
from engine.language import redact
from engine.language.model import ParticipantStep, subprocess_path


def cancel(run: Run, event: Cancel) -> None:
    state = run.state
    forced = state.status is ProcessStatus.CANCELLING
    state.status = ProcessStatus.CANCELLING
    state.paused = False
    state.message = event.reason or f"cancelled by {event.by or 'an operator'}"
    run.record("process.cancelling", None, by=event.by, reason=event.reason, forced=forced)
    for node in [n for n in state.nodes.values() if n.parent is None]:
        if node.id in state.nodes:
            tear_down(run, node)
    state.root = None
    state.parked = []
    handler = run.program.definition.on_cancel
    if handler is not None and not forced:
        block = run.add_node(parent=None, role=Role.BLOCK, definition=run.program.main,
                             path=subprocess_path(handler), purpose=Purpose.ON_CANCEL,
                             locals_={"cancel": {"by": event.by, "reason": event.reason}})
        begin(run, block)


def pause(run: Run, event: Pause) -> None:
    if run.state.paused:
        run.reject("the process is already paused")
        return
    if run.state.status is ProcessStatus.CANCELLING:
        run.reject("the process is being cancelled")
        return
    run.state.paused = True
    run.record("process.paused", None, by=event.by)


def resume(run: Run, event: Resume) -> None:
    state = run.state
    if not state.paused:
        run.reject("the process is not paused")
        return
    state.paused = False
    run.record("process.resumed", None, by=event.by)
    parked, state.parked = state.parked, []
    for node_id in parked:
        node = run.node(node_id)
        if node is not None:
            begin(run, node)


def retry(run: Run, event: Retry) -> None:
    node = _select(run, run.state.failed_nodes(), event.step, "failed step")
    if node is None:
        return
    secret = run.program.definition.secret_fields
    run.record("step.retried", node, by=event.by, fields=redact(event.fields, secret))
    for key, value in event.fields.items():
        run.write(node, key, value)
    node.retries = 0
    restart(run, node)


def skip(run: Run, event: Skip) -> None:
    node = _select(run, run.state.failed_nodes(), event.step, "failed step")
    if node is None:
        return
    finish(run, node, "skipped", reason="operator", by=event.by)


def approve(run: Run, event: Answer) -> None:
    waiting = [n for n in run.state.nodes.values()
               if n.role is Role.STEP and n.status is NodeStatus.ACTIVE and run.step_of(n).kind == "approve"]
    node = _select(run, waiting, event.step, "approval waiting")
    if node is not None:
        answer(run, node, event)


def _select(run: Run, nodes: list[Node], name: str | None, what: str) -> Node | None:
    """The node a command is about: the only candidate, or the one named by ``name``."""
    if name is not None:
        matches = [n for n in nodes if run.label_of(n) == name or n.path == name]
        if not matches:
            matches = [n for n in nodes if _participant_of(run, n) == name]
        nodes = matches
    labels = ", ".join(f"{run.label_of(n)} at {n.path}" for n in nodes)
    if len(nodes) == 1:
        return nodes[0]
    if not nodes:
        named = f" named {name!r}" if name else ""
        run.reject(f"no {what}{named} in process {run.state.id} (state {run.state.status.value})")
    else:
        run.reject(f"several steps match ({labels}): name one with --step")
    return None


def _participant_of(run: Run, node: Node) -> str | None:
    if node.role is not Role.STEP:
        return None
    step = run.step_of(node)
    return step.participant if isinstance(step, ParticipantStep) else None
