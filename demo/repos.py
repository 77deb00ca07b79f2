"""The demo's git repositories: bare "remotes" with a release history, made with the git CLI.

Each repository has a ``stable`` branch at last month's tag ``v2026.11`` and a ``main`` branch with a
month of work in conventional-commit style, including pull-request merges, so the release notes have
features, fixes and other changes to sort.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

PREVIOUS = "v2026.11"
AUTHORS = [("Alice Author", "alice@example.com"), ("Bob Builder", "bob@example.com"),
           ("Carol Coder", "carol@example.com")]
WORK = {
    "acme/api": ["feat(auth): API tokens for service accounts", "fix: 500 on empty search",
                 "perf: cache the project list", "docs: document pagination"],
    "acme/web": ["feat: release calendar page", "fix(login): keep the return URL", "chore: bump eslint"],
    "acme/db": ["feat!: drop the legacy audit table", "fix: index the releases by date"],
}


def git(cwd: Path, *args: str, author: tuple[str, str] = AUTHORS[0]) -> str:
    """Run git in ``cwd`` as ``author``; its output."""
    env = {**os.environ, "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
           "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def create(remotes: Path) -> list[str]:
    """Create the bare repositories under ``remotes/OWNER/NAME``; their names."""
    for repo, subjects in WORK.items():
        bare = remotes / repo
        bare.mkdir(parents=True)
        git(bare, "init", "--quiet", "--bare", "--initial-branch=main")
        with tempfile.TemporaryDirectory() as scratch:
            _history(Path(scratch), bare, repo, subjects)
    return list(WORK)


def _history(work: Path, bare: Path, repo: str, subjects: list[str]) -> None:
    git(work, "init", "--quiet", "--initial-branch=main")
    git(work, "remote", "add", "origin", str(bare))
    (work / "README.md").write_text(f"# {repo}\n")
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "chore: start")
    git(work, "tag", "-a", PREVIOUS, "-m", "Release 2026.11")
    git(work, "branch", "stable")
    for number, subject in enumerate(subjects, start=10):
        author = AUTHORS[number % len(AUTHORS)]
        branch = f"topic-{number}"
        git(work, "checkout", "--quiet", "-b", branch, "main")
        (work / f"change-{number}.txt").write_text(subject + "\n")
        git(work, "add", ".")
        git(work, "commit", "--quiet", "-m", subject, author=author)
        git(work, "checkout", "--quiet", "main")
        git(work, "merge", "--quiet", "--no-ff", branch, "-m",
            f"Merge pull request #{number} from {repo.split('/', maxsplit=1)[0]}/{branch}\n\n{subject}", author=author)
    git(work, "push", "--quiet", "origin", "main", "stable", PREVIOUS)
