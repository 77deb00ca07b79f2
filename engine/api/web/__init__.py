"""The web dashboard: server-rendered pages over the same store and API, for people following releases.

Pages are Jinja2 templates (:mod:`.pages`), the flow diagram is SVG drawn on the server (:mod:`.diagram`),
and one small script makes them live (an ``EventSource`` on ``/api/events``) and sends the buttons'
commands to the JSON API. Every asset is served from ``/static``: no CDN, so it works on closed networks.
Browsers sign in with an API token kept in an HttpOnly cookie (:mod:`.session`, :mod:`.login`).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from engine.api.auth import Tokens
from engine.api.web import pages
from engine.api.web.context import Dashboard
from engine.api.web.login import public_app
from engine.api.web.render import Renderer
from engine.api.web.session import SessionGate

DEFAULT_SCHEDULES = "etc/schedules.yaml"


def mount(app: FastAPI, tokens: Tokens, *, schedules: str | None = None) -> None:
    """Add the dashboard to the API app: its pages at ``/``, its login, its static files.

    Call it after the API's bearer authentication was added: the session gate must be the outer layer,
    turning a browser's session cookie into the bearer token the API checks.

    Args:
        app: the API app of :func:`engine.api.app.create_app`.
        tokens: the tokens the API accepts (signing in takes one of them).
        schedules: the calendar launcher's schedules file; by default ``$BOSS_SCHEDULES``, else
            ``etc/schedules.yaml``.
    """
    renderer = Renderer()
    app.state.dashboard = Dashboard(renderer, tokens,
                                    schedules or os.environ.get("BOSS_SCHEDULES") or DEFAULT_SCHEDULES)
    app.include_router(pages.router)
    app.add_middleware(SessionGate, tokens=tokens, public=public_app(tokens, renderer))
