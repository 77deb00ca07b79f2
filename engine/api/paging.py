"""Pages of lists: ``?limit=N&cursor=C`` in, ``{"items", "next", "next_cursor"}`` out.

A cursor is opaque to clients (base64 of a little JSON: where the last page ended), so the API may change
what is in it; ``next`` is the path and query of the next page, every other parameter kept, or null on
the last page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from pydantic import BaseModel

from engine.api.errors import ApiError

T = TypeVar("T")


class Page(BaseModel):
    """One page of a list."""

    items: list[Any]
    next: str | None = None  # path and query of the next page; null on the last one
    next_cursor: str | None = None


def encode_cursor(data: dict[str, Any]) -> str:
    """An opaque cursor for ``data``."""
    text = json.dumps(data, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> dict[str, Any]:
    """What :func:`encode_cursor` put in a cursor.

    Raises:
        ApiError: 422 when the text is not a cursor this API gave.
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid", "cursor: not a cursor this API gave (use the 'next' link as it is)") from exc
    if not isinstance(data, dict):
        raise ApiError(422, "invalid", "cursor: not a cursor this API gave (use the 'next' link as it is)")
    return data


def next_link(request: Request, cursor: str | None) -> str | None:
    """The path and query of the page after this one (the same parameters, the new cursor)."""
    if cursor is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    return f"{request.url.path}?{urlencode([*params, ('cursor', cursor)])}"


def page_by_key(request: Request, items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None,
                render: Callable[[T], Any]) -> Page:
    """A page of a short list sorted by a unique text key (names): the items after the cursor's key."""
    after = str(decode_cursor(cursor).get("after", "")) if cursor else None
    ordered = sorted(items, key=key)
    remaining = [item for item in ordered if after is None or key(item) > after]
    shown = remaining[:limit]
    more = encode_cursor({"after": key(shown[-1])}) if len(remaining) > limit and shown else None
    return Page(items=[render(item) for item in shown], next=next_link(request, more), next_cursor=more)
