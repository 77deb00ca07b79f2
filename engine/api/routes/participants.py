"""Participants and pools: who is registered and alive (from the store, ``boss participants``), and every
host's pool as its agent reports it, started, stopped or restarted remotely (``skynet list --cluster``,
``skynet remote``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from engine.api import pools
from engine.api.auth import Operator, caller
from engine.api.context import ApiContext, Context
from engine.api.errors import RESPONSES, ApiError
from engine.api.models import PoolActionBody
from engine.api.paging import page_by_key
from engine.api.reads import participant_listing
from engine.transport.pool_messages import ACTIONS, BROADCAST, Action, valid_pool_name

router = APIRouter(prefix="/api", tags=["participants"], responses=RESPONSES)


@router.get("/participants", dependencies=[Depends(caller)])
def list_participants(request: Request, ctx: Context, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                      cursor: str | None = None) -> dict[str, Any]:
    """Registered participants by name: queue, pools, version, params schema, and instances alive or silent."""
    return page_by_key(request, _listing(ctx), lambda e: str(e["participant"]), limit, cursor,
                       lambda e: e).model_dump()


@router.get("/participants/{name}", dependencies=[Depends(caller)])
def show_participant(name: str, ctx: Context) -> dict[str, Any]:
    """One participant, with each instance's host, pool, pid, last heartbeat and current workitem."""
    for entry in _listing(ctx):
        if entry["participant"] == name:
            return entry
    raise ApiError(404, "not_found", f"no participant {name!r} is registered (see GET /api/participants)")


@router.get("/pools", dependencies=[Depends(caller)])
def list_pools(
    ctx: Context,
    wait: Annotated[float, Query(gt=0, le=10, description="Seconds to listen for agents.")] = pools.REPORT_WAIT,
) -> dict[str, Any]:
    """Every pool whose agent answers within ``wait``: its programs and their instances (``skynet list --cluster``)."""
    return pools.report(ctx.cluster_client, wait)


@router.post("/pools/{pool}/{action}")
def control_pool(
    body: PoolActionBody,
    pool: Annotated[str, Path(description="A pool name, or 'all' for every connected pool.")],
    action: Annotated[Action, Path(description=f"One of {', '.join(ACTIONS)}.")],
    ctx: Context,
    _who: Operator,
) -> dict[str, Any]:
    """Start, stop, restart, enable or disable programs of a pool through its agent (``skynet remote``).

    The agent decides what it allows (``SKYNET_AGENT_ALLOW``); a refusal is a 409 with its reason.
    """
    if pool != BROADCAST and not valid_pool_name(pool):
        raise ApiError(422, "invalid", "pool: use letters, digits, '-' and '_' (or 'all')")
    return pools.act(ctx.cluster_client, pool, action, body.programs, body.wait)


def _listing(ctx: ApiContext) -> list[dict[str, Any]]:
    return participant_listing(ctx.store.registrations(), ctx.store.instances(), datetime.now(UTC),
                               timedelta(seconds=ctx.settings.heartbeat_timeout))
