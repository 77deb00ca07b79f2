"""The pools of every host, seen and steered through their agents (``skynet list --cluster``, ``skynet remote``).

A thin layer over :class:`skynet.agent.ClusterClient` that turns the agents' answers into API answers:
states as JSON, and an :class:`~engine.api.errors.ApiError` when a pool is not connected, did not answer,
refused, or failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.api.errors import ApiError
from engine.transport.pool_messages import BROADCAST, PoolControlAnswer, RequestKind

if TYPE_CHECKING:
    from skynet.agent.client import ClusterClient

ClusterFactory = Callable[[], "ClusterClient"]
REPORT_WAIT = 1.0  # pools answer within milliseconds; nobody knows how many there are, so listen this long


def answer_json(answer: PoolControlAnswer) -> dict[str, Any]:
    """One agent's answer as JSON: pool, host, ok, refused, error, state."""
    return answer.model_dump(mode="json", exclude={"request_id", "v"})


def report(factory: ClusterFactory, wait: float = REPORT_WAIT) -> dict[str, Any]:
    """Every connected pool's state, sorted by pool; ``unverified`` counts answers not signed with our key."""
    with factory() as client:
        gathered = client.report(wait)
    answers = sorted(gathered.answers, key=lambda a: (a.pool, a.host))
    return {"items": [answer_json(a) for a in answers], "unverified": gathered.unverified}


def act(factory: ClusterFactory, pool: str, action: RequestKind, programs: list[str], wait: float
        ) -> dict[str, Any]:
    """Start, stop, restart, enable or disable ``programs`` in ``pool`` (or every pool: ``all``).

    Raises:
        ApiError: 404 when no agent of the pool is connected; 504 when a pool did not answer in time;
            409 when a pool refused (not allowed there, or another signing key) or the action failed.
    """
    from skynet.agent.client import NoAgent

    with factory() as client:
        expect = None
        if pool == BROADCAST:  # wait for as many answers as there are pools now
            known = client.report(REPORT_WAIT)
            expect = len(known.answers) + known.unverified
            if not expect:
                raise ApiError(404, "no_agent", f"no pool agent answered within {REPORT_WAIT:g}s (is any pool up?)")
        try:
            gathered = client.request(pool, action, programs, wait=wait, expect=expect)
        except NoAgent as exc:
            raise ApiError(404, "no_agent", str(exc)) from exc
    answers = sorted(gathered.answers, key=lambda a: (a.pool, a.host))
    detail = [answer_json(a) for a in answers]
    if gathered.unverified:
        raise ApiError(409, "refused", f"{gathered.unverified} pool(s) answered with another signing key "
                       "(BOSS_SIGNING_KEY differs)", detail)
    if len(answers) < (expect if expect is not None else 1):
        raise ApiError(504, "timeout", f"not every pool answered within {wait:g}s (the action may still be "
                       "running: GET /api/pools shows the state)", detail)
    refused = [a for a in answers if a.refused]
    if refused:
        raise ApiError(409, "refused", f"pool {refused[0].pool} refused: {refused[0].error}", detail)
    failed = [a for a in answers if not a.ok]
    if failed:
        raise ApiError(409, "failed", f"pool {failed[0].pool}: {action} failed: {failed[0].error}", detail)
    return {"items": detail}
