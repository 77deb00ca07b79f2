"""wait (a durable timer) and approve (a person's yes or no)."""

from __future__ import annotations

from datetime import datetime

from engine.errors import ExpressionError, TimeSpecError
from engine.expressions import has_template, render
from engine.interpreter.events import Answer
from engine.interpreter.failure import fail
from engine.interpreter.flow import error_at, finish, register
from engine.interpreter.run import Run
from engine.interpreter.state import Node
from engine.language.model import ApproveStep, WaitStep
from engine.timing import next_time, parse_duration


def start_wait(run: Run, node: Node, step: WaitStep) -> None:
    try:
        due = _due(run, node, step)
    except (ExpressionError, TimeSpecError) as exc:
        fail(run, node, error_at(run, node, "wait", f"wait: {exc}"))
        return
    if due <= run.now:
        finish(run, node, "done", until=due.isoformat())
        return
    zone = render(step.tz, run.scope(node)) if step.tz and has_template(step.tz) else step.tz
    run.record("step.waiting", node, until=due.isoformat(), tz=zone)
    run.start_timer(node, "wait", due)


def _due(run: Run, node: Node, step: WaitStep) -> datetime:
    scope = run.scope(node)
    if step.duration is not None:
        text = render(step.duration, scope) if has_template(step.duration) else step.duration
        return run.now + parse_duration(text)
    spec = step.until or ""
    text = str(render(spec, scope) if has_template(spec) else spec)
    zone = render(step.tz, scope) if step.tz and has_template(step.tz) else step.tz
    try:  # a duration is accepted too, so a field can shorten a calendar wait in a rehearsal ("30s")
        return run.now + parse_duration(text)
    except TimeSpecError:
        return next_time(text, str(zone) if zone else None, run.now)


def wait_over(run: Run, node: Node) -> None:
    """The wait's timer fired."""
    finish(run, node, "done")


def start_approve(run: Run, node: Node, step: ApproveStep) -> None:
    try:
        prompt = str(render(step.prompt, run.scope(node)))
    except ExpressionError as exc:
        fail(run, node, error_at(run, node, "expression", f"approve: {exc}"))
        return
    run.record("approval.requested", node, prompt=prompt, by=list(step.by))


def answer(run: Run, node: Node, event: Answer) -> None:
    """Apply a person's answer to a waiting approve step (the caller checked it is one)."""
    step = run.step_of(node)
    assert isinstance(step, ApproveStep)
    allowed = set(step.by)
    if allowed and event.by not in allowed and not allowed.intersection(event.groups):
        run.reject(f"{event.by or 'anonymous'} may not answer {step.label!r} (allowed: {', '.join(step.by)})")
        return
    result = {"approved": event.approved, "by": event.by, "comment": event.comment, "at": run.now.isoformat()}
    key = step.result_key
    if key is not None:
        run.write(node, key, result)
    run.record("approval.answered", node, **result)
    finish(run, node, "done", result=result)


register("wait", start_wait)
register("approve", start_approve)
