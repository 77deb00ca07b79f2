"""The webhook endpoint: a FastAPI app that verifies GitHub-style deliveries and launches matching processes.

Order of checks, each answered before the next is tried:

1. body larger than ``max_body``: 413; signature missing or wrong: **401, nothing launched** (the body is
   not even parsed, so an unsigned request cannot probe the rules);
2. no ``X-GitHub-Event`` header, or a body that is not a JSON object: 400;
3. ``ping`` (sent when the hook is created): 200;
4. no rule matches: 202 with the reason it was ignored;
5. every matching rule launches its process with request id ``github:<delivery id>:<rule>``: GitHub's
   redeliveries of one delivery never launch twice (the engine answers a repeated request id with its first
   answer). 202 with the process ids; 422 when the engine refused a launch or a field could not be taken
   from the payload (redelivering will not help: fix the rule or the process); 503 when the engine cannot
   be reached (a redelivery later is safe).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from engine.errors import ExpressionError, TransportError
from launchers.client import Launcher, LaunchRefused
from launchers.webhook import rules
from launchers.webhook.config import Rule, WebhookConfig
from launchers.webhook.signature import HEADER, verify

log = logging.getLogger("boss.webhook")

EVENT_HEADER = "X-GitHub-Event"
DELIVERY_HEADER = "X-GitHub-Delivery"


def create_app(config: WebhookConfig, launcher: Launcher) -> FastAPI:
    """The app: ``POST config.path`` for deliveries, ``GET /healthz`` for supervisors and load balancers."""
    app = FastAPI(title="boss webhook launcher", docs_url=None, redoc_url=None, openapi_url=None)
    secret = config.secret.get_secret_value()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(config.path)
    async def receive(request: Request) -> JSONResponse:
        body = await _body(request, config.max_body)
        if body is None:
            return _answer(413, error=f"body larger than {config.max_body} bytes")
        if not verify(secret, body, request.headers.get(HEADER)):
            log.warning("refused a delivery from %s: %s", request.client.host if request.client else "?",
                        "bad signature" if request.headers.get(HEADER) else "no signature")
            return _answer(401, error=f"missing or invalid {HEADER} signature")
        hook = _parse(request, body)
        if isinstance(hook, JSONResponse):
            return hook
        if hook.event == "ping":
            return _answer(200, status="pong")
        return await _launch_all(config.rules, hook, launcher)

    return app


async def _body(request: Request, limit: int) -> bytes | None:
    """The raw body (the signature covers its exact bytes), or None beyond ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(request: Request, body: bytes) -> rules.Hook | JSONResponse:
    event = request.headers.get(EVENT_HEADER, "").strip()
    if not event:
        return _answer(400, error=f"no {EVENT_HEADER} header")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _answer(400, error=f"the body is not JSON: {exc}")
    if not isinstance(payload, dict):
        return _answer(400, error="the body must be a JSON object")
    # GitHub always sends a delivery id; without one, the body's digest still makes a resend launch once.
    delivery = request.headers.get(DELIVERY_HEADER, "").strip()[:64] or hashlib.sha256(body).hexdigest()
    return rules.Hook(event=event, delivery=delivery, payload=payload)


async def _launch_all(all_rules: list[Rule], hook: rules.Hook, launcher: Launcher) -> JSONResponse:
    try:
        matched = [rule for rule in all_rules if rules.matches(rule, hook)]
    except ExpressionError as exc:
        return _answer(422, error=f"a rule's condition failed on this payload: {exc}")
    if not matched:
        reason = f"no rule for {rules.describe(hook)}"
        log.info("delivery %s ignored: %s", hook.delivery, reason)
        return _answer(202, status="ignored", reason=reason)
    launches = []
    for rule in matched:
        try:
            launches.append(await _launch(rule, hook, launcher))
        except TransportError as exc:
            log.error("delivery %s: rule %s: %s", hook.delivery, rule.name, exc)
            return _answer(503, error=str(exc), launches=launches)
    refused = [item for item in launches if "error" in item]
    return _answer(422 if refused else 202, status="refused" if refused else "launched", launches=launches)


async def _launch(rule: Rule, hook: rules.Hook, launcher: Launcher) -> dict[str, Any]:
    """Launch one rule's process; a refusal or a field that cannot be rendered is reported, not raised."""
    item: dict[str, Any] = {"rule": rule.name, "process": rule.process}
    try:
        fields = rules.fields_for(rule, hook)
        launched = await run_in_threadpool(launcher, rule.process, fields,
                                           request_id=f"github:{hook.delivery}:{rule.name}",
                                           by=f"github:{hook.sender}" if hook.sender else "github")
    except (LaunchRefused, ExpressionError) as exc:
        log.error("delivery %s: rule %s: %s", hook.delivery, rule.name, exc)
        return {**item, "error": str(exc)}
    log.info("delivery %s (%s): rule %s launched %s as process %s", hook.delivery, rules.describe(hook),
             rule.name, rule.process, launched.process_id)
    return {**item, "process_id": launched.process_id, "warnings": list(launched.warnings)}


def _answer(status_code: int, **content: Any) -> JSONResponse:
    return JSONResponse(content, status_code=status_code)
