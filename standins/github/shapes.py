"""The JSON shapes of GitHub's REST v3 answers, for the objects the stand-in models.

Only the keys clients read are written, but every ``url`` is an absolute URL under the API root the request
came in on (``http://127.0.0.1:PORT`` or ``.../api/v3``): PyGithub follows those URLs for lazy objects and
pagination, and it refuses URLs of another host, port or path prefix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from standins.github.model import Commit, Person, PullRequest, Release, Repo

DOCS = "https://docs.github.com/rest"
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Urls:
    """The roots of one request: the API (``/api/v3`` for GHE-style clients) and the web pages."""

    api: str
    web: str

    def repo(self, repo: Repo) -> str:
        """The API URL of a repository."""
        return f"{self.api}/repos/{repo.full_name}"


def digest(*parts: object) -> str:
    """A stable 40-hex id for things the stand-in does not store (blob shas, user ids)."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()


def user(urls: Urls, login: str | None) -> JsonObject | None:
    """A user as it appears inside other objects (``None`` for a commit author without an account)."""
    if login is None:
        return None
    return {"login": login, "id": int(digest(login)[:7], 16), "type": "User", "site_admin": False,
            "url": f"{urls.api}/users/{login}", "html_url": f"{urls.web}/{login}"}


def repository(urls: Urls, repo: Repo) -> JsonObject:
    """``GET /repos/{owner}/{repo}``."""
    api = urls.repo(repo)
    return {
        "id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name, "full_name": repo.full_name,
        "owner": {**(user(urls, repo.owner) or {}), "type": "Organization"}, "private": True,
        "html_url": f"{urls.web}/{repo.full_name}", "url": api, "default_branch": repo.default_branch,
        "clone_url": f"{urls.web}/{repo.full_name}.git", "visibility": "private", "fork": False,
        "archived": False, "disabled": False, "permissions": {"admin": True, "push": True, "pull": True},
        "pulls_url": f"{api}/pulls{{/number}}", "releases_url": f"{api}/releases{{/id}}",
    }


def git_ref(urls: Urls, repo: Repo, ref: str, sha: str) -> JsonObject:
    """``GET /repos/{owner}/{repo}/git/ref/{ref}``: ``ref`` is the full name (``refs/heads/main``)."""
    return {"ref": ref, "node_id": f"REF_{sha[:12]}", "url": f"{urls.repo(repo)}/git/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{urls.repo(repo)}/git/commits/{sha}"}}


def _person(person: Person) -> JsonObject:
    return {"name": person.name, "email": person.email, "date": person.date}


def commit(urls: Urls, repo: Repo, item: Commit, logins: dict[str, str], *, files: bool = False) -> JsonObject:
    """A commit as ``GET /repos/{owner}/{repo}/commits/{ref}`` and compare's ``commits`` show it."""
    api = urls.repo(repo)
    shape: JsonObject = {
        "sha": item.sha, "node_id": f"C_{item.sha[:12]}", "url": f"{api}/commits/{item.sha}",
        "html_url": f"{urls.web}/{repo.full_name}/commit/{item.sha}",
        "comments_url": f"{api}/commits/{item.sha}/comments",
        "commit": {"url": f"{api}/git/commits/{item.sha}", "message": item.message,
                   "author": _person(item.author), "committer": _person(item.committer),
                   "tree": {"sha": item.tree_sha, "url": f"{api}/git/trees/{item.tree_sha}"},
                   "comment_count": 0},
        "author": user(urls, logins.get(item.author.email)),
        "committer": user(urls, logins.get(item.committer.email)),
        "parents": [{"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{urls.web}/{repo.full_name}/commit/{p}"}
                    for p in item.parents],
    }
    if files:
        changed = repo.changed_files(item.parents[0] if item.parents else None, item.sha)
        shape["files"] = file_list(repo, changed)
        shape["stats"] = {"total": len(changed), "additions": len(changed), "deletions": 0}
    return shape


def file_list(repo: Repo, changed: list[tuple[str, str]]) -> list[JsonObject]:
    """The ``files`` of a commit or a comparison (line counts are not modelled: one per changed file)."""
    return [{"sha": digest(repo.full_name, path), "filename": path, "status": status,
             "additions": 1 if status != "removed" else 0, "deletions": 1 if status != "added" else 0,
             "changes": 1} for path, status in changed]


def _branch_end(urls: Urls, repo: Repo, branch: str, sha: str) -> JsonObject:
    return {"label": f"{repo.owner}:{branch}", "ref": branch, "sha": sha, "user": user(urls, repo.owner),
            "repo": repository(urls, repo)}


def pull(urls: Urls, repo: Repo, item: PullRequest) -> JsonObject:
    """A pull request as ``GET /repos/{owner}/{repo}/pulls`` lists it."""
    api = urls.repo(repo)
    return {
        "id": item.id, "node_id": f"PR_{item.id}", "number": item.number, "state": item.state,
        "title": item.title, "body": item.body, "draft": item.draft, "locked": False,
        "url": f"{api}/pulls/{item.number}", "html_url": f"{urls.web}/{repo.full_name}/pull/{item.number}",
        "user": user(urls, item.user), "created_at": item.created_at, "updated_at": item.updated_at,
        "closed_at": item.merged_at, "merged_at": item.merged_at, "merge_commit_sha": item.merge_commit_sha,
        "merged": item.merged_at is not None,
        "head": _branch_end(urls, repo, item.head, repo.branches.get(item.head, "")),
        "base": _branch_end(urls, repo, item.base, repo.branches.get(item.base, "")),
    }


def release(urls: Urls, repo: Repo, item: Release) -> JsonObject:
    """A release as ``GET /repos/{owner}/{repo}/releases/tags/{tag}`` shows it."""
    api = urls.repo(repo)
    return {
        "id": item.id, "node_id": f"RE_{item.id}", "tag_name": item.tag_name,
        "target_commitish": item.target_commitish, "name": item.name, "body": item.body, "draft": item.draft,
        "prerelease": item.prerelease, "author": user(urls, item.author), "created_at": item.created_at,
        "published_at": item.published_at, "assets": [], "url": f"{api}/releases/{item.id}",
        "html_url": f"{urls.web}/{repo.full_name}/releases/tag/{item.tag_name}",
        "assets_url": f"{api}/releases/{item.id}/assets",
        "upload_url": f"{urls.api}/uploads/repos/{repo.full_name}/releases/{item.id}/assets{{?name,label}}",
        "tarball_url": f"{api}/tarball/{item.tag_name}", "zipball_url": f"{api}/zipball/{item.tag_name}",
    }


def error(status: int, message: str, errors: list[JsonObject] | None = None) -> JsonObject:
    """GitHub's error body: ``{"message", "documentation_url", "status"}`` (plus ``errors`` for 422s)."""
    body: JsonObject = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors:
        body["errors"] = errors
    return body
