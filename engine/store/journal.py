"""History and steps of one transaction, buffered and written in two statements at commit.

A batch of the engine touches hundreds of processes and appends a few records to each. Writing them
process by process costs two executemany calls per process, each a pipeline round trip on PostgreSQL;
buffering costs none until the commit, where every history row goes in one executemany and every changed
step row in one upsert. Reads stay per process but are skipped when the transaction already knows the
answer: a process inserted in this transaction has no history yet, and rows folded once are kept.

Nothing outside the transaction can tell: its other writes are not visible before the commit either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.interpreter.effects import Record
from engine.store import projection
from engine.store.projection import StepValues
from engine.store.schema import history, steps

_LAST_SEQ = sa.select(sa.func.max(history.c.seq)).where(history.c.process_id == sa.bindparam("p"))
_ONE = sa.select(sa.literal(1).label("one")).subquery("one")
_KNOWN = sa.select(_LAST_SEQ.scalar_subquery().label("boss_last_seq"), *steps.c).select_from(
    _ONE.outerjoin(steps, sa.and_(steps.c.process_id == sa.bindparam("p"),
                                  steps.c.node.in_(sa.bindparam("nodes", expanding=True)))))
"""A process's last history number and the step rows of some nodes, in one round trip.

The LEFT JOIN from a one-row table yields a row even when no step matches, to carry the number.
"""


class Journal:
    """The history and steps writes of one transaction."""

    def __init__(self, conn: Connection, upsert_steps: sa.Insert) -> None:
        self.conn = conn
        self._upsert_steps = upsert_steps
        self._last: dict[str, int] = {}  # process id -> last history number, buffered rows included
        self._rows: dict[str, dict[str, StepValues]] = {}  # process id -> node -> known step row
        self._complete: set[str] = set()  # processes whose every step row is in _rows
        self._history: list[dict[str, Any]] = []
        self._dirty: dict[tuple[str, str], StepValues] = {}

    def new_process(self, process_id: str) -> None:
        """A process inserted in this transaction: no history, no steps, nothing to read."""
        self._last[process_id] = 0
        self._rows[process_id] = {}
        self._complete.add(process_id)

    def append(self, process_id: str, records: Sequence[Record]) -> None:
        """Number the records on from the process's last, buffer them, and fold them into its steps."""
        if not records:
            return
        rows = self._rows.setdefault(process_id, {})
        nodes = {r.node for r in records if r.node is not None and projection.projected(r)}
        missing = [] if process_id in self._complete else sorted(n for n in nodes if n not in rows)
        if process_id not in self._last or missing:
            self._load(process_id, missing, rows)
        first = self._last[process_id] + 1
        self._last[process_id] += len(records)
        self._history.extend(
            {"process_id": process_id, "seq": first + i, "at": r.at, "kind": r.kind, "node": r.node,
             "step": r.step, "path": r.path, "data": r.data} for i, r in enumerate(records))
        for node in projection.fold(rows, process_id, records, first):
            self._dirty[(process_id, node)] = rows[node]

    def _load(self, process_id: str, nodes: list[str], rows: dict[str, StepValues]) -> None:
        for row in self.conn.execute(_KNOWN, {"p": process_id, "nodes": nodes}).mappings():
            self._last.setdefault(process_id, int(row["boss_last_seq"] or 0))
            if row["node"] is not None:
                rows[row["node"]] = {c.name: row[c.name] for c in steps.c}

    def flush(self) -> None:
        """Write what is buffered (the transaction does, before it commits)."""
        if self._history:
            self.conn.execute(history.insert(), self._history)
            self._history = []
        if self._dirty:
            self.conn.execute(self._upsert_steps, [self._dirty[key] for key in sorted(self._dirty)])
            self._dirty = {}
