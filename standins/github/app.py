"""The GitHub stand-in's FastAPI app: authentication, injected faults, rate-limit headers, error bodies.

Every request passes :func:`gate` first, as it would pass GitHub's front door: an injected fault answers
at once (a 5xx, or a rate limit with ``Retry-After``); a missing token is ``401 Requires authentication``
and a wrong one ``401 Bad credentials``; every answer carries the ``X-RateLimit-*`` headers PyGithub reads.
The API is served at the root (``base_url="http://127.0.0.1:PORT"``, like api.github.com) and under
``/api/v3`` (``base_url=".../api/v3"``, like GitHub Enterprise Server).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from standins.github import shapes
from standins.github.api import GHE_PREFIX, ApiError, router
from standins.github.state import Failure, GitHubState

RATE_LIMIT = 5000
FAULT_MESSAGES = {500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
                  403: "API rate limit exceeded for user ID 1.", 429: "API rate limit exceeded for user ID 1."}


def create_app(state: GitHubState | None = None) -> FastAPI:
    """A GitHub stand-in serving ``state`` (a fresh one by default); tests read it as ``app.state.github``."""
    app = FastAPI(title="GitHub stand-in", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.github = state or GitHubState()
    app.include_router(router)
    app.include_router(router, prefix=GHE_PREFIX)
    app.middleware("http")(gate)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


async def gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Faults, then authentication, then the endpoint; rate-limit headers and the request log on the way out."""
    state: GitHubState = request.app.state.github
    path = request.url.path.removeprefix(GHE_PREFIX)
    failure = state.take_failure(request.method, path)
    if failure is not None:
        response: Response = _fault(failure)
    elif (problem := _auth_problem(state, request.headers.get("authorization", ""))) is not None:
        response = JSONResponse(shapes.error(401, problem), status_code=401)
    else:
        response = await call_next(request)
    used = len(state.requests) + 1
    remaining = 0 if failure is not None and failure.status in (403, 429) else max(RATE_LIMIT - used, 0)
    response.headers.update({
        "X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Used": str(used), "X-RateLimit-Reset": str(int(time.time()) + 3600),
        "X-RateLimit-Resource": "core", "X-GitHub-Media-Type": "github.v3; format=json",
        "X-GitHub-Api-Version-Selected": "2022-11-28", "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
    })
    state.record(request.method, path, response.status_code)
    return response


def _auth_problem(state: GitHubState, header: str) -> str | None:
    if not header:
        return "Requires authentication"
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("token", "bearer") or token.strip() != state.token:
        return "Bad credentials"
    return None


def _fault(failure: Failure) -> JSONResponse:
    message = failure.message or FAULT_MESSAGES.get(failure.status, "Injected failure")
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else None
    return JSONResponse(shapes.error(failure.status, message), status_code=failure.status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(shapes.error(exc.status, exc.message, exc.errors), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths and methods: GitHub answers 404 Not Found for both.
    assert isinstance(exc, HTTPException)
    status = 404 if exc.status_code in (404, 405) else exc.status_code
    return JSONResponse(shapes.error(status, "Not Found" if status == 404 else str(exc.detail)), status_code=status)


async def _validation_error(request: Request, exc: Exception) -> Response:
    # Path parameters of the wrong type (a release id that is not a number): GitHub says 404.
    return JSONResponse(shapes.error(404, "Not Found"), status_code=404)
