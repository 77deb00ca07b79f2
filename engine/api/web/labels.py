"""Words for steps and states, for people who never read the YAML: what a step does, what a status means.

A step is shown by its ``name`` when it has one. An unnamed step would otherwise appear as its path
(``steps[7].then[0]``), which means nothing to a project manager; :func:`describe` says what it does
instead ("fail: rejected by ...", "set finished", "if not gate.approved"). Pure functions, shared by the
diagram and the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from engine.language.model import (
    ApproveStep,
    CallStep,
    EndStep,
    FailStep,
    ForeachStep,
    IfStep,
    LoopStep,
    ParallelStep,
    ParticipantStep,
    SetStep,
    Step,
    SwitchStep,
    WaitStep,
)
from engine.timing import format_duration

STEP_STATUS_WORDS = {
    "pending": "not started",
    "running": "running",
    "waiting": "waiting",
    "retrying": "retrying",
    "failed": "failed",
    "parked": "held",
    "done": "done",
    "skipped": "skipped",
    "continued": "failed, ignored",
    "recovered": "handled",
    "cancelled": "cancelled",
}
"""Each step status as the pages say it."""

STATUS_MEANINGS = {
    "pending": "has not started yet",
    "running": "at work now",
    "waiting": "waiting for a date, a timer or a person's answer",
    "retrying": "failed, and will try again by itself",
    "failed": "failed: someone must retry it, skip it or cancel the process",
    "parked": "held back because the process is paused",
    "done": "finished successfully",
    "skipped": "not run (skipped by a condition or an operator)",
    "continued": "failed, but the process went on without it",
    "recovered": "failed, and its error handler took over",
    "cancelled": "stopped because the process was cancelled",
}
"""What each step status means: the colour legend's text."""

PROCESS_STATUS_WORDS = {
    "running": "running",
    "paused": "paused",
    "error": "stopped on an error",
    "cancelling": "cancelling",
    "done": "done",
    "cancelled": "cancelled",
}
"""Each process status as the pages say it."""

TEXT_LIMIT = 60  # characters of a condition or a message shown in a label


def status_words(status: str) -> str:
    """A step or process status in words (the status itself when unknown)."""
    return STEP_STATUS_WORDS.get(status) or PROCESS_STATUS_WORDS.get(status) or status


def title(step: Step) -> str:
    """The step's name, or what it does when it has none."""
    if step.name:
        return step.name
    if isinstance(step, ParticipantStep):
        return step.participant
    return describe(step)


def describe(step: Step) -> str:
    """What a step does, in a few words."""
    for kind, words in _DESCRIPTIONS:
        if isinstance(step, kind):
            return words(step)
    return {"sequence": "in order", "break": "leave the loop", "continue": "next round"}.get(step.kind, step.kind)


def _wait(step: WaitStep) -> str:
    return "wait " + (f"until {shorten(step.until)}" if step.until else str(step.duration))


def _end(step: EndStep) -> str:
    return "end" + (": " + shorten(step.message) if step.message else "")


def _loop(step: LoopStep) -> str:
    return "repeat" + (f" until {shorten(step.until)}" if step.until else "")


_DESCRIPTIONS: tuple[tuple[type[Any], Callable[[Any], str]], ...] = (
    (ParticipantStep, lambda step: f"{step.participant} step"),
    (SetStep, lambda step: "set " + ", ".join(step.values)),
    (FailStep, lambda step: "fail: " + shorten(step.message)),
    (EndStep, _end),
    (IfStep, lambda step: "if " + shorten(step.condition)),
    (SwitchStep, lambda step: "choose by " + shorten(step.expression)),
    (WaitStep, _wait),
    (ApproveStep, lambda step: "approval: " + shorten(step.prompt)),
    (CallStep, lambda step: f"run {step.target}"),
    (ForeachStep, lambda step: f"for each {step.as_}"),
    (LoopStep, _loop),
    (ParallelStep, lambda step: "at the same time"),
)


def kind_words(step: Step) -> str:
    """The second line of a diagram node: who does the work, or what kind of step it is."""
    if isinstance(step, ParticipantStep):
        return step.participant
    if isinstance(step, ParallelStep):
        every = len(step.branches)
        return f"first {step.count} of {every} branches" if step.count else f"{every} branches at once"
    if isinstance(step, ForeachStep):
        pace = "all at once" if step.concurrency is None else (
            "one at a time" if step.concurrency == 1 else f"{step.concurrency} at a time")
        return pace
    if isinstance(step, ApproveStep):
        return "approval" + (f" by {', '.join(step.by)}" if step.by else "")
    if isinstance(step, WaitStep):
        return "wait"
    if isinstance(step, CallStep):
        return f"runs {step.target}"
    if isinstance(step, LoopStep):
        return f"at most {step.max} rounds" if step.max else "repeat"
    return {"if": "decision", "switch": "decision", "sequence": "in order"}.get(step.kind, step.kind)


def shorten(text: Any, limit: int = TEXT_LIMIT) -> str:
    """``text`` on one line, cut with an ellipsis beyond ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def duration(delta: timedelta | None) -> str:
    """A duration for people: ``2m 5s``, ``1h 30m``, ``3d 4h``; empty when unknown."""
    if delta is None:
        return ""
    return format_duration(max(delta, timedelta(0)))
