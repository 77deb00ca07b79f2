"""parallel: branches run concurrently on copies of the fields and merge in definition order.

With ``count: N`` the step completes once N branches have; ``remaining: cancel`` (the default) cancels the
others and drops their changes, while ``remaining: wait`` lets them run on in the background: the process
goes on after the step, and each late branch's changes merge into the process fields when all of them have
finished. A process is not done while such branches still run.
"""

from __future__ import annotations

from engine.interpreter.flow import begin, child_finished, finish, merge_changes, register, remove_node
from engine.interpreter.run import ChildDone, Run
from engine.interpreter.state import Node, Role
from engine.language.model import ParallelStep


def start_parallel(run: Run, node: Node, step: ParallelStep) -> None:
    children = [
        run.add_node(parent=node, role=Role.STEP, definition=node.definition, path=f"{step.path}.parallel[{i}]",
                     slot=i, isolated=True)
        for i in range(len(step.branches))
    ]
    for child in children:
        begin(run, child)


def parallel_child_done(run: Run, node: Node, step: ParallelStep, done: ChildDone) -> None:
    node.results[str(done.slot)] = done.changes or {}
    if node.detached:
        if not node.children:
            merge_changes(run, node, node.results)
            run.record("step.remaining_done", node)
            remove_node(run, node)
        return
    needed = step.count or len(step.branches)
    if len(node.results) < needed:
        return
    merge_changes(run, node, node.results)
    node.results = {}
    if node.children and step.remaining == "wait":
        _detach(run, node, len(node.children))
    else:
        finish(run, node, "done", branches=needed)


def _detach(run: Run, node: Node, running: int) -> None:
    """Complete the step for its parent while its remaining branches run on, rooted at the process."""
    view = run.view(node)
    fields = run.state.fields
    node.locals = {k: v for k, v in view.items() if k not in fields or fields[k] != v}
    run.record("step.done", node, remaining=running)
    run.stop_timers(node)
    parent = run.parent_of(node)
    if parent is not None:
        parent.children.remove(node.id)
        run.later(child_finished, run, parent.id, ChildDone(child=node.id, slot=node.slot, changes=node.changes))
    node.parent = None
    node.changes = None
    node.detached = True


register("parallel", start_parallel, parallel_child_done)
