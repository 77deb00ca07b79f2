"""Steps that run one nested step list: sequence, if, switch and call."""

from __future__ import annotations

from typing import Any

from engine.errors import ExpressionError
from engine.expressions import evaluate, render, truthy
from engine.interpreter.failure import fail
from engine.interpreter.flow import begin, error_at, finish, register
from engine.interpreter.run import Run
from engine.interpreter.state import Node, Role
from engine.language.fields import type_problem
from engine.language.model import CallStep, IfStep, SequenceStep, SwitchStep, subprocess_path


def run_list(run: Run, node: Node, path: str, *, definition: str | None = None,
             locals_: dict[str, Any] | None = None) -> None:
    """Run the step list at ``path`` as the node's only child (an empty list finishes at once)."""
    if not run.program.definitions[definition or node.definition].list_at(path):
        finish(run, node, "done")
        return
    block = run.add_node(parent=node, role=Role.BLOCK, definition=definition or node.definition, path=path,
                         locals_=locals_)
    begin(run, block)


def start_sequence(run: Run, node: Node, step: SequenceStep) -> None:
    run_list(run, node, f"{step.path}.sequence")


def start_if(run: Run, node: Node, step: IfStep) -> None:
    try:
        chosen = "then" if truthy(step.condition, run.scope(node)) else "else"
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"if: {exc}"))
        return
    run.record("step.branch", node, branch=chosen)
    run_list(run, node, f"{step.path}.{chosen}")


def start_switch(run: Run, node: Node, step: SwitchStep) -> None:
    try:
        value = evaluate(step.expression, run.scope(node))
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"switch: {exc}"))
        return
    for case in step.cases:
        if case.value == value or str(case.value) == str(value):
            run.record("step.branch", node, branch=str(case.value))
            run_list(run, node, f"{step.path}.cases.{case.value}")
            return
    run.record("step.branch", node, branch="default")
    run_list(run, node, f"{step.path}.default")


def start_call(run: Run, node: Node, step: CallStep) -> None:
    try:
        given = render(step.fields, run.scope(node))
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"fields: {exc}"))
        return
    if step.target in run.definition_of(node).subprocesses:
        run_list(run, node, subprocess_path(step.target), locals_=given)
        return
    callee = run.program.definitions[step.target]
    view = run.view(node)
    for name, spec in callee.fields.items():
        if name in given or name in view:
            problem = type_problem(spec, given.get(name, view.get(name)))
        elif spec.required:
            problem = "is required by the called process"
        else:
            given[name] = spec.default
            continue
        if problem:
            fail(run, node, error_at(run, node, "call", f"call {step.target}: field {name!r} {problem}"))
            return
    run_list(run, node, "steps", definition=step.target, locals_=given)


register("sequence", start_sequence)
register("if", start_if)
register("switch", start_switch)
register("call", start_call)
