"""The read queries the REST API needs beyond :class:`~engine.store.Store`'s own.

Filtered, keyset-paginated process lists, counts for the metrics, pending approvals, and the recently
updated processes the event stream follows. They only read, each in its own short transaction, over the
store's tables (:mod:`engine.store.schema`); the store remains the only writer of them. They may move into
:class:`~engine.store.Store` once another reader needs them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from engine.api.reads import SUMMARY_COLUMNS, summary
from engine.store import Store
from engine.store.connect import failure
from engine.store.schema import history, processes, steps


@dataclass(frozen=True)
class ProcessFilter:
    """Which processes a list shows: any of ``states``, one definition ``name``, launched in [since, until)."""

    states: Sequence[str] = ()
    name: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self, query: sa.Select[Any]) -> sa.Select[Any]:
        """``query`` restricted to the matching processes."""
        if self.states:
            query = query.where(processes.c.status.in_(list(self.states)))
        if self.name is not None:
            query = query.where(processes.c.name == self.name)
        if self.since is not None:
            query = query.where(processes.c.launched_at >= self.since)
        if self.until is not None:
            query = query.where(processes.c.launched_at < self.until)
        return query


@dataclass(frozen=True)
class Position:
    """Where a page of processes ends: the last one's launch time and id (the list's sort key)."""

    launched_at: datetime
    id: str


@contextmanager
def reading(store: Store) -> Iterator[Connection]:
    """A short read transaction; database failures become a one-line StoreError."""
    try:
        with store.engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise failure(exc, store.url) from exc


def list_processes(store: Store, which: ProcessFilter, limit: int, after: Position | None = None
                   ) -> list[dict[str, Any]]:
    """Summaries of processes, newest launched first, starting after ``after`` (keyset pagination).

    Keyset rather than offset pagination: a page never repeats or skips a process when new ones are
    launched while a client pages through the list, and a deep page costs no more than the first.
    """
    columns = [processes.c[name] for name in SUMMARY_COLUMNS]
    query = which.where(sa.select(*columns))
    if after is not None:
        query = query.where(sa.or_(processes.c.launched_at < after.launched_at,
                                   sa.and_(processes.c.launched_at == after.launched_at, processes.c.id < after.id)))
    query = query.order_by(processes.c.launched_at.desc(), processes.c.id.desc()).limit(limit)
    with reading(store) as conn:
        return [summary(dict(row)) for row in conn.execute(query).mappings()]


def count_processes(store: Store, which: ProcessFilter) -> int:
    """How many processes match (every page together)."""
    query = which.where(sa.select(sa.func.count()).select_from(processes))
    with reading(store) as conn:
        return int(conn.execute(query).scalar_one())


def count_by_status(store: Store) -> dict[str, int]:
    """How many processes are in each state."""
    query = sa.select(processes.c.status, sa.func.count()).group_by(processes.c.status)
    with reading(store) as conn:
        return {str(status): int(count) for status, count in conn.execute(query)}


def count_records(store: Store) -> dict[str, int]:
    """Totals from the history: ``dispatches``, ``retries_policy`` (automatic), ``retries_operator``.

    A dispatch is a ``step.dispatched`` record (re-dispatches of lost work included); an automatic retry a
    ``step.failed`` record whose handling is ``retry``; an operator's retry a ``step.retried`` record.
    The history only grows, so these are true counters. One aggregate scan per call.
    """
    handling = history.c.data["handling"].as_string()
    query = sa.select(
        sa.func.sum(sa.case((history.c.kind == "step.dispatched", 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(history.c.kind == "step.failed", handling == "retry"), 1), else_=0)),
        sa.func.sum(sa.case((history.c.kind == "step.retried", 1), else_=0)),
    ).where(history.c.kind.in_(["step.dispatched", "step.failed", "step.retried"]))
    with reading(store) as conn:
        dispatches, policy, operator = conn.execute(query).one()
    return {"dispatches": int(dispatches or 0), "retries_policy": int(policy or 0),
            "retries_operator": int(operator or 0)}


def finished_steps(store: Store, updated_since: datetime | None) -> list[dict[str, Any]]:
    """Step runs that ended (and had started), updated at or after ``updated_since`` (every one when None)."""
    query = (sa.select(steps.c.process_id, steps.c.node, steps.c.kind, steps.c.participant, steps.c.started_at,
                       steps.c.ended_at, steps.c.updated_at)
             .where(steps.c.ended_at.is_not(None), steps.c.started_at.is_not(None)))
    if updated_since is not None:
        query = query.where(steps.c.updated_at >= updated_since)
    with reading(store) as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def pending_approvals(store: Store, name: str | None = None) -> list[dict[str, Any]]:
    """Approve steps waiting for an answer, in processes that can still take one, oldest first."""
    query = (sa.select(steps.c.process_id, processes.c.name.label("process_name"), processes.c.status,
                       steps.c.node, steps.c.step, steps.c.path, steps.c.detail, steps.c.started_at)
             .join(processes, processes.c.id == steps.c.process_id)
             .where(steps.c.kind == "approve", steps.c.status == "waiting",
                    processes.c.status.in_(["running", "paused", "error"]))
             .order_by(steps.c.started_at, steps.c.process_id, steps.c.node))
    if name is not None:
        query = query.where(processes.c.name == name)
    with reading(store) as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def updated_processes(store: Store, since: datetime | None, *, name: str | None = None,
                      process_id: str | None = None) -> list[dict[str, Any]]:
    """Id, name, status and last update of the processes updated at or after ``since`` (all when None)."""
    query = sa.select(processes.c.id, processes.c.name, processes.c.status, processes.c.updated_at)
    if since is not None:
        query = query.where(processes.c.updated_at >= since)
    if name is not None:
        query = query.where(processes.c.name == name)
    if process_id is not None:
        query = query.where(processes.c.id == process_id)
    with reading(store) as conn:
        return [dict(row) for row in conn.execute(query.order_by(processes.c.updated_at)).mappings()]


def last_seqs(store: Store, process_ids: Sequence[str]) -> dict[str, int]:
    """The number of the last history record of each process."""
    if not process_ids:
        return {}
    query = (sa.select(history.c.process_id, sa.func.max(history.c.seq))
             .where(history.c.process_id.in_(list(process_ids))).group_by(history.c.process_id))
    with reading(store) as conn:
        return {str(pid): int(seq) for pid, seq in conn.execute(query)}


def latest_update(store: Store) -> datetime | None:
    """When the most recently updated process was updated, by the engine's clock."""
    with reading(store) as conn:
        value: datetime | None = conn.execute(sa.select(sa.func.max(processes.c.updated_at))).scalar()
    return value
