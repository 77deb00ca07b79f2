"""loop, break and continue.

``until`` is checked after each iteration; reaching ``max`` first is an error of the loop step. A loop that
iterates ``MAX_SPINS`` times within one event (no participant, wait or approval in its body to pause it)
is stopped with an error, so a definition can never hang the engine.
"""

from __future__ import annotations

from engine.errors import ExpressionError
from engine.expressions import truthy
from engine.interpreter.failure import fail
from engine.interpreter.flow import (
    begin,
    child_finished,
    error_at,
    finish,
    register,
    remove_node,
    tear_down,
)  # fmt: skip
from engine.interpreter.run import ChildDone, Run
from engine.interpreter.state import Node, Purpose, Role
from engine.language.model import BreakStep, ContinueStep, LoopStep

MAX_SPINS = 10_000


def _loop_info(index: int) -> dict[str, object]:
    return {"index": index, "index0": index - 1, "first": index == 1}


def start_loop(run: Run, node: Node, step: LoopStep) -> None:
    node.index = 0
    _iterate(run, node, step)


def _iterate(run: Run, node: Node, step: LoopStep) -> None:
    if node.spin_event != run.state.events:
        node.spin_event = run.state.events
        node.spins = 0
    node.spins += 1
    if node.spins > MAX_SPINS:
        message = f"loop ran {MAX_SPINS} iterations without waiting for anything; is 'until' ever true?"
        fail(run, node, error_at(run, node, "loop", message))
        return
    node.index += 1
    block = run.add_node(parent=node, role=Role.BLOCK, definition=node.definition, path=f"{step.path}.loop",
                         slot=node.index, locals_={"loop": _loop_info(node.index)})
    begin(run, block)


def loop_child_done(run: Run, node: Node, step: LoopStep, done: ChildDone) -> None:
    if done.control == "break":
        finish(run, node, "done", iterations=node.index)
        return
    if step.until is not None:
        try:
            over = truthy(step.until, run.scope(node, loop=_loop_info(node.index)))
        except ExpressionError as exc:
            fail(run, node, error_at(run, node, "expression", f"until: {exc}"))
            return
        if over:
            finish(run, node, "done", iterations=node.index)
            return
    if step.max is not None and node.index >= step.max:
        why = f"'until: {step.until}' never held" if step.until else "no break"
        fail(run, node, error_at(run, node, "loop", f"loop reached max {step.max} iterations ({why})"))
        return
    _iterate(run, node, step)


def start_break(run: Run, node: Node, step: BreakStep) -> None:
    _leave_iteration(run, node, "break")


def start_continue(run: Run, node: Node, step: ContinueStep) -> None:
    _leave_iteration(run, node, "continue")


def _leave_iteration(run: Run, node: Node, control: str) -> None:
    """End the innermost loop/foreach iteration around ``node`` and tell that loop how."""
    chain = [node]
    for ancestor in run.ancestors(node):
        if ancestor.role is Role.STEP and run.step_of(ancestor).kind in ("loop", "foreach"):
            iteration = chain[-1]
            if iteration.role is Role.BLOCK and iteration.purpose is Purpose.BODY:
                _unwind(run, chain, control)
                done = ChildDone(child=iteration.id, slot=iteration.slot, changes=iteration.changes,
                                 control=control)
                run.later(child_finished, run, ancestor.id, done)
                return
        chain.append(ancestor)
    fail(run, node, error_at(run, node, control, f"'{control}' outside a loop or foreach"))


def _unwind(run: Run, chain: list[Node], control: str) -> None:
    on_chain = {n.id for n in chain}
    for scope in chain:
        for child_id in list(scope.children):
            child = run.node(child_id)
            if child is not None and child_id not in on_chain:
                tear_down(run, child)
        run.stop_timers(scope)
        remove_node(run, scope)
        if scope.role is Role.STEP:
            run.record("step.done", scope, control=control)


register("loop", start_loop, loop_child_done)
register("break", start_break)
register("continue", start_continue)
