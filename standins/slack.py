"""A stand-in for the Slack Web API: the methods boss's ``slack`` participant calls, state kept in memory.

It follows https://docs.slack.dev/reference/methods closely enough that ``slack_sdk.WebClient`` works
against it unchanged (``WebClient(token=..., base_url=f"{url}/api/")``):

- every method is ``/api/<method>``, called with POST (or GET) and arguments as a form, a query string or a
  JSON body, the token as ``Authorization: Bearer xoxb-...`` (or a ``token`` argument);
- answers are HTTP 200 with ``{"ok": true, ...}``, or ``{"ok": false, "error": "invalid_auth"}`` (also
  200, as Slack does); rate limiting is HTTP 429 with a ``Retry-After`` header and ``"error": "ratelimited"``;
- ``conversations.history``, ``conversations.replies`` and ``conversations.list`` page with ``limit`` and an
  opaque ``cursor``, and say there is more with ``has_more`` and ``response_metadata.next_cursor``.

Methods: ``auth.test``, ``chat.postMessage`` (channel by id, ``#name`` or ``name``), ``chat.update``,
``conversations.history``, ``conversations.replies`` (which, like Slack, want a channel *id*) and
``conversations.list``. Messages keep ``ts``, ``thread_ts``, ``blocks`` and ``metadata``; message metadata
is returned by the history methods only when ``include_all_metadata`` is set (Slack also returns the calling
app's own metadata without it: the stand-in is stricter, so a client that relies on it fails here first).

Tests look at the state (:meth:`SlackState.messages`, :meth:`SlackState.thread`, :attr:`SlackState.calls`)
and inject faults: :meth:`SlackState.rate_limit_next`, :meth:`SlackState.fail_next` (5xx),
:meth:`SlackState.fail_next` with ``applied=True`` (do the work, then answer 5xx) and
:meth:`SlackState.stall_next` (do the work, then hold the answer back: a client killed meanwhile never
learns that its message was posted).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

TOKEN = "xoxb-standin-token"
TEAM_ID, TEAM = "T0B0SS001", "boss stand-in"
BOT_USER, BOT_ID, APP_ID = "U0B0SSB0T", "B0B0SSB0T", "A0B0SSAPP"
MAX_TEXT = 40_000  # characters; Slack refuses longer text with msg_too_long

Args = dict[str, Any]
Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, body, headers


class SlackFailure(Exception):
    """A method's ``{"ok": false, "error": CODE}`` answer (HTTP 200, as Slack sends it)."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass
class Channel:
    """A conversation and its messages (top-level messages and thread replies, in posting order)."""

    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """The channel object of ``conversations.list``."""
        return {"id": self.id, "name": self.name, "is_channel": not self.is_private, "is_group": False,
                "is_im": False, "is_private": self.is_private, "is_archived": self.is_archived,
                "is_member": self.is_member, "name_normalized": self.name, "created": 1_700_000_000}

    def find(self, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["ts"] == ts), None)

    def top_level(self) -> list[dict[str, Any]]:
        """What ``conversations.history`` shows: no thread replies, except those broadcast to the channel."""
        return [m for m in self.messages
                if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"]

    def thread(self, ts: str) -> list[dict[str, Any]]:
        """The parent and its replies, oldest first."""
        return [m for m in self.messages if m["ts"] == ts or m.get("thread_ts") == ts]


@dataclass
class Fault:
    """An injected fault: ``times`` more calls (of ``method``, or of any method) answer this way."""

    kind: str  # "ratelimit", "fail" (before the work), "lose" (after it) or "stall"
    times: int
    method: str | None = None
    status: int = 503
    seconds: float = 1.0


class SlackState:
    """Workspace, messages and fault injection of one stand-in; safe to use from the test's thread."""

    def __init__(self, tokens: Iterable[str] = (TOKEN,), channels: Iterable[str] = ("releases", "general")) -> None:
        self.tokens = set(tokens)
        self.channels: dict[str, Channel] = {}
        self.calls: list[tuple[str, Args]] = []
        self.lock = threading.Lock()
        self._faults: list[Fault] = []
        self._clock = 0
        self._released = threading.Event()
        for name in channels:
            self.add_channel(name)

    # ---- setting up and looking at the workspace ----------------------------------------------------
    def add_channel(self, name: str, *, private: bool = False, member: bool = True, archived: bool = False) -> str:
        """Create a channel; returns its id (``C...``, or ``G...`` for a private one)."""
        with self.lock:
            channel_id = f"{'G' if private else 'C'}{len(self.channels) + 1:08d}"
            self.channels[channel_id] = Channel(channel_id, name, private, member, archived)
            return channel_id

    def channel_id(self, name: str) -> str:
        """The id of the channel called ``name`` (``#`` optional)."""
        found = self._lookup(name.lstrip("#"), by_name=True)
        if found is None:
            raise KeyError(name)
        return found.id

    def messages(self, channel: str, *, replies: bool = False) -> list[dict[str, Any]]:
        """Copies of the messages of a channel (id or name), oldest first; thread replies only if asked."""
        with self.lock:
            found = self._lookup(channel, by_name=True)
            if found is None:
                raise KeyError(channel)
            return copy.deepcopy(found.messages if replies else found.top_level())

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Copies of a thread's parent and replies, oldest first."""
        with self.lock:
            found = self._lookup(channel, by_name=True)
            return copy.deepcopy(found.thread(ts)) if found is not None else []

    def delete(self, channel: str, ts: str) -> None:
        """Delete a message, as a person in the channel may do."""
        with self.lock:
            found = self._lookup(channel, by_name=True)
            if found is not None:
                found.messages = [m for m in found.messages if m["ts"] != ts]

    def count(self, method: str) -> int:
        """How many calls of ``method`` arrived (rate-limited and failed ones included)."""
        with self.lock:
            return sum(1 for name, _ in self.calls if name == method)

    # ---- fault injection ------------------------------------------------------------------------------
    def rate_limit_next(self, times: int = 1, *, retry_after: int = 1, method: str | None = None) -> None:
        """Answer the next ``times`` calls (of ``method``, default any) with 429 and ``Retry-After``."""
        with self.lock:
            self._faults.append(Fault("ratelimit", times, method, seconds=retry_after))

    def fail_next(self, status: int = 503, times: int = 1, *, method: str | None = None, applied: bool = False
                  ) -> None:
        """Answer the next ``times`` calls (of ``method``, default any) with HTTP ``status`` (a Slack outage).

        With ``applied`` the calls are carried out first: Slack did the work, but its answer was lost on the way
        (a gateway timing out), so the client cannot know that its message was posted.
        """
        with self.lock:
            self._faults.append(Fault("lose" if applied else "fail", times, method, status=status))

    def stall_next(self, method: str, seconds: float = 30.0, times: int = 1) -> None:
        """Do the next ``times`` calls of ``method``, then hold each answer back ``seconds`` (or until release)."""
        with self.lock:
            self._released.clear()
            self._faults.append(Fault("stall", times, method, seconds=seconds))

    def release(self) -> None:
        """Let stalled answers go now."""
        self._released.set()

    def released(self) -> bool:
        """Whether :meth:`release` was called since the last :meth:`stall_next`."""
        return self._released.is_set()

    # ---- serving ------------------------------------------------------------------------------------
    def answer(self, method: str, args: Args, bearer: str | None) -> tuple[Answer, float]:
        """The answer to one call, and how long to hold it back."""
        with self.lock:
            self.calls.append((method, copy.deepcopy(args)))
            fault = self._take_fault(method, ("ratelimit", "fail"))
            if fault is not None and fault.kind == "ratelimit":
                return (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(int(fault.seconds))}), 0
            if fault is not None:
                return (fault.status, {"ok": False, "error": "service_unavailable"}, {}), 0
            try:
                body = self._dispatch(method, args, bearer)
            except SlackFailure as failure:
                return (200, {"ok": False, "error": failure.code, **failure.extra}, {}), 0
            lost = self._take_fault(method, ("lose",))
            if lost is not None:
                return (lost.status, {"ok": False, "error": "service_unavailable"}, {}), 0
            stall = self._take_fault(method, ("stall",))
            return (200, {"ok": True, **body}, {}), stall.seconds if stall is not None else 0

    def _take_fault(self, method: str, kinds: tuple[str, ...]) -> Fault | None:
        for fault in self._faults:
            if fault.kind in kinds and fault.method in (None, method) and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _dispatch(self, method: str, args: Args, bearer: str | None) -> dict[str, Any]:
        handler = METHODS.get(method)
        if handler is None:
            raise SlackFailure("unknown_method")
        token = bearer or args.get("token")
        if not token:
            raise SlackFailure("not_authed")
        if token not in self.tokens:
            raise SlackFailure("invalid_auth")
        return handler(self, args)

    def _lookup(self, channel: str, *, by_name: bool) -> Channel | None:
        if channel in self.channels:
            return self.channels[channel]
        if by_name:
            name = channel.removeprefix("#")
            return next((c for c in self.channels.values() if c.name == name), None)
        return None

    def _channel(self, args: Args, *, by_name: bool = False, read: bool = False) -> Channel:
        channel = self._lookup(str(args.get("channel") or ""), by_name=by_name)
        if channel is None:
            raise SlackFailure("channel_not_found")
        if not channel.is_member:
            raise SlackFailure("not_in_channel")
        if channel.is_archived and not read:
            raise SlackFailure("is_archived")
        return channel

    def _next_ts(self) -> str:
        # Slack's ts is "<unix seconds>.<6 digits>" and unique per channel; a counter keeps it unique here.
        self._clock += 1
        return f"{int(time.time())}.{self._clock:06d}"

    # ---- methods --------------------------------------------------------------------------------------
    def auth_test(self, args: Args) -> dict[str, Any]:
        return {"url": "https://boss-standin.slack.com/", "team": TEAM, "user": "boss", "team_id": TEAM_ID,
                "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

    def chat_post_message(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args, by_name=True)
        text, blocks = _content(args)
        if text is None and blocks is None:
            raise SlackFailure("no_text")
        message: dict[str, Any] = {"type": "message", "text": text or "", "user": BOT_USER, "bot_id": BOT_ID,
                                   "app_id": APP_ID, "team": TEAM_ID, "ts": self._next_ts()}
        if blocks is not None:
            message["blocks"] = blocks
        metadata = _metadata(args)
        if metadata is not None:
            message["metadata"] = metadata
        thread_ts = args.get("thread_ts")
        if thread_ts:
            parent = channel.find(str(thread_ts))
            message["thread_ts"] = parent.get("thread_ts", parent["ts"]) if parent is not None else str(thread_ts)
            if _flag(args.get("reply_broadcast")):
                message["subtype"] = "thread_broadcast"
            if parent is not None:
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
        channel.messages.append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": copy.deepcopy(message)}

    def chat_update(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)  # by id only, as Slack's chat.update
        message = channel.find(str(args.get("ts") or ""))
        if message is None:
            raise SlackFailure("message_not_found")
        if message.get("bot_id") != BOT_ID:
            raise SlackFailure("cant_update_message")
        text, blocks = _content(args)
        if text is None and blocks is None:
            raise SlackFailure("no_text")
        if text is not None:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        metadata = _metadata(args)
        if metadata is not None:
            message["metadata"] = metadata
        message["edited"] = {"user": BOT_USER, "ts": self._next_ts()}
        return {"channel": channel.id, "ts": message["ts"], "text": message["text"],
                "message": copy.deepcopy(message)}

    def conversations_history(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args, read=True)
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        inclusive = _flag(args.get("inclusive"))
        messages = [m for m in reversed(channel.top_level())  # newest first
                    if (oldest <= float(m["ts"]) <= latest if inclusive else oldest < float(m["ts"]) < latest)]
        page, more = _page(messages, args, default=100, maximum=999)
        return {"messages": _shown(page, args), "has_more": more is not None, "pin_count": 0,
                **({"response_metadata": {"next_cursor": more}} if more else {})}

    def conversations_replies(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args, read=True)
        ts = str(args.get("ts") or "")
        if not ts:
            raise SlackFailure("invalid_arguments")
        parent = channel.find(ts)
        if parent is None:
            raise SlackFailure("thread_not_found")
        page, more = _page(channel.thread(parent.get("thread_ts", ts)), args, default=1000, maximum=1000)
        return {"messages": _shown(page, args), "has_more": more is not None,
                **({"response_metadata": {"next_cursor": more}} if more else {})}

    def conversations_list(self, args: Args) -> dict[str, Any]:
        types = str(args.get("types") or "public_channel").split(",")
        wanted = [c for c in self.channels.values()
                  if ("private_channel" if c.is_private else "public_channel") in types
                  and not (c.is_archived and _flag(args.get("exclude_archived")))]
        page, more = _page(wanted, args, default=100, maximum=1000)
        return {"channels": [c.info() for c in page], "response_metadata": {"next_cursor": more or ""}}


METHODS: dict[str, Callable[[SlackState, Args], dict[str, Any]]] = {
    "auth.test": SlackState.auth_test,
    "chat.postMessage": SlackState.chat_post_message,
    "chat.update": SlackState.chat_update,
    "conversations.history": SlackState.conversations_history,
    "conversations.replies": SlackState.conversations_replies,
    "conversations.list": SlackState.conversations_list,
}


# ---- argument helpers ----------------------------------------------------------------------------------
def _flag(value: Any) -> bool:
    """Slack's booleans: true/false in JSON, "1"/"0" or "true"/"false" in forms."""
    return value is True or str(value).lower() in ("1", "true")


def _decoded(value: Any, error: str) -> Any:
    """A structured argument: as given in a JSON body, JSON-encoded text in a form."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackFailure(error) from None
    return value


def _content(args: Args) -> tuple[str | None, list[dict[str, Any]] | None]:
    text = args.get("text")
    if text is not None and len(str(text)) > MAX_TEXT:
        raise SlackFailure("msg_too_long")
    blocks = args.get("blocks")
    if blocks is not None:
        blocks = _decoded(blocks, "invalid_blocks_format")
        if not isinstance(blocks, list) or not all(isinstance(b, dict) and "type" in b for b in blocks):
            raise SlackFailure("invalid_blocks")
        if len(blocks) > 50:
            raise SlackFailure("invalid_blocks")
    return (str(text) if text is not None and text != "" else None), (blocks or None)


def _metadata(args: Args) -> dict[str, Any] | None:
    metadata = args.get("metadata")
    if metadata is None:
        return None
    metadata = _decoded(metadata, "invalid_metadata_format")
    if not (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)):
        raise SlackFailure("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _page(items: list[Any], args: Args, *, default: int, maximum: int) -> tuple[list[Any], str | None]:
    """One page of ``items`` from the cursor on, and the cursor of the next page (None at the end)."""
    try:
        limit = min(max(int(args.get("limit") or default), 1), maximum)
    except ValueError:
        raise SlackFailure("invalid_limit") from None
    start = 0
    cursor = args.get("cursor")
    if cursor:
        try:
            kind, _, offset = base64.b64decode(str(cursor), validate=True).decode().partition(":")
            start = int(offset)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise SlackFailure("invalid_cursor") from None
        if kind != "next":
            raise SlackFailure("invalid_cursor")
    end = start + limit
    more = base64.b64encode(f"next:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], more


def _shown(messages: list[dict[str, Any]], args: Args) -> list[dict[str, Any]]:
    shown = copy.deepcopy(messages)
    if not _flag(args.get("include_all_metadata")):
        for message in shown:
            message.pop("metadata", None)
    return shown


# ---- the app ---------------------------------------------------------------------------------------------
async def _arguments(request: Request) -> Args | None:
    """The call's arguments from the query string and a form or JSON body; None for a body that is not JSON."""
    args: Args = dict(request.query_params)
    body = await request.body()
    if not body:
        return args
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError:
            return None
        if isinstance(parsed, dict):
            args.update(parsed)
        return args
    args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return args


def create_app(state: SlackState | None = None) -> FastAPI:
    """The stand-in app; its state is ``app.state.slack`` (a fresh :class:`SlackState` when none is given)."""
    app = FastAPI(title="Slack Web API stand-in")
    app.state.slack = slack = state if state is not None else SlackState()

    @app.api_route("/api/{method}", methods=["GET", "POST"])
    async def call(method: str, request: Request) -> JSONResponse:
        args = await _arguments(request)
        authorization = request.headers.get("authorization", "")
        bearer = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else None
        answer: Answer
        hold = 0.0
        if args is None:
            answer = (200, {"ok": False, "error": "invalid_json"}, {})
        else:
            answer, hold = slack.answer(method, args, bearer)
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline and not slack.released():
            await asyncio.sleep(0.05)
        status, body, headers = answer
        return JSONResponse(body, status_code=status, headers=headers)

    return app
