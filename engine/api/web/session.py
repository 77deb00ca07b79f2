"""Browser sessions: a cookie that stands for the bearer token, and the CSRF check that goes with it.

A browser cannot put ``Authorization: Bearer`` on a page load or on an ``EventSource``, so the dashboard's
login page (:mod:`.login`) stores the token in a cookie: ``HttpOnly`` (scripts cannot read it),
``SameSite=Strict`` (the browser never sends it with a request another site started), ``Secure`` over
HTTPS. :class:`SessionGate` sits in front of the API's bearer authentication
(:class:`engine.api.auth.BearerAuth`, unchanged) and turns the cookie into the header it expects, so the
pages, the JSON API calls of the page scripts and the event stream are authorised exactly like any API
client, with the same roles and names.

CSRF, and why this way: a cookie rides along by itself, so a request authenticated by the cookie that
changes something (any method but GET, HEAD, OPTIONS) must also carry ``X-Boss-CSRF``, a token derived
from the session's token (HMAC-SHA256 keyed by it) that each page puts in a ``<meta>`` for its script.
Another site can neither read that value (same-origin policy) nor send a custom header to us without a
CORS preflight, which this server never grants; a plain HTML form cannot send headers at all. Being
derived, the token needs no server-side session store, works across ``boss serve`` replicas and dies with
the API token. SameSite=Strict already keeps other sites' requests cookie-less in current browsers; the
header is the defence that does not depend on the browser. A request with its own ``Authorization``
header is left alone: browsers never add one on their own, so it cannot be forged across sites.

Pages requested without a valid session get a small 401 page that sends the browser on to the login
page by itself (see :func:`bounce`); JSON paths keep their 401 from the API.
"""

from __future__ import annotations

import hashlib
import hmac
from html import escape
from urllib.parse import quote

from starlette.requests import cookie_parser
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.api.auth import Principal, Tokens
from engine.api.errors import error_response

SESSION_COOKIE = "boss_session"
CSRF_HEADER = "x-boss-csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PAGES = frozenset({"/login", "/logout"})
STATIC_PREFIX = "/static/"
API_PREFIXES = ("/api/", "/metrics")


def csrf_token(session: str) -> str:
    """The CSRF token of a session: derived from its API token, which it does not reveal."""
    return hmac.new(session.encode("utf-8"), b"boss-dashboard-csrf", hashlib.sha256).hexdigest()


def session_of(scope: Scope) -> str | None:
    """The token in the request's session cookie, if any."""
    for key, value in scope.get("headers", ()):
        if key.lower() == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE)
            if found:
                return found
    return None


def is_page(path: str) -> bool:
    """Whether a path is a dashboard page (anything outside the JSON API and the metrics)."""
    return path != "/api" and not path.startswith(API_PREFIXES)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never ``//elsewhere`` or ``https://...``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class SessionGate:
    """ASGI middleware: a valid session cookie becomes the bearer token; pages without one go to the login.

    Args:
        app: the API app (with its bearer authentication).
        tokens: the accepted tokens (to tell a valid session from a stale cookie).
        public: the app that serves what needs no session: the login page and the static files.
    """

    def __init__(self, app: ASGIApp, tokens: Tokens, public: ASGIApp) -> None:
        self.app = app
        self.tokens = tokens
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in PUBLIC_PAGES or path.startswith(STATIC_PREFIX):
            await self.public(scope, receive, send)
            return
        if any(key.lower() == b"authorization" for key, _ in scope.get("headers", ())):
            await self.app(scope, receive, send)  # an API client: the bearer authentication decides
            return
        session = session_of(scope)
        if is_page(path) and principal_of(self.tokens, session) is None:
            await bounce(scope)(scope, receive, send)
            return
        if session is not None:
            if scope["method"] not in SAFE_METHODS and not _csrf_ok(scope, session):
                response = error_response(403, "forbidden", "missing or wrong X-Boss-CSRF header: reload the page "
                                          "(requests authenticated by the session cookie need it)")
                await response(scope, receive, send)
                return
            headers = [*scope.get("headers", ()), (b"authorization", b"Bearer " + session.encode("latin-1"))]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _csrf_ok(scope: Scope, session: str) -> bool:
    given = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == CSRF_HEADER.encode()), "")
    return hmac.compare_digest(given.encode("latin-1"), csrf_token(session).encode("latin-1"))


def bounce(scope: Scope) -> HTMLResponse:
    """401 for a page without a session: a page that moves on to ``/login?next=<this page>`` by itself.

    Not a plain redirect, on purpose: a link followed from another site (a Slack message) arrives without
    the SameSite=Strict cookie even when the browser has a session. The refresh below is a navigation
    started by our own page, which does carry the cookie, so the login page can send a signed-in user
    straight back to where the link pointed.
    """
    query = scope.get("query_string", b"").decode("latin-1")
    target = scope["path"] + (f"?{query}" if query else "")
    login = "/login?next=" + quote(safe_next(target), safe="")
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in - boss</title>'
            f'<meta http-equiv="refresh" content="0;url={escape(login)}"></head>'
            f'<body><p>Please <a href="{escape(login)}">sign in</a> to see this page.</p></body></html>')
    return HTMLResponse(body, status_code=401, headers={"Cache-Control": "no-store"})


def principal_of(tokens: Tokens, session: str | None) -> Principal | None:
    """Who a session is, or None when there is none or its token is no longer accepted."""
    return tokens.identify(session) if session else None
