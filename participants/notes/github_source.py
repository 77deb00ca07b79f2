"""Collect the changes of a GitHub repository between two refs through the REST API (``source: github``).

The comparison ``from...to`` gives every commit of the range with its parents; the first-parent line is
walked here the way ``git log --first-parent`` walks it (a merge that is no pull request stands for its
branch, whose commits are walked in turn). Each pull request named by a merge or squash commit is read
for its current title, author and labels, which only GitHub knows.

An empty ``from`` is the nearest tag matching ``tag_pattern`` below ``to`` (a tag on ``to`` itself is
the release being made): candidates come from ``git/matching-refs/tags/<prefix>`` and the nearest is the
one the fewest commits behind ``to``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from github import Github, GithubException
from github.Commit import Commit
from github.Repository import Repository

from participants.notes.collect import TooManyCommits, UnknownRef
from participants.notes.config import NotesConfig
from participants.notes.gh import answers, client
from participants.notes.model import Change, RepoRange, read_message
from participants.notes.params import RepoRef
from skynet import Workitem

MAX_TAG_CANDIDATES = 20
GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Node:
    """One commit of the comparison: what the walk and the notes need of it."""

    sha: str
    parents: tuple[str, ...]
    message: str
    author: str
    login: str | None
    author_url: str | None
    url: str


class GitHubSource:
    """Reads ranges over the GitHub API; one client serves all workitems."""

    def __init__(self, settings: NotesConfig) -> None:
        self.github: Github = client(settings)
        self.max_commits = settings.max_commits

    def collect(self, wi: Workitem, ref: RepoRef, from_ref: str, to_ref: str, *, tag_pattern: str,
                first_parent: bool) -> RepoRange:
        """The changes in ``from_ref...to_ref`` of ``owner/name`` (``from_ref`` empty: the previous tag)."""
        name = ref.label
        with answers(f"repo {name}", wi):
            repo = self.github.get_repo(ref.repo)
            to_name = repo.default_branch if to_ref == "HEAD" else to_ref
            to_sha = self._resolve(name, repo, to_name, "to")
            if from_ref:
                start: str | None = from_ref
                from_sha: str | None = self._resolve(name, repo, from_ref, "from")
            else:
                with answers(f"repo {name}: looking for the previous tag matching {tag_pattern}", wi):
                    start, from_sha = self._previous_tag(repo, to_sha, tag_pattern)
            nodes, total = self._range(name, repo, from_sha, to_sha, start, to_name)
            changes = self._changes(wi, name, repo, nodes, to_sha, first_parent=first_parent)
        url = ref.url or repo.html_url
        return RepoRange(name=name, from_ref=start, to_ref=to_name, from_sha=from_sha, to_sha=to_sha, commits=total,
                         url=url, compare_url=f"{url}/compare/{start}...{to_name}" if start else None, changes=changes)

    # ---- refs ------------------------------------------------------------------------------------------
    def _resolve(self, name: str, repo: Repository, ref: str, role: str) -> str:
        try:
            return repo.get_commit(ref).sha
        except GithubException as exc:
            if exc.status in (404, 422):  # GitHub answers 422 "No commit found for SHA" for unknown names
                raise UnknownRef(f"repo {name}: unknown ref {ref!r} ({role}): no branch, tag or commit of that "
                                 "name") from exc
            raise

    def _previous_tag(self, repo: Repository, to_sha: str, pattern: str) -> tuple[str | None, str | None]:
        prefix = GLOB.split(pattern, maxsplit=1)[0]
        tags = [r for r in repo.get_git_matching_refs(f"tags/{prefix}")
                if fnmatch.fnmatchcase(r.ref.removeprefix("refs/tags/"), pattern)]
        best: tuple[int, str, str] | None = None
        for tag_ref in sorted(tags, key=lambda r: _version_key(r.ref), reverse=True)[:MAX_TAG_CANDIDATES]:
            tag = tag_ref.ref.removeprefix("refs/tags/")
            comparison = repo.compare(tag, to_sha)
            if comparison.status != "ahead":  # identical: the tag is this release; behind/diverged: not below
                continue
            if best is None or comparison.ahead_by < best[0]:
                best = (comparison.ahead_by, tag, comparison.base_commit.sha)
        return (best[1], best[2]) if best else (None, None)

    # ---- the range -------------------------------------------------------------------------------------
    def _range(self, name: str, repo: Repository, from_sha: str | None, to_sha: str, start: str | None,
               to_name: str) -> tuple[dict[str, Node], int]:
        if from_sha is None:  # no previous tag: the whole history, as ``git log to`` would list it
            commits: Any = repo.get_commits(sha=to_sha)
            total = commits.totalCount
        else:
            comparison = repo.compare(from_sha, to_sha)
            commits, total = comparison.commits, comparison.total_commits
        if total > self.max_commits:
            raise TooManyCommits(f"repo {name}: {start or 'the first commit'}..{to_name} holds {total} commits, "
                                 f"more than max_commits {self.max_commits}: is `from` right?")
        return {c.sha: _node(c) for c in commits}, total

    def _changes(self, wi: Workitem, name: str, repo: Repository, nodes: dict[str, Node], tip: str, *,
                 first_parent: bool) -> list[Change]:
        ordered = _walk(nodes, tip, set()) if first_parent else [
            node for node in reversed(list(nodes.values())) if len(node.parents) < 2]
        changes = []
        for node in ordered:
            wi.check_cancelled()
            changes.append(self._change(name, repo, node))
        return changes

    def _change(self, name: str, repo: Repository, node: Node) -> Change:
        subject, _, body = node.message.partition("\n")
        message = read_message(subject, body)
        if message.number is None:
            return Change(repo=name, sha=node.sha, title=message.title, body=message.body,
                          author=node.login or node.author, url=node.url, author_url=node.author_url)
        try:
            pull = repo.get_pull(message.number)
        except GithubException as exc:
            if exc.status != 404:
                raise
            return Change(repo=name, sha=node.sha, title=message.title, body=message.body, number=message.number,
                          author=node.login or node.author, url=f"{repo.html_url}/pull/{message.number}")
        labels = tuple(label.name for label in (getattr(pull, "labels", None) or []))
        return Change(repo=name, sha=node.sha, title=pull.title or message.title, body=message.body,
                      number=message.number, author=pull.user.login if pull.user else node.author,
                      author_url=pull.user.html_url if pull.user else None, url=pull.html_url, labels=labels)


def _node(commit: Commit) -> Node:
    user = commit.author  # the GitHub account of the commit's author, when its e-mail belongs to one
    return Node(sha=commit.sha, parents=tuple(p.sha for p in commit.parents), message=commit.commit.message,
                author=commit.commit.author.name if commit.commit.author else "", login=user.login if user else None,
                author_url=user.html_url if user else None, url=commit.html_url)


def _walk(nodes: dict[str, Node], tip: str, stop: set[str]) -> list[Node]:
    """The first-parent line from ``tip`` inside ``nodes``, newest first; merges of no pull request expanded."""
    line: list[str] = []
    sha: str | None = tip
    while sha in nodes and sha not in stop:
        line.append(sha)
        parents = nodes[sha].parents
        sha = parents[0] if parents else None
    walked: list[Node] = []
    for sha in line:
        node = nodes[sha]
        subject, _, body = node.message.partition("\n")
        if len(node.parents) > 1 and read_message(subject, body).number is None:
            for branch in node.parents[1:]:
                walked += _walk(nodes, branch, stop | set(line))
            continue
        walked.append(node)
    return walked


def _version_key(ref: str) -> tuple[Any, ...]:
    """Sort ``v2026.12`` after ``v2026.9``: numbers compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", ref))
