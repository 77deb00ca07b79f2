"""One JSON error shape for every failure of the REST API: ``{"error": {"code", "message", "detail"?}}``.

Clients (scripts, the dashboard) branch on ``code``, a stable word, and show ``message``, one line that
says what is wrong and how to fix it, as the CLI does. ``detail`` is there only when there is more to
say: the fields that failed validation, the problems of a definition, the answers of pool agents.

Our own exceptions map onto HTTP statuses here, in one place, so that routes simply raise them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from engine.errors import (
    BossError,
    DefinitionError,
    LaunchError,
    NotFoundError,
    RequestError,
    StoreError,
    TransportError,
)

log = logging.getLogger("boss.api")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "refused", 422: "invalid", 500: "internal", 503: "unavailable", 504: "timeout"}

# (exception class, HTTP status, code), most specific first: the first match wins.
_BOSS_ERRORS: tuple[tuple[type[BossError], int, str], ...] = (
    (NotFoundError, 404, "not_found"),
    (DefinitionError, 422, "bad_definition"),
    (LaunchError, 422, "bad_fields"),
    (RequestError, 409, "refused"),
    (TransportError, 503, "broker_unavailable"),
    (StoreError, 503, "store_unavailable"),
)


class ErrorBody(BaseModel):
    """What went wrong: a stable ``code`` to branch on, a one-line ``message`` to show."""

    code: str
    message: str
    detail: Any = None


class ErrorResponse(BaseModel):
    """The body of every error response (documented in OpenAPI for every route)."""

    error: ErrorBody


RESPONSES: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse}
                                             for status in (401, 403, 404, 409, 422, 503)}
"""The error responses every router documents (OpenAPI)."""


class ApiError(Exception):
    """An error the API answers as it is: HTTP status, code, message, optional detail."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers


def error_response(status: int, code: str, message: str, detail: Any = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The JSON response of one error."""
    body: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse({"error": body}, status_code=status, headers=dict(headers) if headers else None)


def boss_error_status(exc: BossError) -> tuple[int, str]:
    """The HTTP status and code of one of our exceptions (400 ``bad_request`` for any other BossError)."""
    for kind, status, code in _BOSS_ERRORS:
        if isinstance(exc, kind):
            return status, code
    return 400, "bad_request"


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` in the one shape, whatever raised it."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(BossError, _boss_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.detail, exc.headers)


async def _boss_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BossError)
    status, code = boss_error_status(exc)
    detail = None
    if isinstance(exc, DefinitionError):
        detail = [{"file": p.file, "line": p.line, "path": p.path, "message": p.message} for p in exc.problems]
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if status >= 500:
        log.warning("%s", exc)
    return error_response(status, code, message, detail)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = "no such resource (see /api/docs for the endpoints)"
    elif exc.status_code == 405 and message == "Method Not Allowed":
        message = "this method is not allowed here (see /api/docs)"
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"where": ".".join(str(part) for part in error.get("loc", ())), "message": error.get("msg", "")}
                for error in exc.errors()]
    first = problems[0] if problems else {"where": "request", "message": "invalid"}
    return error_response(422, "invalid", f"{first['where']}: {first['message']}", problems)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal", f"internal error ({type(exc).__name__}); see the server's log")
