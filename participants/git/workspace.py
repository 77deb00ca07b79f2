"""The clones the git participant works in: one per repository under ``workdir/OWNER/NAME``.

The remote is the truth; a clone is a cache that may also hold work a process has not pushed yet (a branch,
a merge commit, a tag made by one step and pushed by a later one). So before a branch is read, the local
branch follows its remote-tracking branch: created from it when missing, fast-forwarded when behind, kept
when ahead (unpushed work), and refused when the two have diverged. Between steps HEAD is detached, so no
branch is checked out and any branch can be updated.

One step at a time works in a clone: an exclusive ``flock`` on ``OWNER/.NAME.lock`` serialises the threads
of one daemon and the daemons sharing a workdir. Holding it, a step first repairs what a killed one left
behind (a half-made clone, an unfinished merge, a stale ``index.lock``).
"""

from __future__ import annotations

import fcntl
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from participants.git import repos
from participants.git.command import GitRunner
from participants.git.config import GitConfig
from participants.git.errors import GitFailed, GitUnavailable, RefConflict, RefNotFound
from participants.git.params import is_ref_name
from skynet.errors import Cancelled

LOCK_POLL = 0.2


class Workspace:
    """The clones in the workdir, used by one workitem (its runner stops git when the workitem is cancelled)."""

    def __init__(self, config: GitConfig, git: GitRunner, cancelled: threading.Event | None = None) -> None:
        self.config = config
        self.git = git
        self.cancelled = cancelled or threading.Event()
        self.root = config.workdir_path

    def path(self, repo: str) -> Path:
        """Where ``repo``'s clone lives (``acme/api`` -> ``WORKDIR/acme/api``)."""
        return self.root / repo

    @contextmanager
    def clone(self, repo: str, *, fresh: bool = False) -> Iterator[Path]:
        """Lock ``repo``'s clone, make sure it exists and is fetched, and yield its path."""
        with self.locked(repo):
            self.ensure(repo, fresh=fresh)
            yield self.path(repo)

    @contextmanager
    def locked(self, repo: str) -> Iterator[None]:
        """Hold the clone's lock; waits (while not cancelled) up to the git timeout for another step to finish."""
        path = self.path(repo)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / f".{path.name}.lock", "a+b") as handle:
            deadline = time.monotonic() + self.git.timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self.cancelled.is_set():
                        raise Cancelled(f"cancelled while waiting for the clone of {repo}") from None
                    if time.monotonic() > deadline:
                        raise GitUnavailable(f"the clone of {repo} is busy with another step") from None
                    self.cancelled.wait(LOCK_POLL)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure(self, repo: str, *, fresh: bool = False) -> bool:
        """Clone ``repo`` when its clone is missing (or ``fresh``), else repair and fetch it; True if cloned.

        Call with the lock held. A clone is made next to its place and renamed when complete, so a clone cut
        short by a crash is never taken for a good one.
        """
        path, url = self.path(repo), self.config.remote_url(repo)
        if fresh or not (path / ".git").is_dir():
            for leftover in (path, path.with_name(f".{path.name}.cloning")):
                if leftover.exists():
                    shutil.rmtree(leftover)
            partial = path.with_name(f".{path.name}.cloning")
            self.git.run(None, "clone", "--quiet", "--no-checkout", "--", url, str(partial))
            self.git.run(partial, "checkout", "--quiet", "--detach")
            partial.rename(path)
            return True
        if self.git.run(path, "config", "--get", "remote.origin.url", check=False).stdout.strip() != url:
            self.git.run(path, "remote", "set-url", "origin", url)
        self.repair(path)
        self.git.run(path, "fetch", "--quiet", "--prune", "--tags", "origin")
        return False

    def repair(self, path: Path) -> None:
        """Undo what an interrupted step left: a stale index lock, an unfinished merge, a checked-out branch."""
        git_dir = path / ".git"
        (git_dir / "index.lock").unlink(missing_ok=True)  # we hold the clone's lock: no git runs here now
        if (git_dir / "MERGE_HEAD").exists():
            self.git.run(path, "merge", "--abort", check=False)
        self.git.run(path, "reset", "--quiet", "--hard")
        self.git.run(path, "checkout", "--quiet", "--detach")

    # ---- refs ----------------------------------------------------------------------------------------
    def branch_tip(self, path: Path, name: str) -> str | None:
        """The commit of local branch ``name`` after it followed ``origin/name`` (None when neither exists).

        Raises:
            RefConflict: the local branch holds commits the remote lacks and the remote moved on meanwhile.
        """
        if not is_ref_name(name):  # an expression such as stable~1 names no branch of its own
            return None
        local = repos.find(path, f"refs/heads/{name}", git=self.git)
        remote = repos.find(path, f"refs/remotes/origin/{name}", git=self.git)
        if remote is None or local == remote:
            return local
        if local is None or repos.is_ancestor(path, local, remote, git=self.git):
            self.git.run(path, "update-ref", f"refs/heads/{name}", remote, *([local] if local else []))
            return remote
        if repos.is_ancestor(path, remote, local, git=self.git):
            return local
        raise RefConflict(f"local branch {name} ({local[:12]}) and origin/{name} ({remote[:12]}) have diverged: "
                          f"the remote moved on while this clone held unpushed commits; push or drop them "
                          f"(fetch with fresh: true) and retry")

    def tag_commit(self, path: Path, tag: str) -> str | None:
        """The commit tag ``tag`` points to, or None when there is no such tag."""
        return repos.find(path, f"refs/tags/{tag}", git=self.git)

    def resolve(self, path: Path, ref: str) -> str:
        """The commit ``ref`` names: a branch (as :meth:`branch_tip` sees it), else a tag, else any revision.

        Raises:
            RefNotFound: it names nothing.
        """
        sha = self.branch_tip(path, ref) or self.tag_commit(path, ref) or repos.find(path, ref, git=self.git)
        if sha is None:
            raise RefNotFound(f"no branch, tag or commit named {ref!r}")
        return sha

    def check_name(self, path: Path, full_ref: str) -> None:
        """Refuse a name git itself would refuse (``git check-ref-format``)."""
        if self.git.run(path, "check-ref-format", full_ref, check=False).code != 0:
            raise GitFailed(f"{full_ref!r} is not a valid ref name")
