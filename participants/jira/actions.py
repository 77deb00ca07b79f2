"""The six actions of the jira participant, each safe to run again after a crash.

Delivery is at least once, so every action first looks at Jira and only then acts: a version of that name
is reported rather than created twice, a released version stays as it is, an issue already in the target
status is skipped, and a comment or issue made by an earlier attempt of the same step is found by a
reference derived from the step's idempotency key (a ``(boss-ref ...)`` line in the comment, a
``boss-...`` label on the issue).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from jira import JIRA
from jira.resources import Issue, Version

from participants.jira.client import JiraConfig, JiraRefused, translated
from participants.jira.params import Action, Comment, CreateIssue, CreateVersion, ReleaseVersion, Search, Transition
from skynet import ParticipantError, Workitem

BASE_FIELDS = ("summary", "status")


class VersionNotFound(ParticipantError):
    """The version to release does not exist in the project."""


class TransitionUnavailable(ParticipantError):
    """No transition of the issue's workflow leads to the requested status (the message lists those that do)."""


@dataclass(frozen=True)
class Context:
    """What an action works with: the client, the configuration and the workitem."""

    client: JIRA
    config: JiraConfig
    wi: Workitem

    def doing(self, what: str) -> AbstractContextManager[None]:
        """Translate the library's errors while doing ``what`` (a 429's wait ends early on cancel)."""
        return translated(what, wait=self.wi.cancelled.wait,
                          max_retry_after=self.config.max_retry_after.total_seconds())

    def browse(self, key: str) -> str:
        return f"{self.config.url.rstrip('/')}/browse/{key}"


def reference(idempotency_key: str) -> str:
    """A short, markup-safe stand-in for the idempotency key: 16 hex digits of its SHA-256."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


def run(ctx: Context, action: Action) -> dict[str, Any]:
    """Run one action."""
    match action:
        case CreateVersion():
            return create_version(ctx, action)
        case ReleaseVersion():
            return release_version(ctx, action)
        case Search():
            return search(ctx, action)
        case Transition():
            return transition(ctx, action)
        case Comment():
            return comment(ctx, action)
        case CreateIssue():
            return create_issue(ctx, action)
    raise ParticipantError(f"unknown action {action!r}")  # unreachable: params are validated


# ---- versions ----------------------------------------------------------------------------------------------
def find_version(ctx: Context, project: str, name: str) -> Version | None:
    """The project's version named ``name`` (exactly, else ignoring case as Jira's uniqueness check does)."""
    with ctx.doing(f"reading the versions of project {project}"):
        versions = ctx.client.project_versions(project)
    exact = [v for v in versions if v.name == name]
    loose = [v for v in versions if v.name.casefold() == name.casefold()]
    matches = exact or loose
    return matches[0] if matches else None


def version_result(ctx: Context, version: Version, project: str, **extra: Any) -> dict[str, Any]:
    raw = version.raw
    return {"id": str(raw["id"]), "name": raw["name"], "project": project, "released": bool(raw.get("released")),
            "release_date": raw.get("releaseDate"), "description": raw.get("description"),
            "url": f"{ctx.config.url.rstrip('/')}/projects/{project}/versions/{raw['id']}", **extra}


def create_version(ctx: Context, p: CreateVersion) -> dict[str, Any]:
    existing = find_version(ctx, p.project, p.name)
    if existing is not None:
        ctx.wi.log.info("version %s of %s exists already (id %s)", p.name, p.project, existing.id)
        return version_result(ctx, existing, p.project, created=False)
    ctx.wi.progress("creating version", project=p.project, name=p.name)
    release_date = p.release_date.isoformat() if p.release_date else None
    try:
        with ctx.doing(f"creating version {p.name!r} in project {p.project}"):
            version = ctx.client.create_version(p.name, p.project, description=p.description,
                                                releaseDate=release_date)
    except JiraRefused as refused:
        # Another instance, or an attempt whose reply was lost, created it since we looked: that is success.
        raced = find_version(ctx, p.project, p.name) if _status(refused) == 400 else None
        if raced is None:
            raise
        return version_result(ctx, raced, p.project, created=False)
    return version_result(ctx, version, p.project, created=True)


def release_version(ctx: Context, p: ReleaseVersion) -> dict[str, Any]:
    version = find_version(ctx, p.project, p.name)
    if version is None:
        with ctx.doing(f"reading the versions of project {p.project}"):
            names = [v.name for v in ctx.client.project_versions(p.project)][-10:]
        raise VersionNotFound(f"project {p.project} has no version {p.name!r} (latest: {', '.join(names) or 'none'})")
    if version.raw.get("released"):
        return version_result(ctx, version, p.project, changed=False)
    day = (p.date or date.today()).isoformat()
    ctx.wi.progress("releasing version", project=p.project, name=p.name, date=day)
    with ctx.doing(f"releasing version {p.name!r} of project {p.project}"):
        version.update(released=True, releaseDate=day)  # type: ignore[no-untyped-call]  # untyped in jira 3.10
    return version_result(ctx, version, p.project, changed=True)


# ---- search --------------------------------------------------------------------------------------------------
def search_pages(ctx: Context, jql: str, fields: list[str], limit: int | None = None) -> Iterator[list[Issue]]:
    """Every page of issues matching ``jql`` (stopping at ``limit`` issues), the way this Jira pages.

    Server/Data Center pages with ``startAt`` and ``total``; Cloud only with ``nextPageToken``. Jira may
    return fewer issues than asked for per page, so the loop follows what Jira says, not the page size.
    """
    fetched = 0
    start = 0
    token: str | None = None
    while limit is None or fetched < limit:
        ctx.wi.check_cancelled()
        want = ctx.config.page_size if limit is None else min(ctx.config.page_size, limit - fetched)
        with ctx.doing(f"searching issues with JQL {jql!r}"):
            if ctx.config.cloud:
                page = ctx.client.enhanced_search_issues(jql, nextPageToken=token, maxResults=want,
                                                         fields=list(fields))
            else:
                page = ctx.client.search_issues(jql, startAt=start, maxResults=want, fields=list(fields))
        if isinstance(page, dict):  # only with json_result=True, which we never pass
            raise ParticipantError("unexpected search result from the jira library")
        issues = list(page)[: None if limit is None else limit - fetched]
        fetched += len(issues)
        start += len(page)
        if issues:
            yield issues
        token = page.nextPageToken if ctx.config.cloud else None
        more = bool(token) if ctx.config.cloud else bool(page) and start < (page.total or 0)
        if not more:
            return
        ctx.wi.progress(f"fetched {fetched} issues", fetched=fetched)


def issue_summary(issue: Issue, extra: list[str]) -> dict[str, Any]:
    fields = issue.raw.get("fields") or {}
    status = fields.get("status") or {}
    found = {"key": issue.key, "summary": fields.get("summary"), "status": status.get("name")}
    return found | {name: fields.get(name) for name in extra if name not in found}


def search(ctx: Context, p: Search) -> dict[str, Any]:
    extra = [f for f in p.fields if f not in BASE_FIELDS]
    issues = [issue_summary(i, extra) for page in search_pages(ctx, p.jql, [*BASE_FIELDS, *extra], p.max)
              for i in page]
    return {"jql": p.jql, "count": len(issues), "issues": issues}


# ---- transitions -------------------------------------------------------------------------------------------
def _targets(ctx: Context, p: Transition) -> list[tuple[str, str]]:
    """(key, current status) of each issue to move.

    All pages are read before any issue moves: moving issues out of the query's results while paging by
    ``startAt`` would shift the later pages and skip issues.
    """
    if p.jql is not None:
        return [(i.key, issue_summary(i, [])["status"]) for page in search_pages(ctx, p.jql, ["status"]) for i in page]
    found = []
    for key in p.issues or []:
        with ctx.doing(f"reading issue {key}"):
            issue = ctx.client.issue(key, fields="status")
        found.append((issue.key, issue_summary(issue, [])["status"]))
    return found


def choose_transition(key: str, status: str, to: str, available: list[dict[str, Any]]) -> str:
    """The id of the transition to ``to``: one leading to that status, else one of that name."""
    wanted = to.casefold()
    by_target = [t for t in available if str((t.get("to") or {}).get("name", "")).casefold() == wanted]
    by_name = [t for t in available if str(t.get("name", "")).casefold() == wanted]
    matches = by_target or by_name
    if not matches:
        offered = ", ".join(f"{t.get('name')} -> {(t.get('to') or {}).get('name')}" for t in available) or "none"
        raise TransitionUnavailable(f"{key} (status {status!r}) has no transition to {to!r}; available: {offered}")
    return str(matches[0]["id"])


def transition(ctx: Context, p: Transition) -> dict[str, Any]:
    moved: list[str] = []
    skipped: list[str] = []
    targets = _targets(ctx, p)
    for number, (key, status) in enumerate(targets, 1):
        ctx.wi.check_cancelled()
        if (status or "").casefold() == p.to.casefold():
            skipped.append(key)
            continue
        with ctx.doing(f"reading the transitions of {key}"):
            available = ctx.client.transitions(key)
        try:
            chosen = choose_transition(key, status, p.to, available)
        except TransitionUnavailable as exc:
            exc.detail = {"transitioned": moved, "skipped": skipped}
            raise
        with ctx.doing(f"moving {key} to {p.to!r}"):
            ctx.client.transition_issue(key, chosen)
        moved.append(key)
        ctx.wi.progress(f"{key} -> {p.to}", done=number, total=len(targets))
    return {"to": p.to, "transitioned": moved, "skipped": skipped}


# ---- comments and issues -----------------------------------------------------------------------------------
def marker(ctx: Context) -> str:
    return f"(boss-ref {reference(ctx.wi.idempotency_key)})"


def existing_comment(ctx: Context, issue: str, mark: str) -> str | None:
    """The id of a comment of ``issue`` carrying ``mark``, newest first, reading every page if need be."""
    start = 0
    while True:
        with ctx.doing(f"reading the comments of {issue}"):
            page = ctx.client.comments(issue, start_at=start, max_results=ctx.config.page_size, order_by="-created")
        for found in page:
            if mark in (found.raw.get("body") or ""):
                return str(found.id)
        if not page:
            return None
        start += len(page)


def comment(ctx: Context, p: Comment) -> dict[str, Any]:
    mark = marker(ctx)
    found = existing_comment(ctx, p.issue, mark)
    if found is not None:
        return {"issue": p.issue, "id": found, "created": False}
    with ctx.doing(f"commenting on {p.issue}"):
        added = ctx.client.add_comment(p.issue, f"{p.body}\n\n{mark}")
    return {"issue": p.issue, "id": str(added.id), "created": True}


def create_issue(ctx: Context, p: CreateIssue) -> dict[str, Any]:
    label = f"boss-{reference(ctx.wi.idempotency_key)}"
    jql = f'project = "{p.project}" AND labels = "{label}" ORDER BY key'
    for page in search_pages(ctx, jql, list(BASE_FIELDS), limit=1):
        return {"key": page[0].key, "id": str(page[0].id), "url": ctx.browse(page[0].key), "label": label,
                "created": False}
    fields: dict[str, Any] = {"project": {"key": p.project}, "issuetype": {"name": p.type}, "summary": p.summary,
                              "labels": list(dict.fromkeys([*p.labels, label]))}
    if p.description is not None:
        fields["description"] = p.description
    with ctx.doing(f"creating a {p.type} in project {p.project}"):
        issue = ctx.client.create_issue(fields=fields, prefetch=False)
    return {"key": issue.key, "id": str(issue.id), "url": ctx.browse(issue.key), "label": label, "created": True}


def _status(error: ParticipantError) -> int | None:
    detail = error.detail if isinstance(error.detail, dict) else {}
    status = detail.get("status")
    return status if isinstance(status, int) else None
