"""Turning page data into HTML: the Jinja2 environment (autoescaping on), its filters, and the headers of pages.

Every value reaches the HTML through Jinja2's autoescaping; the only markup inserted as it is is the
diagram, whose text :mod:`.diagram` escapes itself (it is marked safe here, in one place).

Pages forbid inline scripts and styles (``Content-Security-Policy``) and load one stylesheet and one
script from ``/static``: injected markup could not run anything, and nothing comes from another site (the
dashboard must work on closed networks).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

from engine.api.web import labels
from engine.api.web.diagram import PALETTE

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
VALUE_LIMIT = 120  # characters of a value shown in a table cell (the whole value is in its title)

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Headers of every page."""

ANONYMOUS = {"me": None, "csrf": "", "active": "", "my_approvals": 0, "may_operate": False}
"""What the page frame needs to know of the viewer, before anyone signed in."""


def show(value: Any) -> str:
    """A field or result value as text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def is_url(value: Any) -> bool:
    """Whether a value is a web address worth a link (a Jenkins build, a pull request)."""
    return isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value


def instant(value: datetime | str | None) -> datetime | None:
    """A datetime from a stored value (JSON documents hold ISO text); None when it is not one."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(value: datetime | str | None) -> str:
    """An instant for ``<time datetime=...>`` (the script shows it in the viewer's time zone)."""
    moment = instant(value)
    return moment.isoformat() if moment is not None else ""


def utc_text(value: datetime | str | None) -> str:
    """An instant as text for those without JavaScript: UTC, to the second."""
    moment = instant(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ""


def _asset_version(name: str) -> str:
    """A short digest of a static file, appended to its URL so browsers never keep a stale copy."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def environment() -> Environment:
    """The dashboard's Jinja2 environment."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=labels.duration, words=labels.status_words, show=show, iso=iso, utc=utc_text,
                       short=lambda value, limit=VALUE_LIMIT: labels.shorten(show(value), limit), is_url=is_url)
    legend = [{"status": status, "words": labels.STEP_STATUS_WORDS[status], "meaning": labels.STATUS_MEANINGS[status],
               "fill": fill, "stroke": stroke} for status, (fill, stroke) in PALETTE.items()]
    env.globals.update(legend_entries=legend, css_version=_asset_version("boss.css"),
                       js_version=_asset_version("boss.js"))
    return env


class Renderer:
    """Renders the dashboard's templates into responses."""

    def __init__(self) -> None:
        self.env = environment()

    def html(self, template: str, **context: Any) -> str:
        """A template rendered to text."""
        return self.env.get_template(template).render(**context)

    def page(self, template: str, status: int = 200, headers: dict[str, str] | None = None,
             **context: Any) -> HTMLResponse:
        """A template as a page response, with the security headers (and no viewer unless one is given)."""
        return HTMLResponse(self.html(template, **{**ANONYMOUS, **context}), status_code=status,
                            headers={**SECURITY_HEADERS, **(headers or {})})


def trusted(svg: str) -> Markup:
    """Markup built by :mod:`.diagram`, which escapes every text it holds."""
    return Markup(svg)
