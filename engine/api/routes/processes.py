"""``/api/processes``: list, show, history (reads from the store) and launch, cancel, pause, resume, retry,
skip (requests to the engine, answered once it applied them). Approvals are in :mod:`.approvals`.

Every ``{process_id}`` may be a unique prefix of an id, as in the ``boss`` commands; answers carry full ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from engine.api import queries
from engine.api.auth import Operator, Principal, caller
from engine.api.commands import command, launch, launch_request, program_from_source
from engine.api.context import ApiContext, Context
from engine.api.errors import RESPONSES, ApiError
from engine.api.events import record_json
from engine.api.models import (
    CommandAnswer,
    CommentBody,
    HistoryPage,
    LaunchAnswer,
    LaunchBody,
    ProcessDetail,
    ProcessPage,
    RetryBody,
    SkipBody,
)
from engine.api.paging import decode_cursor, encode_cursor, next_link
from engine.api.reads import process_summary, resolve_process
from engine.interpreter.state import ProcessStatus
from engine.language import redact

STATES = tuple(status.value for status in ProcessStatus)

router = APIRouter(prefix="/api/processes", tags=["processes"], responses=RESPONSES)


@router.get("", response_model=ProcessPage, dependencies=[Depends(caller)])
def list_processes(
    request: Request,
    ctx: Context,
    state: Annotated[str | None, Query(description=f"Comma-separated states: {','.join(STATES)}.")] = None,
    name: Annotated[str | None, Query(description="Only processes of this definition.")] = None,
    since: Annotated[datetime | None, Query(description="Launched at or after (ISO 8601; naive is UTC).")] = None,
    until: Annotated[datetime | None, Query(description="Launched before (ISO 8601; naive is UTC).")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    cursor: Annotated[str | None, Query(description="From the previous page's next_cursor.")] = None,
) -> dict[str, Any]:
    """Processes, newest launched first (``boss ps``); ``?state=error`` is ``boss errors``."""
    which = queries.ProcessFilter(states=_states(state), name=name, since=_utc(since), until=_utc(until))
    after = _position(cursor) if cursor else None
    rows = queries.list_processes(ctx.store, which, limit + 1, after)
    more = None
    if len(rows) > limit:
        rows = rows[:limit]
        more = encode_cursor({"t": rows[-1]["launched_at"].isoformat(), "id": rows[-1]["id"]})
    return {"items": rows, "total": queries.count_processes(ctx.store, which), "next": next_link(request, more),
            "next_cursor": more}


@router.post("", status_code=201, response_model=LaunchAnswer)
def launch_process(body: LaunchBody, response: Response, ctx: Context, who: Operator) -> dict[str, Any]:
    """Start a process (``boss launch``); answered once the engine has stored it (201, ``Location``).

    Fields are checked against the definition's declarations first: a missing, unknown or mistyped field
    is a 422 and nothing is sent.
    """
    if body.definition is not None:
        program = ctx.library.program(body.definition)
    else:
        assert body.source is not None
        program = program_from_source(ctx.library, body.source)
    request = launch_request(program, body.fields, name=body.definition, by=who.name, request_id=body.request_id)
    with ctx.engine_client() as client:
        answer = launch(client, request)
    assert answer.process_id is not None
    url = f"/api/processes/{answer.process_id}"
    response.headers["Location"] = url
    return {"process_id": answer.process_id, "status": answer.status, "warnings": answer.warnings, "url": url}


@router.get("/{process_id}", response_model=ProcessDetail, dependencies=[Depends(caller)])
def show_process(process_id: str, ctx: Context) -> dict[str, Any]:
    """A process: state, fields (secrets redacted) and its step tree (``boss show``)."""
    pid = resolve_process(ctx.store, process_id)
    row = ctx.store.get_process(pid)
    if row is None:
        raise ApiError(404, "not_found", f"no process {process_id!r}")
    secret = ctx.secrets(row.program)
    # when the definition cannot be read, which fields are secret is unknown: hide every value
    fields = redact(row.state.fields, frozenset(row.state.fields) if secret is None else secret)
    steps = [asdict(step) for step in ctx.store.steps(pid)]
    return {**process_summary(row), "fields": fields, "steps": steps}


@router.get("/{process_id}/history", response_model=HistoryPage, dependencies=[Depends(caller)])
def process_history(
    request: Request,
    process_id: str,
    ctx: Context,
    after: Annotated[int, Query(ge=0, description="Only records numbered above this.")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000, description="Page size.")] = 500,
    cursor: Annotated[str | None, Query(description="From the previous page's next_cursor.")] = None,
) -> dict[str, Any]:
    """The audit trail of every event of a process, in order (``boss history``)."""
    pid = resolve_process(ctx.store, process_id)
    if cursor:
        after = _int(decode_cursor(cursor).get("after"))
    rows = ctx.store.history(pid, after_seq=after, limit=limit + 1)
    more = encode_cursor({"after": rows[limit - 1].seq}) if len(rows) > limit else None
    return {"items": [record_json(r) for r in rows[:limit]], "next": next_link(request, more), "next_cursor": more}


def _command_route(name: str, summary: str) -> Callable[..., dict[str, Any]]:
    def act(process_id: str, ctx: Context, who: Operator, body: CommentBody | None = None) -> dict[str, Any]:
        return send(ctx, process_id, name, who, comment=body.comment if body else "")

    act.__name__ = f"{name}_process"
    act.__doc__ = summary
    return act


for _name, _summary in (
    ("cancel", "Cancel a process (``boss cancel``): running work gets cancel requests, then on_cancel runs."),
    ("pause", "Pause a process (``boss pause``): running steps finish, no new step starts."),
    ("resume", "Resume a paused process (``boss resume``)."),
):
    router.add_api_route(f"/{{process_id}}/{_name}", _command_route(_name, _summary), methods=["POST"],
                         response_model=CommandAnswer, summary=_summary.split(" (")[0].capitalize())


@router.post("/{process_id}/retry", response_model=CommandAnswer)
def retry_process(process_id: str, ctx: Context, who: Operator, body: RetryBody | None = None) -> dict[str, Any]:
    """Re-run the failed step, optionally with corrected fields (``boss retry``)."""
    body = body or RetryBody()
    return send(ctx, process_id, "retry", who, step=body.step, fields=body.fields)


@router.post("/{process_id}/skip", response_model=CommandAnswer)
def skip_step(process_id: str, ctx: Context, who: Operator, body: SkipBody | None = None) -> dict[str, Any]:
    """Mark the failed step skipped and go on (``boss skip``)."""
    return send(ctx, process_id, "skip", who, step=body.step if body else None)


def send(ctx: ApiContext, process_id: str, name: str, who: Principal, **extra: Any) -> dict[str, Any]:
    """Send a command about a process to the engine, as ``who``; the engine's answer."""
    pid = resolve_process(ctx.store, process_id)
    with ctx.engine_client() as client:
        answer = command(client, pid, name, by=who.name, **extra)
    return {"process_id": pid, "command": name, "status": answer.status}


def _states(text: str | None) -> list[str]:
    wanted = [s.strip() for s in (text or "").split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATES]
    if unknown:
        raise ApiError(422, "invalid", f"state: unknown state {unknown[0]!r} (states: {', '.join(STATES)})")
    return wanted


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _position(cursor: str) -> queries.Position:
    data = decode_cursor(cursor)
    try:
        return queries.Position(launched_at=datetime.fromisoformat(str(data["t"])), id=str(data["id"]))
    except (KeyError, ValueError) as exc:
        raise ApiError(422, "invalid", "cursor: not a cursor this API gave (use the 'next' link as it is)") from exc


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ApiError(422, "invalid", "cursor: not a cursor this API gave (use the 'next' link as it is)")
