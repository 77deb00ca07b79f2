"""Real git repositories for the notes participant's tests, built with the git CLI in a temporary directory.

``GitRepo.merge_pr`` makes the merge commit GitHub makes when a pull request is merged ("Merge pull
request #N from owner/branch", the title on the first line of the body), so the tests read the same
history a clone of a GitHub repository has.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitRepo:
    """A repository with a main branch; each commit gets a fresh file so merges never conflict."""

    def __init__(self, path: Path, *, remote: str | None = None) -> None:
        self.path = path
        self.count = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")
        if remote:
            self.git("remote", "add", "origin", remote)

    @classmethod
    def open(cls, path: Path, count: int = 1000) -> GitRepo:
        """An existing repository (``count`` keeps its new timestamps after those it has)."""
        repo = cls.__new__(cls)
        repo.path, repo.count = path, count
        return repo

    def git(self, *args: str, author: str = "Release Bot") -> str:
        self.count += 1
        stamp = f"2026-01-01T00:{self.count // 60:02d}:{self.count % 60:02d}+00:00"
        email = author.lower().replace(" ", ".") + "@example.com"
        env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": author,
               "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
               "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        done = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, text=True, env=env,
                              check=False)
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    def commit(self, message: str, *, author: str = "Alice Author") -> str:
        """Commit a new file with ``message`` on the current branch; its sha."""
        name = f"file{self.count}.txt"
        (self.path / name).write_text(message + "\n")
        self.git("add", name)
        self.git("commit", "--quiet", "-m", message, author=author)
        return self.git("rev-parse", "HEAD")

    def merge_pr(self, number: int, title: str, *commits: str, author: str = "Bob Builder",
                 merger: str = "Mona Maintainer") -> str:
        """A branch with ``commits`` (default: one titled ``title``) merged into main like GitHub does."""
        branch = f"pr-{number}"
        self.git("checkout", "--quiet", "-b", branch, "main")
        for message in commits or (title,):
            self.commit(message, author=author)
        self.git("checkout", "--quiet", "main")
        self.git("merge", "--quiet", "--no-ff", branch, "-m", f"Merge pull request #{number} from acme/{branch}",
                 "-m", title, author=merger)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, ref: str = "HEAD") -> None:
        self.git("tag", "-a", name, ref, "-m", f"release {name}")

    def branch(self, name: str, ref: str = "HEAD") -> None:
        self.git("branch", name, ref)
