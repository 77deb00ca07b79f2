"""How a failed Slack call reaches the engine: a permanent error that quotes Slack, or a retryable one.

Slack answers most failures with HTTP 200 and ``{"ok": false, "error": "invalid_auth"}``; slack-sdk raises
``SlackApiError`` for them, and for HTTP errors (429, 5xx) too. :func:`translate` sorts them: what a retry
cannot fix (a bad token, an unknown channel, text too long) is a :class:`SlackError` whose message names
Slack's own error code; rate limiting that outlasted the retries made inside the call, 5xx answers, Slack's
transient error codes and connection failures are a :class:`SlackUnavailable`, so the step's ``retry``
policy applies.
"""

from __future__ import annotations

from http.client import HTTPException
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from skynet import ParticipantError, RetryableError

# Error codes Slack documents as temporary ("try again"): retried by the step's policy, not fixed by a human.
TRANSIENT = frozenset({"ratelimited", "rate_limited", "service_unavailable", "fatal_error", "internal_error",
                       "request_timeout"})

# A hint after Slack's code, for the operator reading `boss show`; the code itself is always quoted.
HINTS = {
    "invalid_auth": "the token is not valid: check BOSS_SLACK_TOKEN",
    "not_authed": "no token was sent: set BOSS_SLACK_TOKEN",
    "account_inactive": "the token belongs to a deleted user or app",
    "token_revoked": "the token was revoked",
    "token_expired": "the token expired",
    "channel_not_found": "no such channel, or the app cannot see it",
    "not_in_channel": "invite the app to the channel first",
    "is_archived": "the channel is archived",
    "msg_too_long": "the text is longer than Slack's 40,000 characters",
    "no_text": "give text or blocks",
    "invalid_blocks": "the blocks are not valid Block Kit",
    "message_not_found": "no message with that ts in the channel",
    "cant_update_message": "only messages this app posted can be updated",
    "thread_not_found": "no message with that thread_ts in the channel",
}


class SlackError(ParticipantError):
    """Slack refused the call for good (bad token, unknown channel, text too long): a person must act.

    Attributes:
        code: Slack's error code (``invalid_auth``), or None when the failure did not come from Slack.
    """

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(message, detail=detail)
        self.code = code


class SlackUnavailable(RetryableError):
    """Slack could not be reached, answered 5xx or a temporary error code: trying later may work."""


class SlackRateLimited(SlackUnavailable):
    """Slack still rate-limited the call after the waits honoured inside it; ``detail.retry_after`` says how long."""


def retry_after(headers: Any) -> int | None:
    """The ``Retry-After`` seconds of a response's headers (a dict of strings or of lists), if any."""
    for key, value in dict(headers or {}).items():
        if str(key).lower() == "retry-after":
            text = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(int(str(text).strip()), 0)
            except ValueError:
                return None
    return None


def translate(exc: Exception, method: str) -> ParticipantError:
    """The error the engine should see for ``exc``, raised by slack-sdk while calling ``method``."""
    if isinstance(exc, SlackApiError):
        return _api_error(exc, method)
    if isinstance(exc, OSError | HTTPException):  # URLError, timeouts, refused and reset connections
        reason = getattr(exc, "reason", None) or exc
        return SlackUnavailable(f"Slack {method}: cannot reach Slack: {reason}",
                                detail={"method": method, "error": type(exc).__name__})
    if isinstance(exc, SlackClientError):
        return SlackError(f"Slack {method}: {exc}", detail={"method": method})
    raise exc


def _api_error(exc: SlackApiError, method: str) -> ParticipantError:
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = response.data if isinstance(getattr(response, "data", None), dict) else {}
    code = str(data.get("error") or f"HTTP {status}")
    detail: dict[str, Any] = {"method": method, "error": code, "status": status}
    if status == 429 or code in ("ratelimited", "rate_limited"):
        wait = retry_after(getattr(response, "headers", None))
        detail["retry_after"] = wait
        after = f": Slack asks to retry after {wait}s" if wait is not None else ""
        return SlackRateLimited(f"Slack {method}: {code} (HTTP {status}){after}", detail=detail)
    if status >= 500 or code in TRANSIENT:
        return SlackUnavailable(f"Slack {method}: {code} (HTTP {status})", detail=detail)
    hint = HINTS.get(code)
    if code == "missing_scope":
        detail.update(needed=data.get("needed"), provided=data.get("provided"))
        hint = f"the token lacks the scope {data.get('needed')} (it has {data.get('provided')})"
    return SlackError(f"Slack {method}: {code}{f' ({hint})' if hint else ''}", code=code, detail=detail)
