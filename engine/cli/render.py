"""Text rendering for the ``boss`` commands: tables, times, the step tree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from engine.interpreter.effects import Record
from engine.simulate.timeline import describe, short

__all__ = ["history_lines", "process_line", "short", "step_tree", "table", "when"]
from engine.store import HistoryRow, ProcessRow, StepRow
from engine.timing import format_duration


def when(at: datetime | None, now: datetime | None = None) -> str:
    """``2026-11-22 19:03:12 (3m ago)``."""
    if at is None:
        return "-"
    now = now or datetime.now(UTC)
    ago = now - at
    age = f" ({format_duration(ago)} ago)" if ago.total_seconds() >= 1 else ""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S}{age}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A plain aligned table."""
    texts = [[str(c) if c is not None else "-" for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in texts)) if texts else len(h) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*headers).rstrip(), *(fmt.format(*r).rstrip() for r in texts)]


def process_line(row: ProcessRow) -> list[Any]:
    """One row of ``boss ps``."""
    duration = (row.finished_at or datetime.now(UTC)) - row.launched_at
    where = f"{row.error_step}: {row.error_message}" if row.error_step else ""
    return [row.id, row.name, row.status, when(row.launched_at), format_duration(duration), where[:60]]


def step_tree(steps: Sequence[StepRow]) -> list[str]:
    """The step table of ``boss show``, indented by nesting."""
    rows = []
    for step in steps:
        depth = max((step.path or "").count("[") - 1, 0)
        info = _step_info(step)
        duration = format_duration((step.ended_at or datetime.now(UTC)) - step.started_at) if step.started_at else ""
        rows.append(["  " * depth + (step.step or step.node), step.status, step.participant or step.kind or "",
                     step.attempt or "", when(step.started_at).split(" (")[0], duration, info])
    return table(["STEP", "STATE", "RUNS", "TRY", "STARTED", "TOOK", "INFO"], rows)


def _step_info(step: StepRow) -> str:
    if step.error:
        return short(f"{step.error.get('type')}: {step.error.get('message')}", 70)
    if step.status == "waiting" and step.detail:
        if "until" in step.detail:
            return f"until {step.detail['until']}"
        return short(f"approval: {step.detail.get('prompt')}", 70)
    if step.status == "done" and step.result not in (None, {}, ""):
        return short(step.result, 70)
    if step.progress:
        return short(step.progress, 70)
    return step.instance or ""


def history_lines(rows: Sequence[HistoryRow]) -> list[str]:
    """Readable lines of a process's history."""
    lines = []
    for row in rows:
        record = Record(kind=row.kind, at=row.at, node=row.node, step=row.step, path=row.path, data=row.data)
        text = describe(record, every=True) or row.kind
        lines.append(f"{row.seq:>5}  {row.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}  {text}")
    return lines
