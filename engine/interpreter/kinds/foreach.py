"""foreach: run ``do`` once per item, serially or ``concurrency`` iterations at a time.

The ``as`` name (and ``loop``) live in the iteration's locals, so they vanish afterwards. Serial iterations
see each other's changes. Concurrent iterations each work on their own copy of the fields, and all of
their changes merge at the end in item order, so the outcome never depends on which finished first.
``break`` stops the foreach (running iterations are cancelled; finished ones still merge); ``continue``
ends the current iteration.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ExpressionError
from engine.expressions import render
from engine.interpreter.failure import fail
from engine.interpreter.flow import begin, error_at, finish, merge_changes, register, tear_down_children
from engine.interpreter.run import ChildDone, Run
from engine.interpreter.state import Node, Role
from engine.language.model import ForeachStep

MAX_ITEMS = 10_000


def start_foreach(run: Run, node: Node, step: ForeachStep) -> None:
    try:
        items = render(step.items, run.scope(node))
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"foreach: {exc}"))
        return
    if not isinstance(items, list):
        message = f"foreach expects a list, got {type(items).__name__} {str(items)[:60]!r}"
        fail(run, node, error_at(run, node, "foreach", message))
        return
    if len(items) > MAX_ITEMS:
        fail(run, node, error_at(run, node, "foreach", f"foreach over {len(items)} items (limit {MAX_ITEMS})"))
        return
    node.items = items
    node.index = 0
    if not items:
        finish(run, node, "done", items=0)
        return
    width = len(items) if step.concurrency is None else step.concurrency
    for _ in range(min(width, len(items))):
        _start_iteration(run, node, step)


def _start_iteration(run: Run, node: Node, step: ForeachStep) -> None:
    assert node.items is not None
    index = node.index
    node.index += 1
    locals_: dict[str, Any] = {
        step.as_: node.items[index],
        "loop": {"index": index + 1, "index0": index, "first": index == 0,
                 "last": index == len(node.items) - 1, "length": len(node.items)},
    }
    block = run.add_node(parent=node, role=Role.BLOCK, definition=node.definition, path=f"{step.path}.do",
                         slot=index, locals_=locals_, isolated=step.concurrency != 1)
    begin(run, block)


def foreach_child_done(run: Run, node: Node, step: ForeachStep, done: ChildDone) -> None:
    assert node.items is not None
    concurrent = step.concurrency != 1
    if concurrent:
        node.results[str(done.slot)] = done.changes or {}
    if done.control == "break":
        tear_down_children(run, node)
        node.index = len(node.items)
    if node.index < len(node.items):
        _start_iteration(run, node, step)
        return
    if node.children:
        return
    if concurrent:
        merge_changes(run, node, node.results)
        node.results = {}
    finish(run, node, "done", items=len(node.items))


register("foreach", start_foreach, foreach_child_done)
