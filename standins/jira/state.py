"""What the Jira stand-in knows: projects, versions, issues, comments, credentials and injected faults.

Everything lives in memory behind one lock, so the HTTP handlers (uvicorn's threads) and a test inspecting
or seeding the state never see half an update. Tests seed it (``add_project``, ``add_issue``), look at it
(``version``, ``issue``, ``calls``) and break it on purpose (``fail_next``, ``hold``).
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

Deployment = Literal["Server", "Cloud"]

# The statuses of the stand-in's one workflow: name -> (id, status category key, category name).
STATUSES: dict[str, tuple[str, str, str]] = {
    "To Do": ("10000", "new", "To Do"),
    "In Progress": ("3", "indeterminate", "In Progress"),
    "Done": ("10001", "done", "Done"),
}
# The transitions out of each status: (transition id, transition name, target status). The names differ
# from the statuses on purpose ("Start Progress" leads to "In Progress"), as in Jira's classic workflow.
WORKFLOW: dict[str, tuple[tuple[str, str, str], ...]] = {
    "To Do": (("21", "Start Progress", "In Progress"), ("31", "Done", "Done")),
    "In Progress": (("11", "Stop Progress", "To Do"), ("31", "Done", "Done")),
    "Done": (("41", "Reopen", "To Do"),),
}
ISSUE_TYPES: dict[str, str] = {"Task": "10002", "Bug": "10004", "Story": "10001", "Epic": "10000"}


def now() -> str:
    """A timestamp the way Jira writes them: ``2026-12-11T09:30:00.000+0000``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass
class Project:
    """A Jira project (only what versions and issues need)."""

    id: int
    key: str
    name: str
    next_number: int = 1


@dataclass
class Version:
    """A project version (a release, such as ``2026.12``)."""

    id: int
    project: str
    name: str
    description: str | None = None
    released: bool = False
    archived: bool = False
    release_date: str | None = None
    start_date: str | None = None


@dataclass
class Comment:
    """A comment on an issue."""

    id: int
    body: str
    author: str
    created: str = field(default_factory=now)


@dataclass
class Issue:
    """An issue with the fields the stand-in supports."""

    id: int
    key: str
    project: str
    summary: str
    issuetype: str = "Task"
    status: str = "To Do"
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    fix_versions: list[int] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)

    @property
    def number(self) -> int:
        """The number after the dash of the key (REL-12 -> 12), for ordering by key."""
        return int(self.key.rpartition("-")[2])


@dataclass
class Fault:
    """An injected error response: the next ``times`` matching requests get it instead of an answer."""

    status: int
    times: int
    method: str | None
    path: str | None
    retry_after: int | None
    message: str

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or fnmatch.fnmatchcase(path, self.path))


@dataclass
class Hold:
    """A request whose response waits until the test calls ``release`` (to kill a client mid-request).

    The request is fully processed first (a version POSTed is created), so the test can kill the client
    after Jira did the work but before the client heard of it: the classic lost-reply crash.
    """

    method: str
    path: str
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let the held response (and any later matching one) go."""
        self.released.set()

    def matches(self, method: str, path: str) -> bool:
        return self.method == method and fnmatch.fnmatchcase(path, self.path)


class JiraState:
    """The in-memory Jira.

    Args:
        deployment: ``Server`` (Data Center: ``/rest/api/2/search`` with ``startAt``; personal access
            tokens as bearer) or ``Cloud`` (``/rest/api/{2,3}/search/jql`` with ``nextPageToken``, the old
            search answers 410 Gone; email + API token as basic auth).
        users: Basic-auth credentials, user (an email on Cloud) -> password or API token.
        tokens: Personal access tokens accepted as ``Authorization: Bearer`` (Server only, like Jira).
        max_results: The page size cap of searches and comment lists; Jira caps ``maxResults`` too, so a
            client asking for more must page.
    """

    def __init__(self, deployment: Deployment = "Server", *, users: dict[str, str] | None = None,
                 tokens: set[str] | None = None, max_results: int = 50) -> None:
        self.deployment: Deployment = deployment
        self.users = dict(users if users is not None else {"boss@example.com": "api-token"})
        self.tokens = set(tokens if tokens is not None else {"t"})
        self.max_results = max_results
        self.lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.versions: dict[int, Version] = {}
        self.issues: dict[str, Issue] = {}
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self._ids = 10000

    # ---- seeding and looking -------------------------------------------------------------------------
    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def add_project(self, key: str, name: str | None = None) -> Project:
        """Create a project (keys are upper-case letters, as in Jira)."""
        with self.lock:
            project = Project(id=self.next_id(), key=key, name=name or f"{key} project")
            self.projects[key] = project
            return project

    def project(self, key_or_id: str) -> Project | None:
        with self.lock:
            for project in self.projects.values():
                if key_or_id in (project.key, str(project.id)):
                    return project
            return None

    def add_version(self, project: str, name: str, **attributes: object) -> Version:
        """Create a version directly (as if someone made it in Jira's UI)."""
        with self.lock:
            version = Version(id=self.next_id(), project=project, name=name)
            for key, value in attributes.items():
                setattr(version, key, value)
            self.versions[version.id] = version
            return version

    def version(self, project: str, name: str) -> Version | None:
        """The version of ``project`` named ``name`` (Jira compares version names ignoring case)."""
        with self.lock:
            found = [v for v in self.versions.values() if v.project == project and v.name.lower() == name.lower()]
            return found[0] if found else None

    def versions_of(self, project: str) -> list[Version]:
        with self.lock:
            return [v for v in self.versions.values() if v.project == project]

    def add_issue(self, project: str, summary: str, *, status: str = "To Do", fix_version: str | None = None,
                  labels: list[str] | None = None, issuetype: str = "Task", description: str | None = None) -> Issue:
        """Create an issue; ``fix_version`` names an existing version of the project."""
        with self.lock:
            owner = self.projects[project]
            issue = Issue(id=self.next_id(), key=f"{project}-{owner.next_number}", project=project, summary=summary,
                          issuetype=issuetype, status=status, description=description, labels=list(labels or []))
            owner.next_number += 1
            if fix_version is not None:
                version = self.version(project, fix_version)
                if version is None:
                    raise KeyError(f"no version {fix_version!r} in {project}")
                issue.fix_versions.append(version.id)
            self.issues[issue.key] = issue
            return issue

    def issue(self, key_or_id: str) -> Issue | None:
        with self.lock:
            if key_or_id in self.issues:
                return self.issues[key_or_id]
            return next((i for i in self.issues.values() if str(i.id) == key_or_id), None)

    def calls(self, method: str, pattern: str) -> int:
        """How many requests matched ``method`` and the glob ``pattern`` (``/rest/api/2/search*``)."""
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and fnmatch.fnmatchcase(p, pattern))

    # ---- faults ---------------------------------------------------------------------------------------
    def fail_next(self, status: int = 503, times: int = 1, *, method: str | None = None, path: str | None = None,
                  retry_after: int | None = None, message: str | None = None) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` (and ``Retry-After`` when given).

        ``path`` is a glob over the request path (``/rest/api/2/version*``); None matches every request.
        """
        fault = Fault(status=status, times=times, method=method, path=path, retry_after=retry_after,
                      message=message or _default_message(status))
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any (consuming one of its ``times``)."""
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
            return None

    def hold(self, method: str, path: str) -> Hold:
        """Hold the responses of matching requests (after processing them) until ``release()``."""
        held = Hold(method=method, path=path)
        with self.lock:
            self.holds.append(held)
        return held

    def hold_for(self, method: str, path: str) -> Hold | None:
        with self.lock:
            return next((h for h in self.holds if not h.released.is_set() and h.matches(method, path)), None)


def _default_message(status: int) -> str:
    return {
        429: "Rate limit exceeded.",
        500: "Internal server error",
        502: "Bad gateway",
        503: "Service Unavailable",
        504: "Gateway timeout",
    }.get(status, f"HTTP {status}")
