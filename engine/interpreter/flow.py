"""The life cycle every node shares: start (guards, timeout), finish, tear-down, and telling the parent.

Step kinds plug in through :func:`register`; this module knows nothing about what a kind does, only when
it starts and how its completion travels up the tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.errors import ExpressionError
from engine.expressions import truthy
from engine.interpreter.effects import CancelWork
from engine.interpreter.run import ChildDone, Run
from engine.interpreter.state import ErrorInfo, Node, NodeStatus, Role
from engine.language.model import ParticipantStep, Step


@dataclass(frozen=True)
class Kind:
    """How one step kind starts and reacts to a finished child."""

    start: Callable[[Run, Node, Any], None]
    child_done: Callable[[Run, Node, Any, ChildDone], None] | None = None


KINDS: dict[str, Kind] = {}


def register(kind: str, start: Callable[[Run, Node, Any], None],
             child_done: Callable[[Run, Node, Any, ChildDone], None] | None = None) -> None:
    """Plug a step kind into the interpreter."""
    KINDS[kind] = Kind(start, child_done)


# ---- starting --------------------------------------------------------------------------------------
def begin(run: Run, node: Node) -> None:
    """Start a node now, or hold it when the process is paused (steps only)."""
    if run.state.paused and node.role is Role.STEP:
        node.status = NodeStatus.PARKED
        run.state.parked.append(node.id)
        run.record("step.parked", node)
        return
    node.status = NodeStatus.ACTIVE
    node.started_at = run.now
    if node.role is Role.STEP:
        start_step(run, node)
    elif node.role is Role.BLOCK:
        node.index = 0
        next_in_block(run, node)
    else:
        start_process(run, node)


def start_process(run: Run, node: Node) -> None:
    """The root: run the definition's steps, under the process timeout if there is one."""
    timeout = run.definition_of(node).timeout
    if timeout is not None:
        run.start_timer(node, "timeout", run.now + timeout)
    body = run.add_node(parent=node, role=Role.BLOCK, definition=node.definition, path="steps")
    begin(run, body)


def next_in_block(run: Run, node: Node) -> None:
    """Start the block's next step, or finish the block after its last."""
    steps = run.definition_of(node).list_at(node.path)
    if node.index >= len(steps):
        finish(run, node, "done")
        return
    child = run.add_node(parent=node, role=Role.STEP, definition=node.definition,
                         path=f"{node.path}[{node.index}]")
    begin(run, child)


def start_step(run: Run, node: Node) -> None:
    """Check guards, arm the step's timeout and hand over to its kind."""
    step = run.step_of(node)
    try:
        skip_reason = _guard(run, node, step)
    except ExpressionError as exc:
        from engine.interpreter.failure import fail

        fail(run, node, error_at(run, node, "expression", str(exc)))
        return
    if skip_reason is not None:
        finish(run, node, "skipped", reason=skip_reason)
        return
    run.record("step.started", node, step_kind=step.kind, attempt=node.retries + 1)
    if step.timeout is not None:
        run.start_timer(node, "timeout", run.now + step.timeout)
    KINDS[step.kind].start(run, node, step)


def _guard(run: Run, node: Node, step: Step) -> str | None:
    if step.when is not None and not truthy(step.when, run.scope(node)):
        return f"when: {step.when}"
    if step.unless is not None and truthy(step.unless, run.scope(node)):
        return f"unless: {step.unless}"
    return None


def restart(run: Run, node: Node) -> None:
    """Run a node again from its start (retry policy or operator retry)."""
    node.index = 0
    node.results = {}
    node.items = None
    node.work = None
    node.error = None
    node.handling = False
    begin(run, node)


# ---- finishing ---------------------------------------------------------------------------------------
def finish(run: Run, node: Node, outcome: str, *, control: str | None = None, **data: Any) -> None:
    """A node is over: leave the tree, record it, and tell the parent (later)."""
    tear_down_children(run, node)
    run.stop_timers(node)
    remove_node(run, node)
    if node.role is Role.STEP:
        run.record(f"step.{outcome}", node, **data)
    if node.parent is None:
        if node.id == run.state.root:
            run.state.root = None
        return
    done = ChildDone(child=node.id, slot=node.slot, changes=node.changes, control=control)
    run.later(child_finished, run, node.parent, done)


def child_finished(run: Run, parent_id: str, done: ChildDone) -> None:
    """Route a child's completion to its parent's logic."""
    parent = run.node(parent_id)
    if parent is None:
        return
    if parent.role is Role.BLOCK:
        parent.index += 1
        next_in_block(run, parent)
    elif parent.role is Role.PROCESS:
        finish(run, parent, "done")
    elif parent.handling:
        finish(run, parent, "recovered", error=_error_data(parent.error))
    else:
        step = run.step_of(parent)
        handler = KINDS[step.kind].child_done
        if handler is None:
            finish(run, parent, "done")
        else:
            handler(run, parent, step, done)


def tear_down_children(run: Run, node: Node) -> None:
    """Cancel and remove everything running under ``node``."""
    for child_id in list(node.children):
        child = run.node(child_id)
        if child is not None:
            tear_down(run, child)
    node.children = []


def tear_down(run: Run, node: Node) -> None:
    """Cancel a node and its subtree: workitems get cancel requests, timers stop, nodes leave."""
    tear_down_children(run, node)
    cancel_work(run, node)
    run.stop_timers(node)
    was_running = node.status is not NodeStatus.FAILED
    remove_node(run, node)
    if node.role is Role.STEP and was_running:
        run.record("step.cancelled", node)


def cancel_work(run: Run, node: Node) -> None:
    """Send a cancel request for the node's workitem in flight, if any."""
    work = node.work
    if work is None:
        return
    run.stop_timer(node, "lease")
    run.effects.append(CancelWork(workitem=work.id, attempt=work.attempt, participant=work.participant,
                                  instance=work.instance))
    run.record("step.cancel_requested", node, workitem=work.id, attempt=work.attempt, instance=work.instance)
    node.work = None


def remove_node(run: Run, node: Node) -> None:
    """Take a node out of the tree (nothing else: no records, no cancel)."""
    run.state.nodes.pop(node.id, None)
    if node.id in run.state.parked:
        run.state.parked.remove(node.id)
    parent = run.parent_of(node)
    if parent is not None and node.id in parent.children:
        parent.children.remove(node.id)


# ---- helpers shared by kinds ---------------------------------------------------------------------------
def error_at(run: Run, node: Node, kind: str, message: str, *, retryable: bool = False,
             detail: Any = None) -> ErrorInfo:
    """An error located at ``node``."""
    participant = None
    if node.role is Role.STEP:
        step = run.step_of(node)
        participant = step.participant if isinstance(step, ParticipantStep) else None
    return ErrorInfo(type=kind, message=message, step=run.label_of(node), path=node.path,
                     participant=participant, retryable=retryable, detail=detail)


def _error_data(error: ErrorInfo | None) -> dict[str, Any]:
    return {"type": error.type, "message": error.message} if error else {}


def merge_changes(run: Run, node: Node, results: dict[str, dict[str, Any]]) -> None:
    """Merge finished branches' changes into the scope of ``node``, in slot (definition/item) order."""
    for slot in sorted(results, key=int):
        for key, value in results[slot].items():
            run.write(node, key, value)
