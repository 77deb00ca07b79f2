"""Bearer tokens: who may read and who may act through the REST API.

Every request but the public ones (health, the OpenAPI docs) must carry ``Authorization: Bearer TOKEN``.
Authentication happens in an ASGI middleware, before FastAPI reads the body, so that a caller without a
valid token learns nothing, not even whether its request would have been valid (401 with
``WWW-Authenticate: Bearer``). Authorization is a route dependency: a ``read`` token on a write endpoint
gets 403.

Tokens (see :mod:`engine.config`): ``BOSS_API_TOKEN`` operates and acts as ``api``;
``BOSS_API_READ_TOKEN`` only reads (as ``reader``); ``api_tokens`` in the config file adds named tokens,
each read from an environment variable or a file, acting under its own name (which is the ``by`` of the
commands it sends, so approve steps restricted to people or groups can be answered through the API).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.api.errors import ApiError, error_response
from engine.config import ConfigError, Settings

Role = Literal["read", "operate"]
OPERATOR_NAME = "api"
READER_NAME = "reader"
PUBLIC_PATHS = frozenset({"/api/health", "/api/docs", "/api/docs/oauth2-redirect", "/api/openapi.json"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="boss"'}
_INVALID = {"WWW-Authenticate": 'Bearer realm="boss", error="invalid_token"'}

bearer = HTTPBearer(auto_error=False, description="A boss API token (BOSS_API_TOKEN, BOSS_API_READ_TOKEN, "
                                                  "or a named token of api_tokens).")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name (the ``by`` of what it does) and its role."""

    name: str
    role: Role

    @property
    def may_operate(self) -> bool:
        """Whether this caller may change things (launch, command, control pools)."""
        return self.role == "operate"


@dataclass(frozen=True)
class _Token:
    secret: bytes
    principal: Principal


class Tokens:
    """The tokens the API accepts; compares in constant time."""

    def __init__(self, tokens: Iterable[tuple[str, Principal]]) -> None:
        self._tokens = [_Token(secret.encode("utf-8"), who) for secret, who in tokens]
        secrets = [t.secret for t in self._tokens]
        if len(set(secrets)) != len(secrets):
            raise ConfigError("two API tokens have the same value: each token must name one caller")

    def __bool__(self) -> bool:
        return bool(self._tokens)

    def identify(self, presented: str) -> Principal | None:
        """The caller a token belongs to, or None. Every token is compared, so timing tells nothing."""
        given = presented.encode("utf-8")
        found = None
        for token in self._tokens:
            if hmac.compare_digest(token.secret, given):
                found = token.principal
        return found


def load_tokens(settings: Settings, env: Mapping[str, str] = os.environ) -> Tokens:
    """The tokens of the settings, with the named ones read from their variable or file.

    Raises:
        ConfigError: a named token's variable is unset or its file unreadable (better to refuse to start
            than to run with a caller locked out without a word).
    """
    found: list[tuple[str, Principal]] = []
    if settings.api_token:
        found.append((settings.api_token, Principal(OPERATOR_NAME, "operate")))
    if settings.api_read_token:
        found.append((settings.api_read_token, Principal(READER_NAME, "read")))
    for name, spec in settings.api_tokens.items():
        if spec.token_env is not None:
            secret = env.get(spec.token_env, "").strip()
            where = f"environment variable {spec.token_env}"
        else:
            assert spec.token_file is not None
            where = f"file {spec.token_file}"
            try:
                secret = Path(spec.token_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"api_tokens.{name}: cannot read {where}: {exc.strerror}") from exc
        if not secret:
            raise ConfigError(f"api_tokens.{name}: {where} is empty or unset")
        found.append((secret, Principal(name, spec.role)))
    return Tokens(found)


class BearerAuth:
    """ASGI middleware: authenticate every non-public HTTP request, or answer 401 at once.

    The caller is left in ``scope["state"]["principal"]`` (``request.state.principal`` in routes).
    """

    def __init__(self, app: ASGIApp, tokens: Tokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        header = _header(scope, b"authorization")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            response = error_response(401, "unauthorized", "no bearer token: send 'Authorization: Bearer TOKEN'",
                                      headers=_CHALLENGE)
            await response(scope, receive, send)
            return
        principal = self.tokens.identify(presented.strip())
        if principal is None:
            response = error_response(401, "unauthorized", "invalid token", headers=_INVALID)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def caller(request: Request, _credentials: Credentials) -> Principal:
    """The authenticated caller (a dependency of every protected route; it also documents the scheme)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):  # a route outside the middleware's protection: never serve it
        raise ApiError(401, "unauthorized", "no bearer token: send 'Authorization: Bearer TOKEN'", headers=_CHALLENGE)
    return principal


def operator(request: Request, _credentials: Credentials) -> Principal:
    """The caller, when its token may operate; 403 for a read-only token."""
    principal = caller(request, _credentials)
    if not principal.may_operate:
        raise ApiError(403, "forbidden", f"token {principal.name!r} is read-only: this needs an operator token")
    return principal


Caller = Annotated[Principal, Depends(caller)]
"""A route parameter: the authenticated caller, any role."""

Operator = Annotated[Principal, Depends(operator)]
"""A route parameter: the authenticated caller, who must hold an operator token (else 403)."""
