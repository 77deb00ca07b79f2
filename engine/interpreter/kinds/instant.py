"""Steps that finish the moment they start: set, fail and end."""

from __future__ import annotations

from engine.errors import ExpressionError
from engine.expressions import render
from engine.interpreter.failure import fail
from engine.interpreter.flow import error_at, finish, register, remove_node, tear_down
from engine.interpreter.run import Run
from engine.interpreter.state import Node, Role
from engine.language.model import EndStep, FailStep, SetStep


def start_set(run: Run, node: Node, step: SetStep) -> None:
    scope = run.scope(node)
    try:
        values = {str(key): render(value, scope) for key, value in step.values.items()}
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"set: {exc}"))
        return
    for key, value in values.items():
        run.write(node, key, value)
    finish(run, node, "done", result=values)


def start_fail(run: Run, node: Node, step: FailStep) -> None:
    try:
        message = str(render(step.message, run.scope(node)))
    except ExpressionError as exc:
        message = f"{step.message} (and the message could not be rendered: {exc})"
    fail(run, node, error_at(run, node, "fail", message))


def start_end(run: Run, node: Node, step: EndStep) -> None:
    try:
        message = str(render(step.message, run.scope(node)))
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"end: {exc}"))
        return
    _keep_own_changes(run, node)
    chain = [node, *run.ancestors(node)]
    on_chain = {scope.id for scope in chain}
    for scope in chain:
        for child_id in list(scope.children):
            child = run.node(child_id)
            if child is not None and child_id not in on_chain:
                tear_down(run, child)
    for scope in chain:
        run.stop_timers(scope)
        remove_node(run, scope)
        if scope.role is Role.STEP:
            run.record("step.done", scope, message=message)
    for other in list(run.state.nodes.values()):
        if other.parent is None and other.id in run.state.nodes:
            tear_down(run, other)
    run.state.root = None
    run.state.message = message or "ended by an end step"
    run.record("process.ended", None, message=run.state.message)


def _keep_own_changes(run: Run, node: Node) -> None:
    """Merge the isolated scopes on the end step's own path, so what led to `end` is kept."""
    chain = [node, *run.ancestors(node)]
    pending: dict[str, object] = {}
    for scope in chain:
        if scope.changes:
            pending = {**scope.changes, **pending}
    run.state.fields.update(pending)


register("set", start_set)
register("fail", start_fail)
register("end", start_end)
