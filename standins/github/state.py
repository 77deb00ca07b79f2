"""What a test sees of the GitHub stand-in: its repositories, the requests it got, and faults to inject.

A test builds the world it needs (``state.add_repo("acme/api")``, ``state.commit(...)``), points the code
under test at the stand-in's URL with ``state.token``, and afterwards reads what happened
(``state.repo("acme/api").releases``, ``state.calls("POST", "/releases")``). ``fail_next`` makes the next
matching requests fail the way GitHub fails: a 5xx, or a rate limit with ``Retry-After``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from itertools import count

from standins.github.model import Person, PullRequest, Repo, Tree, now

DEFAULT_AUTHOR = ("Alice Developer", "alice@example.com")


@dataclass(frozen=True)
class Call:
    """One request the stand-in answered (the path without an ``/api/v3`` prefix)."""

    method: str
    path: str
    status: int


@dataclass
class Failure:
    """A fault waiting for its request: ``times`` more requests matching ``method`` and ``path`` fail."""

    status: int
    times: int
    method: str | None = None
    path: str | None = None
    retry_after: int | None = None
    message: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether the request is one this fault waits for (``path`` matches as a substring)."""
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


@dataclass
class GitHubState:
    """The stand-in's whole state; every handler holds ``lock`` while it reads or changes it.

    Attributes:
        token: The one valid token (``Authorization: token X`` or ``Bearer X``).
        login: The user the token belongs to (``GET /user``; author of pulls, releases and merges).
        logins: Commit author emails that belong to GitHub users (their commits show ``author.login``).
    """

    token: str = "test-token"
    login: str = "boss-bot"
    logins: dict[str, str] = field(default_factory=lambda: {"alice@example.com": "alice"})
    repos: dict[str, Repo] = field(default_factory=dict)
    requests: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: count[int] = field(default_factory=lambda: count(1))
    _seq: count[int] = field(default_factory=lambda: count(1))

    def next_id(self) -> int:
        """A fresh id for a repository, pull request or release."""
        return next(self._ids)

    def next_seq(self) -> int:
        """The creation order of the next commit."""
        return next(self._seq)

    # ---- building the world ------------------------------------------------------------------------
    def add_repo(self, full_name: str, *, default_branch: str = "main", files: Tree | None = None) -> Repo:
        """A repository with one initial commit on ``default_branch`` holding ``files`` (a README by default)."""
        owner, _, name = full_name.partition("/")
        with self.lock:
            repo = Repo(owner=owner, name=name, id=self.next_id(), default_branch=default_branch)
            self.repos[full_name] = repo
            initial = repo.add_commit((), "Initial commit", files or {"README.md": f"# {name}\n"},
                                      self.person(*DEFAULT_AUTHOR), self.next_seq())
            repo.branches[default_branch] = initial.sha
            return repo

    def repo(self, full_name: str) -> Repo:
        """The repository ``owner/name`` (KeyError when it does not exist)."""
        with self.lock:
            return self.repos[full_name]

    def commit(self, full_name: str, branch: str, message: str, files: dict[str, str | None], *,
               author: tuple[str, str] = DEFAULT_AUTHOR) -> str:
        """Commit ``files`` (``None`` deletes a file) on top of ``branch``; returns the new sha."""
        with self.lock:
            repo = self.repos[full_name]
            parent = repo.branches[branch]
            tree = dict(repo.commits[parent].tree)
            for path, content in files.items():
                if content is None:
                    tree.pop(path, None)
                else:
                    tree[path] = content
            commit = repo.add_commit((parent,), message, tree, self.person(*author), self.next_seq())
            repo.branches[branch] = commit.sha
            return commit.sha

    def create_branch(self, full_name: str, branch: str, start: str) -> str:
        """Create ``branch`` at what ``start`` names; returns its sha."""
        with self.lock:
            repo = self.repos[full_name]
            sha = repo.resolve(start)
            if sha is None:
                raise KeyError(f"{full_name} has no {start}")
            repo.branches[branch] = sha
            return sha

    def merge_pull(self, full_name: str, number: int) -> str:
        """Merge an open pull request the way the web button does; returns the merge commit's sha."""
        with self.lock:
            repo = self.repos[full_name]
            pull = next(p for p in repo.pulls if p.number == number)
            base, head = repo.branches[pull.base], repo.branches[pull.head]
            tree, conflicts = repo.three_way(base, head)
            if conflicts:
                raise ValueError(f"pull request #{number} conflicts in {conflicts}")
            message = f"Merge pull request #{number} from {repo.owner}/{pull.head}\n\n{pull.title}"
            commit = repo.add_commit((base, head), message, tree, self.person(self.login, f"{self.login}@example.com"),
                                     self.next_seq())
            repo.branches[pull.base] = commit.sha
            pull.state, pull.merged_at, pull.merge_commit_sha, pull.updated_at = "closed", now(), commit.sha, now()
            return commit.sha

    def person(self, name: str, email: str) -> Person:
        """Someone acting now."""
        return Person(name=name, email=email, date=now())

    # ---- faults and the request log ----------------------------------------------------------------
    def fail_next(self, status: int = 503, *, times: int = 1, method: str | None = None, path: str | None = None,
                  retry_after: int | None = None, message: str | None = None) -> None:
        """Fail the next ``times`` requests that match ``method`` and ``path`` (a substring) with ``status``.

        403 and 429 answer as GitHub's rate limit does (``X-RateLimit-Remaining: 0``, a rate limit message);
        ``retry_after`` adds a ``Retry-After`` header.
        """
        with self.lock:
            self.failures.append(Failure(status=status, times=times, method=method, path=path,
                                         retry_after=retry_after, message=message))

    def take_failure(self, method: str, path: str) -> Failure | None:
        """The fault this request meets, if any (each use counts down its ``times``)."""
        with self.lock:
            for failure in self.failures:
                if failure.matches(method, path):
                    failure.times -= 1
                    if failure.times <= 0:
                        self.failures.remove(failure)
                    return failure
            return None

    def record(self, method: str, path: str, status: int) -> None:
        """Remember an answered request."""
        with self.lock:
            self.requests.append(Call(method, path, status))

    def calls(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """The answered requests with this method whose path contains ``path``."""
        with self.lock:
            return [c for c in self.requests
                    if (method is None or c.method == method) and (path is None or path in c.path)]

    def pulls(self, full_name: str) -> list[PullRequest]:
        """The pull requests of a repository, oldest first."""
        with self.lock:
            return list(self.repos[full_name].pulls)
