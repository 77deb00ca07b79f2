"""Approvals: the approve steps waiting for an answer, and answering one (``boss approve``).

The answer is given as the token's name, which the engine checks against the step's ``by`` (people, or
groups of the engine's ``groups`` setting): an approval restricted to ``alice`` needs alice's named token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from engine.api import queries
from engine.api.auth import Operator, caller
from engine.api.context import Context
from engine.api.errors import RESPONSES
from engine.api.models import ApproveBody, CommandAnswer
from engine.api.routes.processes import send

router = APIRouter(prefix="/api", tags=["approvals"], responses=RESPONSES)


@router.get("/approvals", dependencies=[Depends(caller)])
def pending_approvals(
    ctx: Context, name: Annotated[str | None, Query(description="Only processes of this definition.")] = None,
) -> dict[str, Any]:
    """Approve steps waiting for an answer, oldest first: process, step, prompt, who may answer, since when."""
    items = [{"process_id": row["process_id"], "process_name": row["process_name"],
              "process_status": row["status"], "node": row["node"], "step": row["step"], "path": row["path"],
              "prompt": (row["detail"] or {}).get("prompt"), "by": (row["detail"] or {}).get("by") or [],
              "since": row["started_at"]}
             for row in queries.pending_approvals(ctx.store, name)]
    return {"items": items, "next": None, "next_cursor": None}


@router.post("/processes/{process_id}/approve", response_model=CommandAnswer)
def approve(process_id: str, ctx: Context, who: Operator, body: ApproveBody | None = None) -> dict[str, Any]:
    """Answer an approve step (``boss approve``): ``{"approved": false}`` rejects."""
    body = body or ApproveBody()
    return send(ctx, process_id, "approve", who, step=body.step, approved=body.approved, comment=body.comment)
