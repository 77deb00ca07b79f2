"""Which control requests an agent carries out: the authorisation rules, with no I/O.

A request is refused, with a one-line reason for the requester, when any of these holds (in this order):

1. a signing key is set (``BOSS_SIGNING_KEY``) and the request is not signed with it;
2. it is older than ``max_age`` seconds, or dated more than that in the future (a replay, or clocks apart);
3. its ``request_id`` was already seen within the last ``2 * max_age`` seconds (a replay of a fresh one);
4. the action is not in the agent's allow-list (``SKYNET_AGENT_ALLOW`` or ``agent.yaml``);
5. it names no program, or names the agent's own program (the agent would stop itself mid-answer).

``report`` only reads, so rules 4 and 5 do not apply to it; rules 1-3 do, so that with a key set an
unkeyed party learns nothing it could not already read from ``boss.events``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.transport.pool_messages import BROADCAST, PoolControl
from engine.transport.signing import verify
from skynet.agent.settings import AgentSettings


def addressed_to(request: PoolControl, pool: str) -> bool:
    """Whether the request's body names this pool (or every pool): the routing key alone is not signed."""
    return request.pool in (pool, BROADCAST)


class Gate:
    """Judges control requests for one agent; remembers recent request ids to refuse replays."""

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self._seen: dict[str, datetime] = {}  # request id -> when it stops mattering

    def refusal(self, request: PoolControl, *, body: bytes, signature: str | None, now: datetime) -> str | None:
        """Why ``request`` must not be carried out, or None when it may be.

        Args:
            request: The decoded request (already known to be addressed to this pool).
            body: The exact bytes received (the signature covers them, not the decoded model).
            signature: The ``x-boss-signature`` header, if any.
            now: The current time (aware).
        """
        settings = self.settings
        if settings.signing_key and not verify(settings.signing_key, body, signature):
            return "bad or missing signature: requests must be signed with this pool's BOSS_SIGNING_KEY"
        sent_at = request.sent_at if request.sent_at.tzinfo else request.sent_at.replace(tzinfo=UTC)
        age = (now - sent_at).total_seconds()
        if age > settings.max_age:
            return (f"request is {age:.0f}s old (at most {settings.max_age:g}s): a replay, or the clocks of the "
                    "two hosts differ")
        if -age > settings.max_age:
            return f"request is dated {-age:.0f}s in the future: the clocks of the two hosts differ"
        if self._replayed(request.request_id, now):
            return f"request {request.request_id} was already handled"
        if request.action == "report":
            return None
        if request.action not in settings.allow:
            allowed = ", ".join(sorted(settings.allow)) or "none"
            return (f"action {request.action} is not allowed on pool {settings.pool} (allowed: {allowed}; "
                    "see SKYNET_AGENT_ALLOW)")
        if not request.programs:
            return f"{request.action} needs at least one program name"
        if settings.own_program and settings.own_program in request.programs:
            return f"{settings.own_program} is the agent of pool {settings.pool}: it is not controlled remotely"
        return None

    def _replayed(self, request_id: str, now: datetime) -> bool:
        self._seen = {rid: until for rid, until in self._seen.items() if until > now}
        if request_id in self._seen:
            return True
        self._seen[request_id] = now + timedelta(seconds=2 * self.settings.max_age)
        return False
