"""The GitHub client of the notes participant (PyGithub) and how its failures become step errors.

PyGithub's own retries are off (``retry=None``): the step's ``retry`` policy decides, where operators can
see it. A rate limit's ``Retry-After`` (up to a minute) is waited out before the retryable error is
raised, so the retry does not hit the limit again at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from github import Auth, Github, GithubException, RateLimitExceededException

from participants.notes.config import NotConfigured, NotesConfig
from skynet import ParticipantError, RetryableError, Workitem

MAX_RETRY_AFTER = 60.0


class GitHubRefused(ParticipantError):
    """GitHub refused the request (bad token, no such repository, invalid data): its message says why."""


class GitHubUnavailable(RetryableError):
    """GitHub is unreachable, failing (5xx) or rate limiting."""


def client(settings: NotesConfig) -> Github:
    """A client for ``github_url`` with ``github_token``; raises NotConfigured without a token."""
    if not settings.github_token:
        raise NotConfigured("GitHub needs github_token in the notes config (BOSS_NOTES_GITHUB_TOKEN)")
    return Github(base_url=settings.github_url.rstrip("/"), auth=Auth.Token(settings.github_token),
                  timeout=int(settings.http_timeout), retry=None, per_page=100, seconds_between_requests=None)


def message_of(exc: GithubException) -> str:
    """GitHub's own message (``Bad credentials``, ``Not Found``...), with the details of a 422."""
    data = exc.data if isinstance(exc.data, dict) else {}
    text = str(data.get("message") or exc.message or "no message")
    details = [str(e.get("message") or e.get("code")) for e in data.get("errors") or () if isinstance(e, dict)]
    return f"{text} ({'; '.join(details)})" if details else text


@contextmanager
def answers(what: str, wi: Workitem | None = None) -> Iterator[None]:
    """Turn PyGithub's exceptions inside the block into step errors that start with ``what``."""
    try:
        yield
    except RateLimitExceededException as exc:
        _wait(exc, wi)
        raise GitHubUnavailable(f"{what}: GitHub is rate limiting ({exc.status}: {message_of(exc)})") from exc
    except GithubException as exc:
        problem = f"{what}: GitHub answered {exc.status}: {message_of(exc)}"
        if exc.status == 429 or exc.status >= 500:
            _wait(exc, wi)
            raise GitHubUnavailable(problem) from exc
        raise GitHubRefused(problem) from exc
    except requests.RequestException as exc:
        raise GitHubUnavailable(f"{what}: GitHub is unreachable: {type(exc).__name__}") from exc


def _wait(exc: GithubException, wi: Workitem | None) -> None:
    header = (exc.headers or {}).get("retry-after") or (exc.headers or {}).get("Retry-After")
    try:
        seconds = min(float(header), MAX_RETRY_AFTER) if header else 0.0
    except ValueError:
        seconds = 0.0
    if seconds > 0 and wi is not None:
        wi.log.info("GitHub asks to wait %.0fs (Retry-After)", seconds)
        wi.cancelled.wait(seconds)
