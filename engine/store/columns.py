"""Conversions between the store's rows (dataclasses, interpreter state) and table column values."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from pydantic import ValidationError
from sqlalchemy import RowMapping

from engine.errors import StoreError
from engine.interpreter.state import ProcessState
from engine.store.rows import HistoryRow, InstanceRow, OutboxRow, ProcessRow, RegistrationRow, StepRow

_STEP_FIELDS = tuple(f.name for f in fields(StepRow))
_HISTORY_FIELDS = tuple(f.name for f in fields(HistoryRow))
_INSTANCE_FIELDS = tuple(f.name for f in fields(InstanceRow))


def process_values(state: ProcessState) -> dict[str, Any]:
    """The columns of ``boss_processes`` derived from a state (all but ``program`` and ``request_id``).

    ``error_step`` / ``error_message`` come from the first failed node, so ``boss ps`` and ``boss errors``
    can show why a process waits without decoding its state.
    """
    failed = state.failed_nodes()
    error = failed[0].error if failed else None
    error_step = (error.step or error.path or failed[0].path) if error is not None else None
    return {
        "id": state.id, "name": state.name, "version": state.version, "digest": state.digest,
        "status": state.status.value, "launched_at": state.launched_at, "updated_at": state.updated_at,
        "finished_at": state.finished_at, "error_step": error_step,
        "error_message": error.message if error is not None else None, "state": state.encode(),
    }  # fmt: skip


def process_row(row: RowMapping) -> ProcessRow:
    """A ``boss_processes`` row, its state decoded."""
    return ProcessRow(
        id=row["id"], name=row["name"], version=row["version"], digest=row["digest"], program=row["program"],
        status=row["status"], launched_at=row["launched_at"], updated_at=row["updated_at"],
        finished_at=row["finished_at"], error_step=row["error_step"], error_message=row["error_message"],
        request_id=row["request_id"], state=decode_state(row["id"], row["state"]),
    )  # fmt: skip


def decode_state(process_id: str, text: str) -> ProcessState:
    """A stored state, or a StoreError saying which process cannot be read (rather than a traceback).

    Raises:
        StoreError: the text is not a state this version of boss understands.
    """
    try:
        return ProcessState.decode(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "state"
        raise StoreError(f"process {process_id} has a stored state this boss cannot read ({where}: "
                         f"{first['msg']}): was it written by a newer boss?") from exc


def history_row(row: RowMapping) -> HistoryRow:
    """A ``boss_history`` row."""
    return HistoryRow(**{name: row[name] for name in _HISTORY_FIELDS})


def step_row(row: RowMapping) -> StepRow:
    """A ``boss_steps`` row (its ``position`` only orders the rows)."""
    values = {name: row[name] for name in _STEP_FIELDS}
    values["progress"] = values["progress"] or {}
    values["detail"] = values["detail"] or {}
    return StepRow(**values)


def outbox_row(row: RowMapping) -> OutboxRow:
    """A ``boss_outbox`` row; ``body`` as bytes whatever the driver returns (memoryview on some)."""
    return OutboxRow(id=int(row["id"]), exchange=row["exchange"], routing_key=row["routing_key"],
                     body=bytes(row["body"]), headers=row["headers"] or {}, message_id=row["message_id"],
                     content_type=row["content_type"])


def instance_values(row: InstanceRow) -> dict[str, Any]:
    """The columns of ``boss_instances``."""
    return asdict(row)


def instance_row(row: RowMapping) -> InstanceRow:
    """A ``boss_instances`` row."""
    values = {name: row[name] for name in _INSTANCE_FIELDS}
    values["config_keys"] = list(values["config_keys"] or [])
    return InstanceRow(**values)


def registration_row(row: RowMapping) -> RegistrationRow:
    """A ``boss_participants`` row."""
    values = {f.name: row[f.name] for f in fields(RegistrationRow)}
    values["config_keys"] = list(values["config_keys"] or [])
    return RegistrationRow(**values)
