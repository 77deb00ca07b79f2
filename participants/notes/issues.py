"""The Jira issues of a release: ``fixVersion = "<version>"`` through the ``jira`` library.

Only read access is needed, so the notes daemon has its own Jira settings (``jira_url``, ``jira_token``,
optionally ``jira_user`` for Jira Cloud's e-mail + API token) instead of sharing the ``jira``
participant's. The library's own retries are off (``max_retries=0``): the step's ``retry`` policy
decides, where operators can see it.
"""

from __future__ import annotations

from typing import Any

import requests
from jira import JIRA, JIRAError

from skynet import ParticipantError, RetryableError, Workitem

FIELDS = ["summary", "issuetype", "status", "assignee"]
MAX_RETRY_AFTER = 60.0  # seconds a 429's Retry-After may hold a step before it is retried


class JiraRefused(ParticipantError):
    """Jira refused the search (bad token, unknown project or version, bad JQL): Jira's message says why."""


class JiraUnavailable(RetryableError):
    """Jira is unreachable, overloaded (5xx) or rate limiting (429)."""


def quoted(value: str) -> str:
    """A JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def jql(project: str | None, version: str) -> str:
    """The search for the issues fixed in ``version`` (of ``project`` when given: names repeat across projects)."""
    scope = f"project = {quoted(project)} AND " if project else ""
    return f"{scope}fixVersion = {quoted(version)} ORDER BY key ASC"


class JiraIssues:
    """Searches one Jira server; a client is made per search, so a daemon starts even while Jira is down."""

    def __init__(self, url: str, token: str | None, user: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.user = user
        self.timeout = timeout

    def fetch(self, wi: Workitem, project: str | None, version: str) -> list[dict[str, Any]]:
        """The issues as the templates see them: ``key, summary, type, status, assignee, url``."""
        query = jql(project, version)
        wi.log.info("searching Jira: %s", query)
        try:
            client = self._client()
            found = client.search_issues(query, maxResults=False, fields=FIELDS)
        except JIRAError as exc:
            raise self._error(wi, exc) from exc
        except requests.RequestException as exc:
            raise JiraUnavailable(f"Jira at {self.url} is unreachable: {type(exc).__name__}") from exc
        return [self._issue(issue.raw) for issue in found]

    def _client(self) -> JIRA:
        auth: dict[str, Any] = {}
        if self.user and self.token:
            auth["basic_auth"] = (self.user, self.token)
        elif self.token:
            auth["token_auth"] = self.token
        return JIRA(server=self.url, max_retries=0, timeout=self.timeout, **auth)

    def _issue(self, raw: dict[str, Any]) -> dict[str, Any]:
        fields = raw.get("fields") or {}
        return {"key": raw["key"], "summary": fields.get("summary") or "",
                "type": _name(fields.get("issuetype")), "status": _name(fields.get("status")),
                "assignee": (fields.get("assignee") or {}).get("displayName"), "url": f"{self.url}/browse/{raw['key']}"}

    def _error(self, wi: Workitem, exc: JIRAError) -> ParticipantError:
        status = exc.status_code
        message = f"Jira answered {status}: {exc.text or 'no message'}" if status else f"Jira: {exc.text}"
        detail = {"status": status, "url": exc.url}
        if status == 429:
            _wait(wi, exc)
            return JiraUnavailable(message, detail=detail)
        if status is None or status >= 500:
            return JiraUnavailable(message, detail=detail)
        return JiraRefused(message, detail=detail)


def _name(value: Any) -> str:
    return str(value.get("name") or "") if isinstance(value, dict) else ""


def _wait(wi: Workitem, exc: JIRAError) -> None:
    """Honour a 429's Retry-After (up to a minute) before the step's retry policy takes over."""
    response = exc.response
    header = response.headers.get("Retry-After") if response is not None else None
    try:
        seconds = min(float(header), MAX_RETRY_AFTER) if header else 0.0
    except ValueError:
        seconds = 0.0
    if seconds > 0:
        wi.log.info("Jira is rate limiting: waiting %.0fs as its Retry-After asks", seconds)
        wi.cancelled.wait(seconds)
