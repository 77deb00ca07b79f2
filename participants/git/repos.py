"""Reading a local git repository: commits between two refs, resolving refs, ancestry. Reusable as a library.

The release notes participant and the demo use these on clones the git participant keeps (see
``Workspace.path``) or on any repository on disk::

    from participants.git.repos import commits_between

    for commit in commits_between("/srv/clones/acme/api", "v2026.11", "integration2026.12"):
        print(commit.sha[:8], commit.subject, commit.author, commit.date, commit.pull_requests)

Each function takes the repository's path (a work tree or a bare repository) and an optional
:class:`~participants.git.command.GitRunner` (timeouts, cancel, environment); errors are the git
participant's: :class:`RefNotFound` for a ref that does not exist, :class:`GitFailed` for anything else.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from participants.git.command import GitRunner, failure
from participants.git.errors import RefNotFound

FIELD, RECORD = "\x1f", "\x1e"
LOG_FORMAT = FIELD.join(["%H", "%P", "%an", "%ae", "%aI", "%s", "%b"]) + RECORD
# "Merge pull request #12 from acme/feature" (merge commits) and "Add login (#12)" (squash merges).
PULL_REQUEST = re.compile(r"^Merge pull request #(\d+) |\(#(\d+)\)\s*$")

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Commit:
    """One commit as release notes need it.

    Attributes:
        sha: The full commit id.
        subject: The first line of the message.
        body: The rest of the message (without the blank line after the subject).
        author: The author's name; ``email`` their address.
        date: The author date, ISO 8601 with offset (``2026-12-01T10:00:00+02:00``).
        parents: The parents' ids (two or more for a merge commit).
        pull_requests: Pull request numbers named by a merge or squash subject (``#12``).
    """

    sha: str
    subject: str
    body: str
    author: str
    email: str
    date: str
    parents: tuple[str, ...] = ()
    pull_requests: tuple[int, ...] = field(default=())

    @property
    def is_merge(self) -> bool:
        """Whether the commit has more than one parent."""
        return len(self.parents) > 1

    def to_dict(self) -> dict[str, Any]:
        """The commit as JSON-able data (lists for the tuples)."""
        data = asdict(self)
        return {**data, "parents": list(self.parents), "pull_requests": list(self.pull_requests)}


def pull_request_numbers(subject: str) -> tuple[int, ...]:
    """The pull request a commit subject names, as GitHub writes merge and squash subjects."""
    match = PULL_REQUEST.search(subject)
    if match is None:
        return ()
    return (int(match.group(1) or match.group(2)),)


def commits_between(path: PathLike, base: str | None, head: str, *, limit: int | None = None,
                    git: GitRunner | None = None) -> list[Commit]:
    """The commits reachable from ``head`` but not from ``base``, oldest first (``git log base..head``).

    Args:
        path: The repository.
        base: The exclusive end (a tag of the last release); None lists all of ``head``'s history.
        head: The inclusive end (the integration branch).
        limit: At most this many commits: the newest ones, still listed oldest first.
        git: The runner to use (default: a plain one).

    Raises:
        RefNotFound: ``base`` or ``head`` names nothing in the repository.
    """
    runner = git or GitRunner()
    for ref in (base, head):
        if ref is not None:
            resolve(path, ref, git=runner)
    revisions = f"{base}..{head}" if base else head
    args = ["log", f"--format={LOG_FORMAT}", "--reverse", *([f"--max-count={limit}"] if limit else []),
            "--end-of-options", revisions, "--"]
    output = runner.run(_path(path), *args).stdout
    return [_parse(record) for record in output.split(RECORD) if record.strip()]


def _parse(record: str) -> Commit:
    sha, parents, author, email, date, subject, body = record.strip("\n").split(FIELD)
    return Commit(sha=sha, subject=subject, body=body.strip(), author=author, email=email, date=date,
                  parents=tuple(parents.split()), pull_requests=pull_request_numbers(subject))


def find(path: PathLike, ref: str, *, git: GitRunner | None = None) -> str | None:
    """The commit id ``ref`` names (a branch, tag, sha or any revision), or None when it names nothing."""
    result = (git or GitRunner()).run(_path(path), "rev-parse", "--verify", "--quiet", "--end-of-options",
                                      f"{ref}^{{commit}}", check=False)
    return result.stdout.strip() if result.code == 0 else None


def resolve(path: PathLike, ref: str, *, git: GitRunner | None = None) -> str:
    """The commit id ``ref`` names.

    Raises:
        RefNotFound: it names nothing.
    """
    sha = find(path, ref, git=git)
    if sha is None:
        raise RefNotFound(f"no branch, tag or commit named {ref!r} in {path}")
    return sha


def is_ancestor(path: PathLike, ancestor: str, descendant: str, *, git: GitRunner | None = None) -> bool:
    """Whether ``ancestor`` is reachable from ``descendant`` (a commit is its own ancestor)."""
    result = (git or GitRunner()).run(_path(path), "merge-base", "--is-ancestor", "--end-of-options",
                                      ancestor, descendant, check=False)
    if result.code not in (0, 1):
        resolve(path, ancestor, git=git)
        resolve(path, descendant, git=git)
        raise failure(["merge-base", "--is-ancestor", ancestor, descendant], result)
    return result.code == 0


def _path(path: PathLike) -> Path:
    return Path(path)
