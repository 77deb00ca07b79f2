"""What the dashboard serves without a session: the login page, signing out, and the static files.

Signing in means pasting an API token (the same tokens as the REST API: an operator token may act, a
read-only token only sees); it is kept in the session cookie (see :mod:`.session`) and the user is known by
the token's name. A small Starlette app of its own, served by :class:`~.session.SessionGate` before any
authentication, so that nothing else is reachable without a session.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from engine.api.auth import Tokens
from engine.api.web.render import STATIC, Renderer
from engine.api.web.session import SESSION_COOKIE, principal_of, safe_next

FORM_LIMIT = 16_384  # bytes of a login form; a token is far shorter


def public_app(tokens: Tokens, renderer: Renderer) -> Starlette:
    """The login page (``GET``/``POST /login``), ``POST /logout`` and ``/static``."""

    async def login(request: Request) -> Response:
        if request.method == "GET":
            target = safe_next(request.query_params.get("next"))
            if principal_of(tokens, request.cookies.get(SESSION_COOKIE)) is not None:
                return RedirectResponse(target, status_code=303)  # already signed in (see session.bounce)
            return renderer.page("login.html", next=target, error=None)
        if not _same_origin(request):
            return renderer.page("login.html", status=403, next="/",
                                 error="This sign-in form was sent from another site: open the login page here.")
        form = await _form(request)
        target = safe_next(form.get("next"))
        token = form.get("token", "").strip()
        principal = tokens.identify(token) if token else None
        if principal is None:
            return renderer.page("login.html", status=401, next=target,
                                 error="This token is not accepted. Ask the person who runs boss for one.")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    routes = [Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout, methods=["POST"]),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    return Starlette(routes=routes)


async def _form(request: Request) -> dict[str, str]:
    """A small urlencoded form (python-multipart is not needed for two fields)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            return {}
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items() if values}


def _same_origin(request: Request) -> bool:
    """Whether a form post comes from this site (browsers send ``Origin`` with every POST)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # no Origin: not a browser; "null": a sandboxed or privacy-stripped context
    return urlsplit(origin).netloc == request.headers.get("host", "")
