"""Collect the changes of a local git repository between two refs with the git command-line tool.

The repositories are clones on the daemon's host (mirror clones under ``workdir`` keep every branch and
tag; ``fetch: true`` updates them first). ``--first-parent`` walks the main line only, so a pull request
merged with a merge commit is one change (titled by the pull request) rather than every commit of its
branch, and a squash-merged one is its single commit. Nothing here writes to a repository.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from participants.notes.model import Change, RepoRange, read_message
from participants.notes.params import RepoRef
from skynet import ParticipantError, RetryableError, Workitem

FIELD, RECORD = "\x1f", "\x1e"
LOG_FORMAT = "%H%x1f%P%x1f%an%x1f%s%x1f%b%x1e"
REMOTE = re.compile(r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/|[^@/]+@(?P<scp>[^:/]+):)"
                    r"(?P<path>[^\s]+?)(?:\.git)?/?$")


class RepositoryNotFound(ParticipantError):
    """A repository of the step is not a git repository on this host."""


class UnknownRef(ParticipantError):
    """A ``from`` or ``to`` ref names no commit in the repository."""


class GitFailed(ParticipantError):
    """A git command failed for a reason retrying will not change (its stderr is in the message)."""


class FetchFailed(RetryableError):
    """``git fetch`` failed: the remote is unreachable or refused, which is usually transient."""


class TooManyCommits(ParticipantError):
    """The range holds more commits than ``max_commits``: most likely a wrong ``from``."""


def web_url(remote: str) -> str | None:
    """The web page of a repository from its remote URL (credentials dropped), or None for a local remote."""
    match = REMOTE.match(remote.strip())
    if not match:
        return None
    host = match["host"] or match["scp"]
    return f"https://{host}/{match['path']}"


class LocalGit:
    """Reads ranges of local clones; one instance serves all workitems (it keeps no per-workitem state)."""

    def __init__(self, workdir: str, *, fetch: bool = False, timeout: float = 120.0,
                 max_commits: int = 10000) -> None:
        self.workdir = Path(workdir)
        self.fetch = fetch
        self.timeout = timeout
        self.max_commits = max_commits

    def path(self, ref: RepoRef) -> Path:
        """Where the repository is: an absolute path as given, else under the workdir."""
        return Path(ref.repo) if os.path.isabs(ref.repo) else self.workdir / ref.repo

    def collect(self, wi: Workitem, ref: RepoRef, from_ref: str, to_ref: str, *, tag_pattern: str,
                first_parent: bool) -> RepoRange:
        """The changes in ``from_ref..to_ref`` (``from_ref`` empty: since the previous matching tag)."""
        name, path = ref.label, self.path(ref)
        self._check_repository(name, path)
        if self.fetch:
            self._fetch(name, path)
        to_sha = self._resolve(name, path, to_ref, "to")
        if from_ref:
            start: str | None = from_ref
            from_sha: str | None = self._resolve(name, path, from_ref, "from")
        else:
            start, from_sha = self._previous_tag(path, to_sha, tag_pattern)
        exclude = [from_sha] if from_sha else []
        commits = int(self._git(name, path, "rev-list", "--count", *(f"^{sha}" for sha in exclude), to_sha).strip())
        if commits > self.max_commits:
            raise TooManyCommits(f"repo {name}: {start or 'the first commit'}..{to_ref} holds {commits} commits, "
                                 f"more than max_commits {self.max_commits}: is `from` right?")
        url = ref.url or self._remote_url(name, path)
        changes = self._changes(name, path, exclude, to_sha, url, first_parent=first_parent)
        compare = f"{url}/compare/{start}...{to_ref}" if url and start else None
        return RepoRange(name=name, from_ref=start, to_ref=to_ref, from_sha=from_sha, to_sha=to_sha,
                         commits=commits, url=url, compare_url=compare, changes=changes)

    # ---- the steps ---------------------------------------------------------------------------------------
    def _check_repository(self, name: str, path: Path) -> None:
        # A directory inside some other checkout would be answered by that checkout: insist on its top.
        if not path.is_dir():
            raise RepositoryNotFound(f"repo {name}: no such directory {path}")
        out = self._run(path, "rev-parse", "--is-bare-repository", "--absolute-git-dir")
        lines = out.stdout.splitlines() if out.returncode == 0 else []
        if lines[:1] == ["false"]:
            out = self._run(path, "rev-parse", "--show-toplevel")
            lines = ["", out.stdout.strip()] if out.returncode == 0 else []
        if len(lines) < 2 or Path(lines[1]).resolve() != path.resolve():
            raise RepositoryNotFound(f"repo {name}: {path} is not a git repository")

    def _fetch(self, name: str, path: Path) -> None:
        out = self._run(path, "fetch", "--prune", "--tags", "--quiet", "origin")
        if out.returncode != 0:
            raise FetchFailed(f"repo {name}: git fetch failed: {_last_line(out.stderr)}")

    def _resolve(self, name: str, path: Path, ref: str, role: str) -> str:
        out = self._run(path, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        if out.returncode != 0 or not out.stdout.strip():
            raise UnknownRef(f"repo {name}: unknown ref {ref!r} ({role}): no branch, tag or commit of that name")
        return out.stdout.strip()

    def _previous_tag(self, path: Path, to_sha: str, pattern: str) -> tuple[str | None, str | None]:
        """The nearest tag matching ``pattern`` below ``to_sha``; a tag on ``to_sha`` itself is this release."""
        for base in (to_sha, f"{to_sha}^"):
            out = self._run(path, "describe", "--tags", "--abbrev=0", f"--match={pattern}", "--end-of-options", base)
            if out.returncode != 0:
                return None, None  # no such tag (or no parent): the range starts at the first commit
            tag = out.stdout.strip()
            sha = self._run(path, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}").stdout.strip()
            if sha != to_sha:
                return tag, sha
        return None, None

    def _remote_url(self, name: str, path: Path) -> str | None:
        out = self._run(path, "config", "--get", "remote.origin.url")
        return web_url(out.stdout) if out.returncode == 0 else None

    def _changes(self, name: str, path: Path, exclude: list[str], tip: str, url: str | None, *,
                 first_parent: bool) -> list[Change]:
        """The changes reachable from ``tip`` but from none of ``exclude``, newest first.

        On the first-parent line a merge that is no pull request (``Merge branch 'hotfix'``, an integration
        branch merged into stable) stands for the work it brought in, so its branch is walked the same way.
        """
        walk = "--first-parent" if first_parent else "--no-merges"
        text = self._git(name, path, "log", walk, f"--format={LOG_FORMAT}", "--end-of-options",
                         *(f"^{sha}" for sha in exclude), tip)
        records = [record.lstrip("\n").split(FIELD) for record in text.split(RECORD) if record.strip()]
        merged = [parents.split()[1] for _, parents, *_ in records if len(parents.split()) > 1]
        branch_authors = self._authors(name, path, merged)
        changes: list[Change] = []
        for sha, parents, committer_author, subject, body in records:
            message, parent_shas, author = read_message(subject, body), parents.split(), committer_author
            if len(parent_shas) > 1 and message.number is None:
                for branch in parent_shas[1:]:
                    changes += self._changes(name, path, [*exclude, parent_shas[0]], branch, url,
                                             first_parent=first_parent)
                continue
            if message.number is not None and len(parent_shas) > 1:
                author = branch_authors.get(parent_shas[1], author)
            link = (f"{url}/pull/{message.number}" if message.number else f"{url}/commit/{sha}") if url else None
            changes.append(Change(repo=name, sha=sha, title=message.title, body=message.body, author=author,
                                  number=message.number, url=link))
        return changes

    def _authors(self, name: str, path: Path, shas: list[str]) -> dict[str, str]:
        """The author of each branch tip: a merge commit's author merged it, the branch's author wrote it."""
        if not shas:
            return {}
        text = self._git(name, path, "log", "--no-walk=unsorted", "--format=%H%x1f%an", *shas)
        pairs = (line.split(FIELD, 1) for line in text.splitlines() if FIELD in line)
        return {sha: author for sha, author in pairs}

    # ---- running git ---------------------------------------------------------------------------------------
    def _git(self, name: str, path: Path, *args: str) -> str:
        out = self._run(path, *args)
        if out.returncode != 0:
            raise GitFailed(f"repo {name}: git {args[0]} failed: {_last_line(out.stderr)}")
        return out.stdout

    def _run(self, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
        try:
            return subprocess.run(["git", "-c", "i18n.logOutputEncoding=UTF-8", "-C", str(path), *args],
                                  capture_output=True, text=True, encoding="utf-8", errors="replace",
                                  timeout=self.timeout, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RetryableError(f"git {args[0]} in {path} took longer than {self.timeout:g}s") from exc
        except FileNotFoundError as exc:
            raise ParticipantError("git is not installed on this host (not found on PATH)") from exc


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
