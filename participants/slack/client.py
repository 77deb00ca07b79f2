"""The Slack Web API as the participant uses it: one ``slack_sdk.WebClient``, its errors translated.

Rate limits are honoured inside a call by slack-sdk's own ``RateLimitErrorRetryHandler`` (sleep for
``Retry-After``, send again): a 429 means Slack did not act on the request, so repeating it cannot post a
message twice. It is the only retry handler installed, on purpose: slack-sdk's default connection-error
retry, and its 5xx retry, would repeat a ``chat.postMessage`` that Slack may already have carried out. Those
failures end the call as :class:`~participants.slack.errors.SlackUnavailable`, and the next attempt of the
step first looks in the channel for the message (see :mod:`participants.slack.actions`).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from participants.slack.errors import SlackError, retry_after, translate
from skynet.durations import NonNegativeDuration as Duration
from skynet.errors import ConfigError

log = logging.getLogger("skynet.participant.slack")

# Channel ids: C (public), G (private, older workspaces), D (direct message); names are lower case.
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")
PAGE = 200  # messages per history page: Slack's recommended maximum

Message = dict[str, Any]




class SlackConfig(BaseModel):
    """The participant's configuration (``etc/participants/slack.yaml`` and ``BOSS_SLACK_*``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: SecretStr = Field(min_length=1)
    base_url: str = "https://slack.com/api/"
    channel: str | None = None
    timeout: Duration = timedelta(seconds=30)
    rate_limit_retries: int = Field(default=2, ge=0)
    max_retry_after: Duration = timedelta(seconds=60)
    lookback: int = Field(default=200, ge=0)


def read_config(config: dict[str, Any]) -> SlackConfig:
    """The validated configuration.

    Raises:
        ConfigError: a missing token or a bad value, in one line, so the daemon stops at start.
    """
    if not config.get("token"):
        raise ConfigError("slack config: no token: set BOSS_SLACK_TOKEN (a bot token, xoxb-...) in the daemon's "
                          "environment; tokens never go in etc/participants/slack.yaml")
    try:
        return SlackConfig.model_validate(config)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors(include_url=False))
        raise ConfigError(f"slack config: {problems}") from None


class PatientRateLimitHandler(RateLimitErrorRetryHandler):
    """slack-sdk's rate-limit retry (sleep ``Retry-After``, call again) for waits up to ``max_wait`` seconds.

    A longer wait would hold the worker thread for nothing: the call fails as ``SlackRateLimited`` instead,
    and the step's retry policy (``retry: {delay: ...}``) decides when to come back.
    """

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = retry_after(response.headers if response is not None else None)
        if wait is not None and wait > self.max_wait:
            return False
        log.info("Slack rate-limited %s: waiting %ss as Retry-After asks", request.url, wait)
        return True


class SlackClient:
    """The calls the actions make, each turning slack-sdk's exceptions into the participant's errors."""

    def __init__(self, config: SlackConfig) -> None:
        base_url = config.base_url if config.base_url.endswith("/") else f"{config.base_url}/"
        handler = PatientRateLimitHandler(config.rate_limit_retries, config.max_retry_after.total_seconds())
        self.config = config
        self.web = WebClient(token=config.token.get_secret_value(), base_url=base_url,
                             timeout=max(1, math.ceil(config.timeout.total_seconds())), retry_handlers=[handler])
        self._ids: dict[str, str] = {}  # channel name -> id, shared by worker threads
        self._lock = threading.Lock()

    @contextmanager
    def calling(self, method: str) -> Iterator[None]:
        """Translate what slack-sdk raises inside the block (pagination included) for ``method``."""
        try:
            yield
        except (SlackError, ConfigError):
            raise
        except Exception as exc:
            raise translate(exc, method) from exc

    def identity(self) -> Message:
        """``auth.test``: who the token is (team, bot user)."""
        with self.calling("auth.test"):
            return dict(self.web.auth_test().data)  # type: ignore[arg-type]

    def channel_id(self, channel: str) -> str:
        """The id of ``channel``: an id as given, a ``#name`` or ``name`` looked up once with conversations.list."""
        channel = channel.strip()
        if CHANNEL_ID.match(channel):
            return channel
        name = channel.removeprefix("#")
        with self._lock:
            if name in self._ids:
                return self._ids[name]
        found = self._list_channels(name)
        if found is None:
            raise SlackError(f"Slack conversations.list: no channel #{name} the app can see (check the name, "
                             "or give the channel id)", code="channel_not_found", detail={"channel": channel})
        return found

    def _list_channels(self, name: str) -> str | None:
        try:
            return self._scan_channels(name, "public_channel,private_channel")
        except SlackError as exc:
            if exc.code != "missing_scope":
                raise
            # Without groups:read Slack refuses private channels: public ones still resolve by name.
            return self._scan_channels(name, "public_channel")

    def _scan_channels(self, name: str, types: str) -> str | None:
        with self.calling("conversations.list"):
            for page in self.web.conversations_list(types=types, exclude_archived=True, limit=PAGE):
                for info in page.get("channels") or []:
                    with self._lock:
                        self._ids[str(info["name"])] = str(info["id"])
                    if info["name"] == name:
                        return str(info["id"])
        return None

    def find(self, channel_id: str, match: Callable[[Message], bool], *, thread_ts: str | None = None
             ) -> Message | None:
        """A message that ``match`` accepts among the last ``lookback`` of a channel (or the first of a thread).

        History pages come newest first, so the newest match wins; a thread is read from its parent on.
        """
        lookback = self.config.lookback
        if lookback == 0:
            return None
        method = "conversations.replies" if thread_ts else "conversations.history"
        seen = 0
        with self.calling(method):
            if thread_ts:
                pages = self.web.conversations_replies(channel=channel_id, ts=thread_ts, include_all_metadata=True,
                                                       limit=min(lookback + 1, PAGE))
            else:
                pages = self.web.conversations_history(channel=channel_id, include_all_metadata=True,
                                                       limit=min(lookback, PAGE))
            for page in pages:
                messages = list(page.get("messages") or [])
                for message in messages:
                    if match(message):
                        return dict(message)
                seen += len(messages)
                if seen >= lookback:
                    break
        return None

    def post(self, channel_id: str, *, text: str | None, blocks: list[Message] | None, metadata: Message,
             thread_ts: str | None = None, broadcast: bool = False) -> Message:
        """``chat.postMessage``; returns Slack's answer (``channel``, ``ts``, ``message``)."""
        with self.calling("chat.postMessage"):
            response = self.web.chat_postMessage(channel=channel_id, text=text, blocks=blocks, metadata=metadata,
                                                 thread_ts=thread_ts, reply_broadcast=broadcast or None)
            return dict(response.data)  # type: ignore[arg-type]

    def update(self, channel_id: str, ts: str, *, text: str | None, blocks: list[Message] | None,
               metadata: Message | None = None) -> Message:
        """``chat.update``; returns Slack's answer (``channel``, ``ts``, ``message``)."""
        with self.calling("chat.update"):
            response = self.web.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks, metadata=metadata)
            return dict(response.data)  # type: ignore[arg-type]
