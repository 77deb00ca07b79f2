"""What happens when a step fails: retry policy -> on_timeout / on_error -> handed up -> process error.

An error nobody handles does not unwind the tree: the failed node stays where it is, in status FAILED, so
that an operator can retry it (with corrected fields) or skip it, and the process waits in state ``error``.
The process ``on_error`` subprocess runs meanwhile. Other parallel branches keep going.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.interpreter.flow import begin, finish, restart, tear_down_children
from engine.interpreter.run import Run
from engine.interpreter.state import ErrorInfo, Node, NodeStatus, Purpose, Role
from engine.language.model import RetryPolicy, Step, subprocess_path
from engine.timing import format_duration

BUILTIN_HANDLERS = ("fail", "skip", "continue", "retry")
_TIMEOUT_RETRY = RetryPolicy(max=3)


def fail(run: Run, node: Node, error: ErrorInfo, *, own: bool = True) -> None:
    """Handle ``error`` at ``node``.

    Args:
        run: the transition.
        node: the failing node.
        error: what went wrong.
        own: False when the error comes from a descendant and is handed up: then the node's
            ``on_timeout`` and the default re-dispatch of lost workitems do not apply.
    """
    step = run.step_of(node) if node.role is Role.STEP else None
    policy = _retry_policy(run, step, error, own)
    if policy is not None and node.retries < policy.max:
        _schedule_retry(run, node, policy, error)
        return
    handler = step.on_error if step is not None else "fail"
    if own and step is not None and error.type == "timeout" and step.on_timeout not in (None, "fail", "retry"):
        handler = step.on_timeout
    _apply(run, node, step, error, handler)


def _retry_policy(run: Run, step: Step | None, error: ErrorInfo, own: bool) -> RetryPolicy | None:
    if step is None or not error.retryable:
        return None
    if own and error.type == "timeout":
        if step.on_timeout == "retry":
            return step.retry or _TIMEOUT_RETRY
        return None if step.on_timeout is not None else step.retry
    if own and error.type == "lost" and step.retry is None:
        return RetryPolicy(max=run.state.options.lost_retries)
    return step.retry


def _schedule_retry(run: Run, node: Node, policy: RetryPolicy, error: ErrorInfo) -> None:
    node.retries += 1
    delay = policy.delay_before(node.retries)
    if error.retry_after:
        delay = max(delay, timedelta(seconds=error.retry_after))
    tear_down_children(run, node)
    run.stop_timers(node)
    node.work = None
    run.record("step.failed", node, **_error_data(error), handling="retry", retry=node.retries,
               retries=policy.max, delay=format_duration(delay))
    if delay.total_seconds() <= 0:
        run.later(restart, run, node)
        return
    node.status = NodeStatus.DELAYED
    run.start_timer(node, "retry", run.now + delay)


def _apply(run: Run, node: Node, step: Step | None, error: ErrorInfo, handler: str) -> None:
    tear_down_children(run, node)
    if handler == "skip":
        run.record("step.failed", node, **_error_data(error), handling="skip")
        finish(run, node, "skipped", reason="on_error" if error.type != "timeout" else "on_timeout")
    elif handler == "continue":
        assert step is not None
        run.record("step.failed", node, **_error_data(error), handling="continue")
        key = step.result_key
        if key is not None:
            run.write(node, key, {"error": {"type": error.type, "message": error.message}})
        finish(run, node, "continued", **_error_data(error))
    elif handler in BUILTIN_HANDLERS:
        hand_up(run, node, error)
    else:
        run.record("step.failed", node, **_error_data(error), handling=handler)
        node.handling = True
        node.error = error
        run.stop_timers(node)
        block = run.add_node(parent=node, role=Role.BLOCK, definition=node.definition,
                             path=subprocess_path(handler), purpose=Purpose.ON_ERROR,
                             locals_={"error": error.scope()})
        begin(run, block)


def hand_up(run: Run, node: Node, error: ErrorInfo) -> None:
    """Give an unhandled error to the nearest ancestor that handles it, or fail in place."""
    for ancestor in run.ancestors(node):
        if ancestor.role is Role.PROCESS:
            break
        if ancestor.role is Role.BLOCK or ancestor.handling:
            continue
        step = run.step_of(ancestor)
        can_retry = error.retryable and step.retry is not None and ancestor.retries < step.retry.max
        if step.on_error != "fail" or can_retry:
            run.record("step.failed", node, **_error_data(error), handling=f"up to {step.label}")
            node.status = NodeStatus.FAILED  # so that the tear-down below does not call it cancelled
            fail(run, ancestor, error, own=False)
            return
    fail_in_place(run, node, error)


def fail_in_place(run: Run, node: Node, error: ErrorInfo) -> None:
    """Leave the node failed in the tree; the process waits in error (its on_error runs)."""
    tear_down_children(run, node)
    run.stop_timers(node)
    node.status = NodeStatus.FAILED
    node.error = error
    node.work = None
    run.record("step.failed", node, **_error_data(error), handling="waiting")
    run.record("process.error", node, **_error_data(error))
    top = ([node, *run.ancestors(node)])[-1]
    handler = run.program.definition.on_error
    in_handler = top.purpose in (Purpose.PROCESS_ON_ERROR, Purpose.ON_CANCEL)
    if handler is not None and not in_handler:
        block = run.add_node(parent=None, role=Role.BLOCK, definition=run.program.main,
                             path=subprocess_path(handler), purpose=Purpose.PROCESS_ON_ERROR,
                             locals_={"error": error.scope()})
        begin(run, block)


def timed_out(run: Run, node: Node) -> None:
    """A node's own timeout passed: cancel what it runs, then handle a retryable timeout error."""
    from engine.interpreter.flow import cancel_work, error_at

    cancel_work(run, node)
    tear_down_children(run, node)
    limit = run.step_of(node).timeout if node.role is Role.STEP else run.definition_of(node).timeout
    text = f"timed out after {format_duration(limit)}" if limit else "timed out"
    run.record("step.timed_out", node)
    fail(run, node, error_at(run, node, "timeout", text, retryable=True))


def _error_data(error: ErrorInfo) -> dict[str, Any]:
    return {"error": error.scope()}
