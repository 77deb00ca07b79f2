"""What the process page shows, computed from the store's rows: timeline lines, step statuses, what can be done.

Pure functions over :class:`~engine.store.StepRow` and the definition the process runs (its stored
snapshot, not the file as it is today), so the page and its tests share one reading of the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.api.web.diagram import slug
from engine.api.web.labels import describe, duration
from engine.api.web.people import may_answer
from engine.language.model import Definition, Step
from engine.store import StepRow

FAILED = "failed"
ACTIVE = frozenset({"running", "waiting", "retrying", "parked"})
DEPTH_LIMIT = 6


@dataclass(frozen=True)
class Line:
    """One run of a step in the timeline."""

    row: StepRow
    anchor: str  # the element id the diagram links to
    name: str  # for people: the step's name, or what it does
    who: str  # the participant, or the kind of step
    depth: int  # nesting level, for indentation
    took: str  # how long it ran (so far, while it runs)
    progress: list[tuple[str, Any]] = field(default_factory=list)
    answerable: bool = False  # a waiting approval the viewer may answer

    @property
    def failed(self) -> bool:
        """Whether the step waits for an operator (retry or skip)."""
        return self.row.status == FAILED

    @property
    def waiting_approval(self) -> bool:
        """Whether the step is an approval waiting for an answer."""
        return self.row.kind == "approve" and self.row.status == "waiting"

    @property
    def target(self) -> str:
        """How commands name this step: its path (unique in the definition), else its label."""
        return self.row.path or self.row.step or ""


def step_of(definition: Definition | None, row: StepRow) -> Step | None:
    """The definition's step a row is a run of, when it is one of the main definition's steps.

    A called definition's steps have paths of their own definition (``steps[0]`` again): the label must
    match too, or the row belongs to another definition.
    """
    if definition is None or row.path is None:
        return None
    try:
        step = definition.step_at(row.path)
    except KeyError:
        return None
    return step if row.step in (step.label, None) else None


def statuses_by_path(definition: Definition | None, rows: Sequence[StepRow]) -> dict[str, list[str]]:
    """The statuses of the runs of each step of the definition (what the diagram colours)."""
    found: dict[str, list[str]] = {}
    for row in rows:
        step = step_of(definition, row)
        if step is not None:
            found.setdefault(step.path, []).append(row.status)
    return found


def timeline(definition: Definition | None, rows: Sequence[StepRow], now: datetime, user: str,
             groups: Mapping[str, Sequence[str]]) -> list[Line]:
    """Every run of every step, in the order they started, ready to show."""
    lines, anchored = [], set()
    for row in rows:
        step = step_of(definition, row)
        anchor = "t-" + slug(row.path or row.node)
        if anchor in anchored:
            anchor = f"{anchor}-{slug(row.node)}"
        anchored.add(anchor)
        waiting = row.kind == "approve" and row.status == "waiting"
        by = (row.detail or {}).get("by") or []
        lines.append(Line(row=row, anchor=anchor, name=_name(row, step), who=row.participant or row.kind or "",
                          depth=min(max((row.path or "").count("[") - 1, 0), DEPTH_LIMIT), took=_took(row, now),
                          progress=list((row.progress or {}).items()),
                          answerable=waiting and may_answer(user, by, groups)))
    return lines


def actions(status: str) -> list[str]:
    """The process commands that make sense in a process status (the engine has the last word)."""
    return {"running": ["pause", "cancel"], "paused": ["resume", "cancel"], "error": ["cancel"]}.get(status, [])


def _name(row: StepRow, step: Step | None) -> str:
    if step is not None and not step.name and row.step == step.path:
        return describe(step)  # an unnamed step: say what it does rather than where it is
    return row.step or row.path or row.node


def _took(row: StepRow, now: datetime) -> str:
    if row.started_at is None:
        return ""
    if row.ended_at is not None:
        return duration(row.ended_at - row.started_at)
    if row.status in ACTIVE:
        return duration(now - row.started_at) + " so far"
    return ""
