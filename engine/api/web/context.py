"""What every dashboard page shares: the renderer, the tokens, the schedules file, and the page plumbing
(the signed-in user, the CSRF token for the page script, HTML error pages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from engine.api import queries
from engine.api.auth import Principal, Tokens
from engine.api.context import ApiContext
from engine.api.errors import ApiError, boss_error_status
from engine.api.web.people import may_answer
from engine.api.web.render import Renderer
from engine.api.web.session import SESSION_COOKIE, csrf_token
from engine.errors import BossError
from engine.language import Definition, Program
from engine.store import Store

log = logging.getLogger("boss.dashboard")
PROGRAM_CACHE = 64  # definitions of running programs kept parsed (a digest never changes its content)


@dataclass
class Dashboard:
    """The dashboard's own dependencies (one per app, in ``app.state.dashboard``)."""

    renderer: Renderer
    tokens: Tokens
    schedules: str  # the calendar launcher's schedules file
    _programs: Callable[[Store, str], Definition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._programs = lru_cache(maxsize=PROGRAM_CACHE)(_load_definition)

    def definition_of(self, store: Store, program: str) -> Definition | None:
        """The definition a process runs (from its stored snapshot), or None when it cannot be read."""
        try:
            return self._programs(store, program)
        except Exception:  # an unreadable snapshot must not hide the process: the page shows it without a diagram
            log.warning("cannot read the program %s of a process", program, exc_info=True)
            return None


def _load_definition(store: Store, program: str) -> Definition:
    main, sources = store.load_program(program)
    return Program.from_snapshot(main, sources).definition


@dataclass(frozen=True)
class Page:
    """A page request: the API context, the dashboard, the viewer, and what every template needs."""

    request: Request
    api: ApiContext
    dashboard: Dashboard
    me: Principal

    @property
    def now(self) -> datetime:
        """Now by the engine's clock (``clock_offset`` moves it in time-travel drills)."""
        return datetime.now(UTC) + timedelta(seconds=self.api.settings.clock_offset)

    @property
    def groups(self) -> dict[str, list[str]]:
        """The approver groups of the engine's settings."""
        return self.api.settings.groups

    def render(self, template: str, active: str, status: int = 200, **context: Any) -> Response:
        """A page of the dashboard, with the navigation, the viewer and the CSRF token."""
        session = self.request.cookies.get(SESSION_COOKIE)
        mine = sum(1 for row in queries.pending_approvals(self.api.store)
                   if may_answer(self.me.name, (row["detail"] or {}).get("by") or [], self.groups))
        return self.dashboard.renderer.page(template, status=status, me=self.me, active=active,
                                            csrf=csrf_token(session) if session else "", my_approvals=mine,
                                            may_operate=self.me.may_operate, **context)


def page(request: Request) -> Page:
    """The page request (a FastAPI dependency); the viewer was authenticated by the middlewares."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise ApiError(401, "unauthorized", "sign in first")
    return Page(request, request.app.state.boss, request.app.state.dashboard, principal)


PageRequest = Annotated[Page, Depends(page)]
"""A route parameter: the page request."""


class PageRoute(APIRoute):
    """A route whose errors are HTML pages (a 404 page for an unknown process), not the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return _error_page(request, exc.status, exc.message)
            except BossError as exc:
                status, _ = boss_error_status(exc)
                return _error_page(request, status, str(exc).splitlines()[0])

        return handle


def _error_page(request: Request, status: int, message: str) -> Response:
    dashboard: Dashboard = request.app.state.dashboard
    principal = getattr(request.state, "principal", None)
    return dashboard.renderer.page("error.html", status=status, me=principal, message=message, status_code=status)
