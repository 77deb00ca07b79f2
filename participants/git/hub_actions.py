"""The GitHub actions, one repository at a time: branch, merge, pull request, release and compare.

Each looks before it acts so that a re-run after a crash finds its own work: the branch that exists on
the right line of history, the merge GitHub answers 204 to, the open pull request for the same head and
base, the release of the tag (brought up to date when its notes changed).
"""

from __future__ import annotations

from typing import Any

from github import GithubException
from github.GithubObject import NotSet
from github.GitRelease import GitRelease
from github.Repository import Repository

from participants.git import params as p
from participants.git.errors import MergeConflict, RefConflict, RefNotFound
from participants.git.hub import Hub, github_message
from participants.git.repos import pull_request_numbers

Result = dict[str, Any]


def gh_branch(hub: Hub, name: str, params: p.GhBranch) -> Result:
    """Create the branch at ``from``; fine when it exists on ``from``'s line of history."""
    with hub.errors():
        repo = hub.repo(name)
        commit = _commit_sha(repo, params.from_)
        existing = _branch_sha(repo, params.branch)
        created = False
        if existing is None:
            try:
                repo.create_git_ref(f"refs/heads/{params.branch}", commit)
                created = True
            except GithubException as exc:
                if exc.status != 422 or "already exists" not in github_message(exc):
                    raise
                existing = _branch_sha(repo, params.branch)  # made meanwhile by a duplicate delivery
        if existing is not None and existing != commit:
            status = repo.compare(existing, commit).status
            if status not in ("ahead", "behind", "identical"):
                raise RefConflict(f"branch {params.branch} exists at {existing[:12]}, which is not on the history "
                                  f"of {params.from_} ({commit[:12]})", detail={"existing": existing})
        return {"branch": params.branch, "sha": existing or commit, "created": created}


def _commit_sha(repo: Repository, ref: str) -> str:
    try:
        return repo.get_commit(ref).sha
    except GithubException as exc:
        if exc.status in (404, 422):
            raise RefNotFound(f"GitHub has no branch, tag or commit {ref!r}: {github_message(exc)}") from exc
        raise


def _branch_sha(repo: Repository, branch: str) -> str | None:
    try:
        return repo.get_git_ref(f"heads/{branch}").object.sha
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise


def gh_merge(hub: Hub, name: str, params: p.GhMerge) -> Result:
    """Merge ``head`` into ``base`` with GitHub's merges API (204, already merged, is fine)."""
    with hub.errors():
        repo = hub.repo(name)
        try:
            commit = repo.merge(params.base, params.head, params.message or NotSet)
        except GithubException as exc:
            if exc.status == 409:
                files = _changed_on_both_sides(repo, params.base, params.head)
                listed = f": files changed on both sides: {', '.join(files)}" if files else ""
                raise MergeConflict(f"GitHub: {github_message(exc)} merging {params.head} into {params.base}{listed}",
                                    detail={"files": files}) from exc
            if exc.status == 404:
                raise RefNotFound(f"GitHub: {github_message(exc)} ({params.base} <- {params.head})") from exc
            raise
        if commit is None:
            return {"merged": False, "sha": _branch_sha(repo, params.base)}
        return {"merged": True, "sha": commit.sha}


def _changed_on_both_sides(repo: Repository, base: str, head: str) -> list[str]:
    """The files both branches changed since they parted: where GitHub's conflict must be (best effort)."""
    try:
        theirs = {f.filename for f in repo.compare(base, head).files}
        ours = {f.filename for f in repo.compare(head, base).files}
    except GithubException:
        return []
    return sorted(theirs & ours)


def pull_request(hub: Hub, name: str, params: p.PullRequest) -> Result:
    """Open the pull request unless one is open for the same head and base."""
    with hub.errors():
        repo = hub.repo(name)
        label = params.head if ":" in params.head else f"{repo.owner.login}:{params.head}"
        for pull in repo.get_pulls(state="open", base=params.base, head=label):
            return {"number": pull.number, "url": pull.html_url, "created": False}
        try:
            pull = repo.create_pull(base=params.base, head=params.head, title=params.title, body=params.body,
                                    draft=params.draft)
        except GithubException as exc:
            if exc.status == 422 and "already exists" in github_message(exc):
                for pull in repo.get_pulls(state="open", base=params.base, head=label):
                    return {"number": pull.number, "url": pull.html_url, "created": False}
            raise
        return {"number": pull.number, "url": pull.html_url, "created": True}


def release(hub: Hub, name: str, params: p.Release) -> Result:
    """Create the release of ``tag``, or update its name, notes and flags when they differ."""
    body, title = params.notes_for(name), params.name or params.tag
    with hub.errors():
        repo = hub.repo(name)
        existing = _find_release(repo, params.tag, drafts=params.draft)
        if existing is None:
            try:
                made = repo.create_git_release(params.tag, name=title, message=body, draft=params.draft,
                                               prerelease=params.prerelease,
                                               target_commitish=params.target or NotSet)
                return _release_result(made, created=True, updated=False)
            except GithubException as exc:
                if exc.status != 422 or "already_exists" not in str(exc.data):
                    raise
                existing = _find_release(repo, params.tag, drafts=True)  # a draft, or made meanwhile
                if existing is None:
                    raise
        wanted = (title, body, params.draft, params.prerelease)
        if (existing.name, existing.body or "", existing.draft, existing.prerelease) != wanted:
            existing = existing.update_release(name=title, message=body, draft=params.draft,
                                               prerelease=params.prerelease)
            return _release_result(existing, created=False, updated=True)
        return _release_result(existing, created=False, updated=False)


def _find_release(repo: Repository, tag: str, *, drafts: bool) -> GitRelease | None:
    """The release of ``tag``; drafts have no tag yet, so they are only found in the list of releases."""
    try:
        return repo.get_release(tag)
    except GithubException as exc:
        if exc.status != 404:
            raise
    if drafts:
        for candidate in repo.get_releases():
            if candidate.tag_name == tag:
                return candidate
    return None


def _release_result(item: GitRelease, *, created: bool, updated: bool) -> Result:
    return {"id": item.id, "tag": item.tag_name, "url": item.html_url, "draft": item.draft,
            "created": created, "updated": updated}


def compare(hub: Hub, name: str, params: p.Compare) -> Result:
    """The commits ``head`` has and ``base`` lacks (oldest first), and the pull requests they merged."""
    with hub.errors():
        repo = hub.repo(name)
        try:
            comparison = repo.compare(params.base, params.head)
            status = comparison.status
        except GithubException as exc:
            if exc.status == 404:
                raise RefNotFound(f"GitHub cannot compare {params.base}...{params.head}: "
                                  f"{github_message(exc)}") from exc
            raise
        commits: list[dict[str, Any]] = []
        for item in comparison.commits:
            if len(commits) >= params.limit:
                break
            author = item.commit.author
            subject = item.commit.message.split("\n", 1)[0]
            commits.append({"sha": item.sha, "subject": subject, "message": item.commit.message,
                            "author": author.name, "email": author.email, "date": author.date.isoformat(),
                            "login": item.author.login if item.author else None, "url": item.html_url,
                            "pull_requests": list(pull_request_numbers(subject))})
        pulls = sorted({number for c in commits for number in pull_request_numbers(c["subject"])})
        return {"status": status, "ahead_by": comparison.ahead_by, "behind_by": comparison.behind_by,
                "total_commits": comparison.total_commits, "commits": commits, "pull_requests": pulls,
                "truncated": comparison.total_commits > len(commits), "url": comparison.html_url}
