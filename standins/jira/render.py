"""The JSON shapes of Jira's REST API v2 for the stand-in's objects, and Jira's error bodies.

Shapes follow the documented responses (``self`` links, string ids, ``fields`` of an issue, a status with
its category) closely enough for the ``jira`` library's resources to load them; fields the stand-in does
not model are left out rather than faked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from fastapi.responses import JSONResponse

from standins.jira.state import ISSUE_TYPES, STATUSES, Comment, Issue, JiraState, Version

# The system fields /field lists, with the JQL clause names the jira library maps to field ids.
SYSTEM_FIELDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("issuekey", "Key", ("id", "issue", "issuekey", "key")),
    ("summary", "Summary", ("summary",)),
    ("status", "Status", ("status",)),
    ("issuetype", "Issue Type", ("issuetype", "type")),
    ("project", "Project", ("project",)),
    ("labels", "Labels", ("labels",)),
    ("fixVersions", "Fix Version/s", ("fixVersion",)),
    ("description", "Description", ("description",)),
    ("comment", "Comment", ("comment",)),
    ("created", "Created", ("created", "createdDate")),
    ("updated", "Updated", ("updated", "updatedDate")),
)
NAVIGABLE = ("summary", "status", "issuetype", "project", "labels", "fixVersions", "description", "created",
             "updated")


def errors(status: int, messages: Iterable[str] = (), fields: dict[str, str] | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    """Jira's error body: ``{"errorMessages": [...], "errors": {field: message}}``."""
    return JSONResponse({"errorMessages": list(messages), "errors": dict(fields or {})}, status_code=status,
                        headers=headers)


def field_list() -> list[dict[str, Any]]:
    return [{"id": fid, "key": fid, "name": name, "custom": False, "orderable": fid not in ("issuekey", "status"),
             "navigable": True, "searchable": True, "clauseNames": list(clauses)}
            for fid, name, clauses in SYSTEM_FIELDS]


def user_release_date(value: str | None) -> str | None:
    """Jira's display form of a release date (``11/Dec/26``)."""
    return date.fromisoformat(value).strftime("%d/%b/%y") if value else None


def version_json(version: Version, base: str, state: JiraState) -> dict[str, Any]:
    project = state.projects[version.project]
    body: dict[str, Any] = {
        "self": f"{base}/rest/api/2/version/{version.id}", "id": str(version.id), "name": version.name,
        "archived": version.archived, "released": version.released, "projectId": project.id,
    }
    if version.description is not None:
        body["description"] = version.description
    if version.release_date is not None:
        body["releaseDate"] = version.release_date
        body["userReleaseDate"] = user_release_date(version.release_date)
    if version.start_date is not None:
        body["startDate"] = version.start_date
    return body


def status_json(name: str, base: str) -> dict[str, Any]:
    status_id, category_key, category_name = STATUSES[name]
    category_id = {"new": 2, "indeterminate": 4, "done": 3}[category_key]
    return {"self": f"{base}/rest/api/2/status/{status_id}", "id": status_id, "name": name,
            "statusCategory": {"self": f"{base}/rest/api/2/statuscategory/{category_id}", "id": category_id,
                               "key": category_key, "name": category_name}}


def comment_json(issue: Issue, comment: Comment, base: str) -> dict[str, Any]:
    author = {"name": comment.author, "displayName": comment.author, "active": True}
    return {"self": f"{base}/rest/api/2/issue/{issue.id}/comment/{comment.id}", "id": str(comment.id),
            "author": author, "updateAuthor": author, "body": comment.body, "created": comment.created,
            "updated": comment.created}


def issue_field(name: str, issue: Issue, base: str, state: JiraState) -> Any:
    """The value of one field of ``issue`` in REST form."""
    project = state.projects[issue.project]
    if name == "summary":
        return issue.summary
    if name == "status":
        return status_json(issue.status, base)
    if name == "issuetype":
        type_id = ISSUE_TYPES[issue.issuetype]
        return {"self": f"{base}/rest/api/2/issuetype/{type_id}", "id": type_id, "name": issue.issuetype,
                "subtask": False}
    if name == "project":
        return {"self": f"{base}/rest/api/2/project/{project.id}", "id": str(project.id), "key": project.key,
                "name": project.name}
    if name == "labels":
        return list(issue.labels)
    if name == "fixVersions":
        return [version_json(state.versions[v], base, state) for v in issue.fix_versions if v in state.versions]
    if name == "description":
        return issue.description
    if name == "comment":
        comments = [comment_json(issue, c, base) for c in issue.comments]
        return {"comments": comments, "maxResults": len(comments), "total": len(comments), "startAt": 0}
    return {"created": issue.created, "updated": issue.updated}.get(name)


def wanted_fields(requested: list[str] | None, default: tuple[str, ...]) -> list[str]:
    """The field ids to render for a ``fields`` parameter (``*all``, ``*navigable``, names, ``-name``)."""
    if not requested:
        return list(default)
    chosen: list[str] = []
    known = {fid for fid, _, _ in SYSTEM_FIELDS} - {"issuekey"}
    for item in requested:
        if item == "*all":
            chosen += [f for f, _, _ in SYSTEM_FIELDS if f != "issuekey"]
        elif item == "*navigable":
            chosen += list(NAVIGABLE)
        elif item.startswith("-"):
            chosen = [f for f in chosen if f != item[1:]]
        elif item in known:
            chosen.append(item)
    return list(dict.fromkeys(chosen))


def issue_json(issue: Issue, base: str, state: JiraState, fields: list[str]) -> dict[str, Any]:
    return {"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": str(issue.id), "self": f"{base}/rest/api/2/issue/{issue.id}", "key": issue.key,
            "fields": {name: issue_field(name, issue, base, state) for name in fields}}


def split_fields(values: list[str]) -> list[str]:
    """``fields`` may come repeated (``fields=a&fields=b``) or comma-separated (``fields=a,b``)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
