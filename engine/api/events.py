"""Live process events for ``GET /api/events`` (server-sent events), found by polling the store.

Why the store and not the ``boss.events`` exchange: the engine publishes its records there as transient
messages, so a subscriber that is slow, reconnecting, or not yet subscribed loses them; and each client
would need its own broker connection and queue. The store holds every record, numbered per process, so
polling it loses nothing: a client following one process resumes exactly where it stopped
(``Last-Event-ID``), and the stream carries the same records as ``GET /api/processes/{id}/history``.
The cost is a little latency (the poll interval, half a second by default) and two small queries per
poll and client.

How new records are found without a global sequence: each poll asks for the processes updated since the
latest update seen (minus an ``overlap``, for engines whose commits land out of order), and reads the
history of those whose ``updated_at`` changed after the last record number sent. A process first seen
after the stream started gets only its records dated after the stream's start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python

from engine.api import queries
from engine.errors import NotFoundError
from engine.store import HistoryRow, Store

OVERLAP = timedelta(seconds=30)


@dataclass(frozen=True)
class Batch:
    """New records of one process, with its status when they were read."""

    process_id: str
    name: str
    status: str
    records: list[HistoryRow] = field(default_factory=list)

    @property
    def event_id(self) -> str:
        """The SSE id: ``<process id>:<number of the last record>`` (what ``Last-Event-ID`` sends back)."""
        return f"{self.process_id}:{self.records[-1].seq if self.records else 0}"

    def data(self) -> dict[str, Any]:
        """The JSON of the event: the ``boss.events`` process message, with each record's number."""
        return {"v": 1, "process_id": self.process_id, "name": self.name, "status": self.status,
                "records": [record_json(r) for r in self.records]}


def record_json(row: HistoryRow) -> dict[str, Any]:
    """A history record as JSON (also the items of ``GET /api/processes/{id}/history``)."""
    return {"seq": row.seq, "at": row.at, "kind": row.kind, "node": row.node, "step": row.step,
            "path": row.path, "data": row.data}


def sse(batch: Batch) -> str:
    """One server-sent event (``event: process``)."""
    text = json.dumps(batch.data(), separators=(",", ":"), default=to_jsonable_python)  # times as the API's: ...Z
    return f"id: {batch.event_id}\nevent: process\ndata: {text}\n\n"


def parse_event_id(text: str | None) -> tuple[str, int] | None:
    """(process id, record number) of a ``Last-Event-ID``, or None when it is not one of ours."""
    if not text:
        return None
    process_id, sep, seq = text.rpartition(":")
    return (process_id, int(seq)) if sep and process_id and seq.isdigit() else None


class Feed:
    """The records committed since a client connected: of every process, of one definition, or of one process.

    Not thread-safe: one feed per client, polled from one place at a time.
    """

    def __init__(self, store: Store, *, name: str | None = None, process_id: str | None = None,
                 after: int | None = None, overlap: timedelta = OVERLAP) -> None:
        """Start following.

        Args:
            store: the store to poll.
            name: only processes of this definition.
            process_id: only this process (a full id).
            after: with ``process_id``: send its records numbered above ``after`` first (resume);
                by default only the records committed from now on.
            overlap: how far behind the latest update each poll looks again.

        Raises:
            NotFoundError: ``process_id`` names no process.
        """
        self.store = store
        self.name = name
        self.process_id = process_id
        self.overlap = overlap
        self._seen: dict[str, int] = {}  # process id -> number of the last record sent
        self._stamps: dict[str, datetime] = {}  # process id -> its updated_at when last read
        self._status: dict[str, str] = {}  # process id -> the status last sent
        self._start: datetime | None = None  # the latest update when the stream began
        self._watermark: datetime | None = None  # the latest update seen since
        if process_id is not None:
            row = store.get_process(process_id)
            if row is None:
                raise NotFoundError(f"no process {process_id!r}")
            self._seen[process_id] = after if after is not None else queries.last_seqs(store, [process_id]).get(
                process_id, 0)
            self._status[process_id] = row.status
            return
        self._start = self._watermark = queries.latest_update(store)
        if self._start is not None:
            recent = queries.updated_processes(store, self._start - overlap, name=name)
            self._seen.update(queries.last_seqs(store, [r["id"] for r in recent]))
            self._stamps.update({r["id"]: r["updated_at"] for r in recent})
            self._status.update({r["id"]: r["status"] for r in recent})

    def poll(self) -> list[Batch]:
        """The new records since the last poll, one batch per process, oldest update first."""
        since = None if self._watermark is None else self._watermark - self.overlap
        rows = queries.updated_processes(self.store, since, name=self.name, process_id=self.process_id)
        batches = []
        for row in rows:
            batch = self._read(row)
            if batch is not None:
                batches.append(batch)
        if rows and self.process_id is None:
            newest = max(r["updated_at"] for r in rows)
            self._watermark = newest if self._watermark is None else max(self._watermark, newest)
            horizon = self._watermark - self.overlap
            self._stamps = {pid: at for pid, at in self._stamps.items() if at >= horizon}
        return batches

    def _read(self, row: dict[str, Any]) -> Batch | None:
        pid, updated = str(row["id"]), row["updated_at"]
        if self._stamps.get(pid) == updated:
            return None
        self._stamps[pid] = updated
        after = self._seen.get(pid)
        records = self.store.history(pid, after_seq=after or 0)
        if records:
            self._seen[pid] = records[-1].seq
        if after is None and self._start is not None:  # first seen since the stream began
            records = [r for r in records if r.at > self._start]
        if not records and self._status.get(pid) == row["status"]:
            return None
        self._status[pid] = row["status"]
        return Batch(pid, str(row["name"]), str(row["status"]), records)
