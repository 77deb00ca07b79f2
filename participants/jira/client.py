"""The jira participant's configuration, its connection to Jira, and how Jira's failures become boss errors.

The ``jira`` library does the HTTP. It is built with ``max_retries=0`` (the step's ``retry`` policy
decides about retries, visibly, not the library behind its back) and ``get_server_info=False`` (no request
at start: a daemon must come up while Jira is down). Whether the server is Cloud comes from the
configuration instead, because the library chooses its search API by it: Cloud removed
``/rest/api/2/search`` (410 Gone) in favour of ``/rest/api/3/search/jql`` with ``nextPageToken`` pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Literal

import requests
from jira import JIRA, JIRAError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from skynet import ParticipantError, RetryableError
from skynet.durations import Duration
from skynet.errors import ConfigError

PERMANENT_HINT = {401: "check the token (and the user, for Cloud)", 403: "the token's user lacks a permission",
                  404: "check the project, issue or version", 410: "this Jira no longer offers that API"}


class JiraRefused(ParticipantError):
    """Jira answered the request with a client error (bad token, missing permission, unknown project...)."""


class JiraUnavailable(RetryableError):
    """Jira could not be reached, timed out, was overloaded (5xx) or rate-limited us (429)."""




class JiraConfig(BaseModel):
    """What ``etc/participants/jira.yaml`` and ``BOSS_JIRA_*`` variables configure.

    Attributes:
        url: The Jira base URL (``https://acme.atlassian.net``, ``https://jira.example.com/jira``).
        auth: ``cloud`` (basic auth: ``user`` is the account's email, ``token`` an API token) or ``server``
            (Server/Data Center: ``token`` is a personal access token sent as a bearer token).
        user: The account email, for ``cloud``.
        token: The API token or personal access token; from ``BOSS_JIRA_TOKEN``, never from a file.
        timeout: Connect/read timeout of each request.
        max_retry_after: The longest ``Retry-After`` of a 429 honoured by waiting before the step's retry.
        page_size: How many issues to ask for per search page (Jira may return fewer; we page on).
        verify: Verify TLS certificates; or the path of a CA bundle (``ca_bundle``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://\S+$")
    auth: Literal["cloud", "server"] = "server"
    user: str | None = None
    token: SecretStr
    timeout: Duration = timedelta(seconds=30)
    max_retry_after: Duration = timedelta(seconds=60)
    page_size: int = Field(default=100, ge=1, le=1000)
    verify: bool = True
    ca_bundle: str | None = None

    @model_validator(mode="after")
    def _cloud_needs_a_user(self) -> JiraConfig:
        if self.auth == "cloud" and not self.user:
            raise ValueError("auth: cloud needs user (the account's email, e.g. BOSS_JIRA_USER=bot@example.com)")
        return self

    @property
    def cloud(self) -> bool:
        return self.auth == "cloud"


def read_config(config: dict[str, Any]) -> JiraConfig:
    """The validated configuration, or one ConfigError line naming every bad key."""
    missing = [key for key in ("url", "token") if not config.get(key)]
    if missing:
        hints = {"url": "url: in etc/participants/jira.yaml or BOSS_JIRA_URL", "token": "BOSS_JIRA_TOKEN"}
        raise ConfigError("jira config: missing " + ", ".join(f"{key} (set {hints[key]})" for key in missing))
    try:
        return JiraConfig.model_validate(config)
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_context=False, include_input=False)
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in problems)
        raise ConfigError(f"jira config: {text}") from None


def connect(config: JiraConfig) -> JIRA:
    """A new client; it makes no request until used."""
    options: dict[str, Any] = {"verify": config.ca_bundle or config.verify}
    timeout = config.timeout.total_seconds()
    token = config.token.get_secret_value()
    if config.cloud:
        client = JIRA(server=config.url, options=options, basic_auth=(str(config.user), token),
                      get_server_info=False, max_retries=0, timeout=timeout)
        client.deploymentType = "Cloud"  # what serverInfo would say; the library picks /search/jql by it
    else:
        client = JIRA(server=config.url, options=options, token_auth=token, get_server_info=False, max_retries=0,
                      timeout=timeout)
    return client


@contextmanager
def translated(doing: str, *, wait: Callable[[float], object] | None = None,
               max_retry_after: float = 60.0) -> Iterator[None]:
    """Turn what the library raises while ``doing`` something into a permanent or a retryable error.

    Jira's own message (its ``errorMessages`` and ``errors``) is quoted, since it says best what is wrong.
    On a 429 with ``Retry-After``, ``wait`` is called for that long (at most ``max_retry_after``) first,
    so the step's retry comes when Jira accepts requests again.
    """
    try:
        yield
    except JIRAError as exc:
        raise classify(exc, doing, wait=wait, max_retry_after=max_retry_after) from exc
    except requests.Timeout as exc:
        raise JiraUnavailable(f"Jira did not answer in time while {doing}: {_one_line(exc)}") from exc
    except (requests.JSONDecodeError, ValueError) as exc:  # a 200 that is not JSON: SSO login page, wrong URL
        raise JiraRefused(f"the answer while {doing} was not Jira's JSON (is url Jira's base URL, and does "
                          f"the token pass any single sign-on in front of it?): {_one_line(exc)}") from exc
    except requests.RequestException as exc:
        raise JiraUnavailable(f"Jira unreachable while {doing}: {_one_line(exc)}") from exc


def classify(exc: JIRAError, doing: str, *, wait: Callable[[float], object] | None = None,
             max_retry_after: float = 60.0) -> ParticipantError:
    """The boss error for a failed Jira request: 5xx, 408 and 429 are retryable, other statuses permanent."""
    status = exc.status_code
    said = (exc.text or "").strip() or _reason(exc) or "no message"
    detail: dict[str, Any] = {"status": status, "url": exc.url, "jira": said}
    if status is not None and (status >= 500 or status in (408, 429)):
        retry_after = _retry_after(exc)
        if status == 429 and retry_after is not None:
            detail["retry_after"] = retry_after
            if wait is not None:
                wait(min(retry_after, max_retry_after))
        return JiraUnavailable(f"Jira answered HTTP {status} while {doing}: {said}", detail=detail)
    hint = PERMANENT_HINT.get(status or 0)
    suffix = f" ({hint})" if hint else ""
    where = f"HTTP {status}" if status is not None else "an error"
    return JiraRefused(f"Jira refused {doing} with {where}: {said}{suffix}", detail=detail)


def _retry_after(exc: JIRAError) -> float | None:
    headers = exc.response.headers if exc.response is not None else {}
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from Jira; the step's own delay applies


def _reason(exc: JIRAError) -> str:
    return str(getattr(exc.response, "reason", "") or "") if exc.response is not None else ""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."

