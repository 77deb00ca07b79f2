"""Talking to GitHub with PyGithub, and turning its failures into retryable and permanent errors.

PyGithub's pacing stays on (``request_interval``, ``write_interval``: GitHub asks integrations to space
their writes to avoid its secondary rate limits). Its own retries are off (``retry=None``): a step's
``retry`` policy decides, visibly, and a POST that timed out is never silently sent twice; the actions
check before they act instead. Errors map as:

- 401, 403, 404, 400, 409, 422 -> :class:`GitHubError` (permanent), quoting GitHub's message
  (``Bad credentials``, ``Reference already exists``, and the ``errors`` of a 422);
- 429 and rate-limit 403s -> :class:`GitHubUnavailable` after waiting out ``Retry-After`` (or the rate
  limit reset), at most ``max_wait``;
- 5xx, timeouts and connection errors -> :class:`GitHubUnavailable`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from github import Auth, Github, GithubException, RateLimitExceededException
from github.Repository import Repository

from participants.git.config import GitConfig
from participants.git.errors import GitHubError, GitHubUnavailable
from skynet import ParticipantError

USER_AGENT = "boss-git-participant"


class Hub:
    """A PyGithub client for one workitem (PyGithub objects are not shared between threads)."""

    def __init__(self, config: GitConfig, cancelled: threading.Event | None = None) -> None:
        self.config = config
        self.cancelled = cancelled or threading.Event()
        auth = Auth.Token(config.token) if config.token else None
        self.github = Github(base_url=config.github_url.rstrip("/"), auth=auth, retry=None, per_page=100,
                             timeout=max(int(config.github_timeout.total_seconds()), 1), user_agent=USER_AGENT,
                             seconds_between_requests=config.request_interval.total_seconds(),
                             seconds_between_writes=config.write_interval.total_seconds())

    def close(self) -> None:
        """Close the HTTP connections."""
        self.github.close()

    def repo(self, name: str) -> Repository:
        """The repository ``owner/name`` (one request)."""
        with self.errors():
            return self.github.get_repo(name)

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn what PyGithub and requests raise inside the block into the participant's errors."""
        try:
            yield
        except GithubException as exc:
            raise self._classified(exc) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise GitHubUnavailable(f"GitHub unreachable at {self.config.github_url}: {type(exc).__name__}") from exc

    def _classified(self, exc: GithubException) -> ParticipantError:
        status, message = exc.status, github_message(exc)
        detail = {"status": status, "body": exc.data if isinstance(exc.data, dict | list | str) else None}
        if isinstance(exc, RateLimitExceededException) or status == 429:
            waited = self._wait_out(exc.headers or {})
            return GitHubUnavailable(f"GitHub rate limit ({status}): {message}; waited {waited:g}s",
                                     detail={**detail, "waited": waited})
        if status >= 500:
            return GitHubUnavailable(f"GitHub answered {status}: {message}", detail=detail)
        return GitHubError(f"GitHub answered {status}: {message}", detail=detail)

    def _wait_out(self, headers: Mapping[str, Any]) -> float:
        """Wait as GitHub asks (``Retry-After``, else until ``X-RateLimit-Reset``), at most ``max_wait``."""
        lowered = {str(key).lower(): value for key, value in headers.items()}
        seconds = 1.0
        try:
            if "retry-after" in lowered:
                seconds = float(lowered["retry-after"])
            elif "x-ratelimit-reset" in lowered:
                seconds = float(lowered["x-ratelimit-reset"]) - time.time()
        except (TypeError, ValueError):
            pass
        seconds = min(max(seconds, 0.0), self.config.max_wait.total_seconds())
        self.cancelled.wait(seconds)
        return seconds


def github_message(exc: GithubException) -> str:
    """GitHub's own words: ``message``, plus each entry of ``errors`` in a 422."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or f"HTTP {exc.status}")
    details = []
    for entry in data.get("errors") or []:
        if isinstance(entry, dict):
            details.append(str(entry.get("message") or " ".join(
                str(entry[key]) for key in ("resource", "field", "code") if entry.get(key))))
        else:
            details.append(str(entry))
    return f"{message}: {'; '.join(details)}" if details else message


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a PyGithub error (None for anything else)."""
    return exc.status if isinstance(exc, GithubException) else None
