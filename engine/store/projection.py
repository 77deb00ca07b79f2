"""The steps projection: a process's step/approval records folded into one row per node.

The interpreter forgets finished steps (they leave the state tree); users want a table of every step with
its status, attempts, times, progress, result and error. That table is derived from the records as they
are appended, in the same transaction, so it is never behind the history. Pure functions on plain dicts
(the column values of ``boss_steps``): the transaction loads the touched rows, folds, and writes back.

The fold is tolerant: a missing data key leaves the column as it was, so that histories written by an
older interpreter never break a batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.interpreter.effects import Record

StepValues = dict[str, Any]
"""The column values of one ``boss_steps`` row."""

_FINISHED = {"step.done", "step.skipped", "step.continued", "step.recovered", "step.cancelled"}
_FAILED_STATUS = {"waiting": "failed", "retry": "retrying"}


def projected(record: Record) -> bool:
    """Whether a record feeds the steps table."""
    return record.node is not None and record.kind.startswith(("step.", "approval."))


def fold(rows: dict[str, StepValues], process_id: str, records: Sequence[Record], first_seq: int) -> set[str]:
    """Apply records (numbered from ``first_seq``) to the rows by node; returns the nodes changed.

    Args:
        rows: the existing rows of the nodes the records touch; new rows are added to it.
        process_id: the process the records belong to.
        records: the records, in order.
        first_seq: the history number of ``records[0]``, which orders new rows by first appearance.
    """
    changed: set[str] = set()
    for offset, record in enumerate(records):
        if not projected(record):
            continue
        node = record.node
        assert node is not None
        row = rows.get(node)
        if row is None:
            row = rows[node] = new_row(process_id, node, first_seq + offset, record)
        apply(row, record)
        changed.add(node)
    return changed


def new_row(process_id: str, node: str, position: int, record: Record) -> StepValues:
    """A row for a node seen for the first time (often ``step.started``, not always: guarded steps)."""
    return {
        "process_id": process_id, "node": node, "position": position, "path": record.path,
        "step": record.step, "kind": None, "participant": None, "status": "pending", "attempt": 0,
        "started_at": None, "ended_at": None, "instance": None, "workitem": None, "progress": {},
        "result": None, "error": None, "detail": {}, "updated_at": record.at,
    }  # fmt: skip


def apply(row: StepValues, record: Record) -> None:
    """Apply one record to its node's row."""
    row["updated_at"] = record.at
    if row["path"] is None:
        row["path"] = record.path
    if row["step"] is None:
        row["step"] = record.step
    if record.kind in _FINISHED:
        _finished(row, record)
        return
    handler = _HANDLERS.get(record.kind)
    if handler is not None:
        handler(row, record)


def _finished(row: StepValues, record: Record) -> None:
    row["status"] = record.kind.removeprefix("step.")
    row["ended_at"] = record.at
    if "result" in record.data:
        row["result"] = record.data["result"]
    if record.data.get("instance"):  # a participant may answer without saying "accepted" first
        row["instance"] = record.data["instance"]


def _started(row: StepValues, record: Record) -> None:
    # A fresh run of the step: what an earlier attempt reported (progress, instance, result) is stale.
    row.update(status="running", started_at=record.at, ended_at=None, error=None, progress={}, instance=None,
               result=None)
    _copy(row, record.data, kind="step_kind", attempt="attempt")
    if record.path is not None:  # the started record carries the authoritative labels
        row["path"] = record.path
    if record.step is not None:
        row["step"] = record.step


def _dispatched(row: StepValues, record: Record) -> None:
    if row["workitem"] is not None and record.data.get("attempt") != row["attempt"]:
        row.update(instance=None, progress={})  # re-dispatched (lost work): the old instance and progress are stale
    row["status"] = "running"
    _copy(row, record.data, participant="participant", workitem="workitem", attempt="attempt")


def _accepted(row: StepValues, record: Record) -> None:
    _copy(row, record.data, instance="instance")


def _progress(row: StepValues, record: Record) -> None:
    update = record.data.get("progress")
    if isinstance(update, dict):
        row["progress"] = {**(row["progress"] or {}), **update}


def _waiting(row: StepValues, record: Record) -> None:
    row.update(status="waiting", detail={"until": record.data.get("until"), "tz": record.data.get("tz")})


def _approval_requested(row: StepValues, record: Record) -> None:
    row.update(status="waiting", detail={"prompt": record.data.get("prompt"), "by": record.data.get("by")})


def _approval_answered(row: StepValues, record: Record) -> None:
    row["detail"] = {**(row["detail"] or {}), "answer": dict(record.data)}


def _parked(row: StepValues, record: Record) -> None:
    row["status"] = "parked"


def _failed(row: StepValues, record: Record) -> None:
    if "error" in record.data:
        row["error"] = record.data["error"]
    row["status"] = _FAILED_STATUS.get(str(record.data.get("handling")), row["status"])


def _retried(row: StepValues, record: Record) -> None:
    row.update(status="running", error=None, ended_at=None)


def _copy(row: StepValues, data: dict[str, Any], **columns: str) -> None:
    """Copy ``data[key]`` into ``row[column]`` for each ``column=key`` present in the data."""
    for column, key in columns.items():
        if key in data:
            row[column] = data[key]


Handler = Callable[[StepValues, Record], None]

_HANDLERS: dict[str, Handler] = {
    "step.started": _started,
    "step.dispatched": _dispatched,
    "step.accepted": _accepted,
    "step.progress": _progress,
    "step.waiting": _waiting,
    "step.parked": _parked,
    "step.failed": _failed,
    "step.retried": _retried,
    "approval.requested": _approval_requested,
    "approval.answered": _approval_answered,
}
