"""Health (no token), who am I, Prometheus metrics, and the live event stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from engine.api import queries
from engine.api.auth import Caller, caller
from engine.api.context import ApiContext, Context
from engine.api.errors import RESPONSES
from engine.api.events import Feed, parse_event_id, sse
from engine.api.metrics import CONTENT_TYPE
from engine.api.reads import resolve_process
from engine.errors import StoreError

router = APIRouter(tags=["system"], responses=RESPONSES)


@router.get("/api/health", responses={503: {"description": "The store cannot be read."}})
def health(ctx: Context) -> JSONResponse:
    """Whether the API can read its store (for load balancers and supervisors; needs no token)."""
    try:
        queries.latest_update(ctx.store)
    except StoreError:
        return JSONResponse({"status": "unavailable", "store": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "store": "ok"})


@router.get("/api/me")
def whoami(who: Caller) -> dict[str, Any]:
    """The caller: the token's name (the ``by`` of what it does) and role (``read`` or ``operate``)."""
    return {"name": who.name, "role": who.role}


@router.get("/metrics", dependencies=[Depends(caller)], response_class=PlainTextResponse,
            responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format 0.0.4."}})
def metrics(ctx: Context) -> PlainTextResponse:
    """Prometheus metrics: processes by state, instances, dispatches, retries, dead letters, step durations."""
    return PlainTextResponse(ctx.metrics.render(), media_type=CONTENT_TYPE)


@router.get("/api/events", dependencies=[Depends(caller)], response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."}})
def events(
    request: Request,
    ctx: Context,
    process: Annotated[str | None, Query(description="Follow only this process (an id or a unique prefix).")] = None,
    name: Annotated[str | None, Query(description="Only processes of this definition.")] = None,
    after: Annotated[int | None, Query(ge=0, description="With process: replay its records above this.")] = None,
    last_event_id: Annotated[str | None, Header(description="Sent by EventSource when it reconnects.")] = None,
) -> StreamingResponse:
    """Live process events: one ``process`` event per process and commit, with its new history records.

    With ``process``, a reconnecting client (``Last-Event-ID``) gets exactly the records it missed.
    """
    pid = resolve_process(ctx.store, process) if process else None
    resumed = parse_event_id(last_event_id)
    if pid is not None and after is None and resumed is not None and resumed[0] == pid:
        after = resumed[1]
    feed = Feed(ctx.store, name=name, process_id=pid, after=after)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_stream(request, feed, ctx), media_type="text/event-stream", headers=headers)


async def _stream(request: Request, feed: Feed, ctx: ApiContext) -> AsyncIterator[str]:
    """Poll the feed until the client goes away; a comment now and then keeps proxies from closing the line."""
    yield ": connected\nretry: 2000\n\n"
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        try:
            batches = await run_in_threadpool(feed.poll)
        except StoreError as exc:
            batches = []
            yield f"event: problem\ndata: {str(exc).splitlines()[0]}\n\n"
        for batch in batches:
            yield sse(batch)
        if batches:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= ctx.keepalive:
            quiet_since = time.monotonic()
            yield ": keepalive\n\n"
        await asyncio.sleep(ctx.poll_interval)
