"""The in-memory world of the GitHub stand-in: repositories as small commit graphs, pull requests, releases.

A commit holds its whole tree as a ``path -> content`` mapping: repositories in tests have a handful of
files, and whole snapshots make merges honest without a real object store. A merge is a three-way merge
at file granularity: a file changed on both sides since the merge base (to different contents) is a
conflict, which is what GitHub answers with ``409 Merge conflict``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

Tree = dict[str, str]


def now() -> str:
    """The current time as GitHub writes it (``2026-12-01T10:00:00Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Person:
    """A commit's author or committer."""

    name: str
    email: str
    date: str


@dataclass(frozen=True)
class Commit:
    """One commit: parents, message, people and the whole tree; ``seq`` orders commits by creation."""

    sha: str
    parents: tuple[str, ...]
    message: str
    author: Person
    committer: Person
    tree: Tree
    seq: int

    @property
    def tree_sha(self) -> str:
        """A stable id of the tree (GitHub shows one; nothing reads its objects here)."""
        return hashlib.sha1(json.dumps(self.tree, sort_keys=True).encode()).hexdigest()


@dataclass
class PullRequest:
    """A pull request from branch ``head`` to branch ``base`` of the same repository."""

    id: int
    number: int
    title: str
    body: str
    head: str
    base: str
    user: str
    draft: bool = False
    state: str = "open"
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


@dataclass
class Release:
    """A release of a tag; a draft's tag is only created when it is published."""

    id: int
    tag_name: str
    target_commitish: str
    name: str
    body: str
    draft: bool
    prerelease: bool
    author: str
    created_at: str = field(default_factory=now)
    published_at: str | None = None


@dataclass
class Repo:
    """One repository: commits, branches and tags (name -> commit sha), pull requests and releases."""

    owner: str
    name: str
    id: int
    default_branch: str
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    pulls: list[PullRequest] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    # ---- reading the graph -------------------------------------------------------------------------
    def resolve(self, ref: str) -> str | None:
        """The commit a branch, tag, ``refs/...`` name, full sha or unique sha prefix (7+) names."""
        for prefix, refs in (("refs/heads/", self.branches), ("refs/tags/", self.tags)):
            if ref.startswith(prefix):
                return refs.get(ref[len(prefix):])
        if ref in self.branches:
            return self.branches[ref]
        if ref in self.tags:
            return self.tags[ref]
        if ref in self.commits:
            return ref
        if len(ref) >= 7:
            matches = [sha for sha in self.commits if sha.startswith(ref.lower())]
            if len(matches) == 1:
                return matches[0]
        return None

    def ancestors(self, sha: str) -> set[str]:
        """``sha`` and every commit reachable from it."""
        seen: set[str] = set()
        todo = [sha]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.commits[current].parents)
        return seen

    def merge_base(self, one: str, other: str) -> str | None:
        """A best common ancestor: the newest one, which no other common ancestor can descend from."""
        common = self.ancestors(one) & self.ancestors(other)
        if not common:
            return None
        return max(common, key=lambda sha: self.commits[sha].seq)

    def only_in(self, head: str, base: str) -> list[Commit]:
        """Commits reachable from ``head`` but not from ``base``, oldest first (GitHub's compare order)."""
        excluded = self.ancestors(base)
        return sorted((self.commits[sha] for sha in self.ancestors(head) - excluded), key=lambda c: c.seq)

    def changed_files(self, old: str | None, new: str) -> list[tuple[str, str]]:
        """``(path, status)`` of the files that differ from ``old``'s tree to ``new``'s, sorted by path."""
        before = self.commits[old].tree if old else {}
        after = self.commits[new].tree
        changes = []
        for path in sorted(set(before) | set(after)):
            if path not in before:
                changes.append((path, "added"))
            elif path not in after:
                changes.append((path, "removed"))
            elif before[path] != after[path]:
                changes.append((path, "modified"))
        return changes

    def three_way(self, ours: str, theirs: str) -> tuple[Tree, list[str]]:
        """The merged tree of two commits, and the paths both sides changed differently (the conflicts)."""
        base_sha = self.merge_base(ours, theirs)
        base = self.commits[base_sha].tree if base_sha else {}
        mine, yours = self.commits[ours].tree, self.commits[theirs].tree
        merged: Tree = {}
        conflicts = []
        for path in sorted(set(base) | set(mine) | set(yours)):
            old, left, right = base.get(path), mine.get(path), yours.get(path)
            if left == right:
                result = left
            elif left == old:
                result = right
            elif right == old:
                result = left
            else:
                conflicts.append(path)
                continue
            if result is not None:
                merged[path] = result
        return merged, conflicts

    # ---- changing the graph ------------------------------------------------------------------------
    def add_commit(self, parents: tuple[str, ...], message: str, tree: Tree, author: Person, seq: int,
                   committer: Person | None = None) -> Commit:
        """Store a new commit; its sha is derived from its content and ``seq`` (unique and reproducible)."""
        digest = hashlib.sha1(json.dumps([seq, parents, message, tree, author.email], sort_keys=True).encode())
        commit = Commit(sha=digest.hexdigest(), parents=parents, message=message, author=author,
                        committer=committer or author, tree=dict(tree), seq=seq)
        self.commits[commit.sha] = commit
        return commit
