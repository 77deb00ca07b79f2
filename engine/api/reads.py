"""What the ``boss`` commands and the REST API read alike: process summaries, secrets, participants, ids.

One implementation for both, so that ``boss ps --json`` and ``GET /api/processes`` describe a process
with the same keys, and a process id prefix resolves the same way everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from engine.errors import NotFoundError
from engine.store import InstanceRow, ProcessRow, RegistrationRow, Store

SUMMARY_COLUMNS = ("id", "name", "version", "status", "launched_at", "updated_at", "finished_at", "error_step",
                   "error_message")


def summary(values: Mapping[str, Any]) -> dict[str, Any]:
    """A process as listed: its summary columns (of a row of ``boss_processes``, or ``vars(ProcessRow)``)."""
    return {name: values[name] for name in SUMMARY_COLUMNS}


def process_summary(row: ProcessRow) -> dict[str, Any]:
    """A process as ``boss ps --json`` and ``GET /api/processes`` list it."""
    return summary(vars(row))


def resolve_process(store: Store, prefix: str) -> str:
    """A full process id from an id or a unique prefix of one.

    Raises:
        NotFoundError: no process, or several, start with ``prefix``.
    """
    matches = store.resolve_id(prefix)
    if prefix in matches:
        return prefix
    if not matches:
        raise NotFoundError(f"no process {prefix!r} (see `boss ps`)")
    if len(matches) > 1:
        raise NotFoundError(f"{prefix!r} matches several processes ({', '.join(matches[:5])}): give more of the id")
    return matches[0]


def secret_fields(store: Store, program: str) -> frozenset[str] | None:
    """Names of the secret fields of a stored program (a process's ``program`` digest); None when unreadable.

    Reads the snapshot in a read transaction (never the engine's write lock). A digest names its content,
    so callers may cache an answer for as long as they like (but not a None: the store may come back).
    """
    from engine.language import Program

    try:
        main, sources = store.load_program(program)
        return Program.from_snapshot(main, sources).definition.secret_fields
    except Exception:  # an unreadable snapshot must not hide the process; the caller decides what to show
        return None


def participant_listing(registrations: list[RegistrationRow], instances: list[InstanceRow], now: datetime,
                        timeout: timedelta) -> list[dict[str, Any]]:
    """Participants (registered or seen through an instance), each with its pools and instances.

    An instance is ``alive`` while its heartbeats keep coming (within ``timeout``), ``silent`` after that.
    """
    listing: dict[str, dict[str, Any]] = {}
    for reg in registrations:
        entry = listing.setdefault(reg.participant, _entry(reg))
        entry["pools"].append(reg.pool or reg.host)
    for row in instances:
        entry = listing.setdefault(row.participant, _entry(row))
        alive = now - row.last_seen <= timeout
        entry["alive"] += int(alive)
        entry["instances"].append({**dataclasses.asdict(row), "state": "alive" if alive else "silent"})
    return [listing[name] for name in sorted(listing)]


def _entry(row: RegistrationRow | InstanceRow) -> dict[str, Any]:
    return {"participant": row.participant, "queue": row.queue, "version": row.version,
            "description": row.description, "params_schema": row.params_schema, "config_keys": row.config_keys,
            "pools": [], "alive": 0, "instances": []}
