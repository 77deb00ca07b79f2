"""The REST v3 endpoints of the GitHub stand-in: repositories, refs, commits, merges, compare, pulls, releases.

Each handler follows GitHub's documented behaviour for what the stand-in models: status codes (201 created,
204 nothing to merge, 404 with ``{"message": "Not Found"}``, 409 merge conflict, 422 validation failures
such as ``Reference already exists``), ``Link`` pagination with ``page``/``per_page``, and the JSON shapes
of :mod:`standins.github.shapes`.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from standins.github import shapes
from standins.github.model import PullRequest, Release, Repo, now
from standins.github.shapes import JsonObject, Urls
from standins.github.state import GitHubState

GHE_PREFIX = "/api/v3"
router = APIRouter()


class ApiError(Exception):
    """An error answer in GitHub's shape; raised by handlers, rendered by the app's exception handler."""

    def __init__(self, status: int, message: str, errors: list[JsonObject] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def not_found() -> ApiError:
    """GitHub's 404 for anything missing (and for what the token may not see)."""
    return ApiError(404, "Not Found")


def invalid(resource: str, field: str, code: str = "invalid", message: str | None = None) -> ApiError:
    """GitHub's ``422 Validation Failed`` with one entry in ``errors``."""
    entry: JsonObject = {"resource": resource, "field": field, "code": code}
    if message:
        entry["message"] = message
    return ApiError(422, "Validation Failed", [entry])


# ---- request helpers -------------------------------------------------------------------------------------
def state_of(request: Request) -> GitHubState:
    """The state the app serves."""
    state: GitHubState = request.app.state.github
    return state


def urls_of(request: Request) -> Urls:
    """The API root of this request (keeping a GHE-style ``/api/v3``) and the web root."""
    root = str(request.base_url).rstrip("/")
    api = root + GHE_PREFIX if request.url.path.startswith(GHE_PREFIX + "/") else root
    return Urls(api=api, web=root)


def repo_of(request: Request, owner: str, name: str) -> Repo:
    """The repository of the path, or 404."""
    repo = state_of(request).repos.get(f"{owner}/{name}")
    if repo is None:
        raise not_found()
    return repo


async def body_of(request: Request) -> JsonObject:
    """The JSON object a POST or PATCH carries (400 ``Problems parsing JSON`` otherwise)."""
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "Problems parsing JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Problems parsing JSON")
    return data


def required_text(body: JsonObject, key: str, resource: str) -> str:
    """A required string of a request body (422 ``missing_field`` otherwise)."""
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(resource, key, "missing_field")
    return value


def paginate(request: Request, items: list[Any], *, default: int = 30, maximum: int = 100
             ) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items`` and its ``Link`` header (``first``/``prev``/``next``/``last``, as GitHub sends)."""
    def number(key: str, fallback: int) -> int:
        try:
            return int(request.query_params.get(key, fallback))
        except ValueError:
            return fallback

    per_page = min(max(number("per_page", default), 1), maximum)
    page = max(number("page", 1), 1)
    last = max(math.ceil(len(items) / per_page), 1)
    rels = []
    if page > 1:
        rels += [("prev", page - 1), ("first", 1)]
    if page < last:
        rels += [("next", page + 1), ("last", last)]
    links = [f'<{request.url.include_query_params(page=p, per_page=per_page)}>; rel="{rel}"' for rel, p in rels]
    headers = {"Link": ", ".join(links)} if links else {}
    return items[(page - 1) * per_page: page * per_page], headers


def json_answer(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON answer."""
    return JSONResponse(content, status_code=status, headers=headers)


# ---- user, repository, refs, commits ---------------------------------------------------------------------
@router.get("/user")
async def get_user(request: Request) -> JSONResponse:
    """The authenticated user."""
    state = state_of(request)
    return json_answer({**(shapes.user(urls_of(request), state.login) or {}), "name": "boss automation"})


@router.get("/repos/{owner}/{name}")
async def get_repo(request: Request, owner: str, name: str) -> JSONResponse:
    """A repository."""
    with state_of(request).lock:
        return json_answer(shapes.repository(urls_of(request), repo_of(request, owner, name)))


@router.get("/repos/{owner}/{name}/git/ref/{ref:path}")
@router.get("/repos/{owner}/{name}/git/refs/{ref:path}")
async def get_ref(request: Request, owner: str, name: str, ref: str) -> JSONResponse:
    """One reference, ``heads/NAME`` or ``tags/NAME`` (exact match only)."""
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        kind, _, short = ref.partition("/")
        refs = {"heads": repo.branches, "tags": repo.tags}.get(kind, {})
        if short not in refs:
            raise not_found()
        return json_answer(shapes.git_ref(urls_of(request), repo, f"refs/{ref}", refs[short]))


@router.get("/repos/{owner}/{name}/git/matching-refs/{ref:path}")
async def matching_refs(request: Request, owner: str, name: str, ref: str) -> JSONResponse:
    """Every reference whose name starts with ``refs/{ref}`` (``tags/v``), sorted by name; ``[]`` for none."""
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        prefix = f"refs/{ref}"
        refs = [(f"refs/{kind}/{short}", sha) for kind, named in (("heads", repo.branches), ("tags", repo.tags))
                for short, sha in named.items()]
        return json_answer([shapes.git_ref(urls_of(request), repo, full, sha)
                            for full, sha in sorted(refs) if full.startswith(prefix)])


@router.post("/repos/{owner}/{name}/git/refs")
async def create_ref(request: Request, owner: str, name: str) -> JSONResponse:
    """Create ``refs/heads/NAME`` or ``refs/tags/NAME`` at an existing commit."""
    body = await body_of(request)
    ref, sha = required_text(body, "ref", "Reference"), required_text(body, "sha", "Reference")
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        _, kind, short = [*ref.split("/", 2), "", ""][:3]
        refs = {"heads": repo.branches, "tags": repo.tags}.get(kind)
        if not ref.startswith("refs/") or refs is None or not short or ".." in short or short.endswith("/"):
            raise ApiError(422, "Reference name is invalid")
        if sha not in repo.commits:
            raise ApiError(422, "Object does not exist")
        if short in refs:
            raise ApiError(422, "Reference already exists")
        refs[short] = sha
        return json_answer(shapes.git_ref(urls_of(request), repo, ref, sha), 201)


@router.get("/repos/{owner}/{name}/commits/{ref:path}")
async def get_commit(request: Request, owner: str, name: str, ref: str) -> JSONResponse:
    """A commit named by a sha, a branch or a tag."""
    state = state_of(request)
    with state.lock:
        repo = repo_of(request, owner, name)
        sha = repo.resolve(ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        return json_answer(shapes.commit(urls_of(request), repo, repo.commits[sha], state.logins, files=True))


# ---- merges and comparisons ------------------------------------------------------------------------------
@router.post("/repos/{owner}/{name}/merges")
async def merge(request: Request, owner: str, name: str) -> Response:
    """Merge ``head`` into branch ``base``: 201 with the merge commit, 204 when nothing is left to merge."""
    body = await body_of(request)
    base, head = required_text(body, "base", "Merge"), required_text(body, "head", "Merge")
    state = state_of(request)
    with state.lock:
        repo = repo_of(request, owner, name)
        if base not in repo.branches:
            raise ApiError(404, "Base does not exist")
        head_sha = repo.resolve(head)
        if head_sha is None:
            raise ApiError(404, "Head does not exist")
        base_sha = repo.branches[base]
        if head_sha in repo.ancestors(base_sha):
            return Response(status_code=204)
        tree, conflicts = repo.three_way(base_sha, head_sha)
        if conflicts:
            raise ApiError(409, "Merge conflict")
        message = body.get("commit_message") or f"Merge {head} into {base}"
        me = state.person(state.login, f"{state.login}@example.com")
        commit = repo.add_commit((base_sha, head_sha), str(message), tree, me, state.next_seq())
        repo.branches[base] = commit.sha
        return json_answer(shapes.commit(urls_of(request), repo, commit, state.logins), 201)


@router.get("/repos/{owner}/{name}/compare/{basehead:path}")
async def compare(request: Request, owner: str, name: str, basehead: str) -> JSONResponse:
    """Compare ``base...head``: status, ahead/behind counts, the commits (paginated, 250 a page) and files."""
    state = state_of(request)
    urls = urls_of(request)
    with state.lock:
        repo = repo_of(request, owner, name)
        base, dots, head = basehead.partition("...")
        base_sha, head_sha = repo.resolve(base), repo.resolve(head)
        if not dots or base_sha is None or head_sha is None:
            raise not_found()
        merge_base = repo.merge_base(base_sha, head_sha)
        if merge_base is None:
            raise ApiError(404, f"No common ancestor between {base} and {head}.")
        ahead, behind = repo.only_in(head_sha, base_sha), repo.only_in(base_sha, head_sha)
        status = ("identical" if not ahead and not behind else "ahead" if not behind
                  else "behind" if not ahead else "diverged")
        page, headers = paginate(request, ahead, default=250, maximum=1000)
        api = urls.repo(repo)
        return json_answer({
            "url": f"{api}/compare/{basehead}", "html_url": f"{urls.web}/{repo.full_name}/compare/{basehead}",
            "permalink_url": f"{urls.web}/{repo.full_name}/compare/{base_sha[:7]}...{head_sha[:7]}",
            "diff_url": f"{urls.web}/{repo.full_name}/compare/{basehead}.diff",
            "patch_url": f"{urls.web}/{repo.full_name}/compare/{basehead}.patch",
            "base_commit": shapes.commit(urls, repo, repo.commits[base_sha], state.logins),
            "merge_base_commit": shapes.commit(urls, repo, repo.commits[merge_base], state.logins),
            "status": status, "ahead_by": len(ahead), "behind_by": len(behind), "total_commits": len(ahead),
            "commits": [shapes.commit(urls, repo, c, state.logins) for c in page],
            "files": shapes.file_list(repo, repo.changed_files(merge_base, head_sha)),
        }, headers=headers)


# ---- pull requests ---------------------------------------------------------------------------------------
@router.get("/repos/{owner}/{name}/pulls")
async def list_pulls(request: Request, owner: str, name: str) -> JSONResponse:
    """Pull requests filtered by ``state`` (open), ``head`` (``owner:branch``) and ``base``; newest first."""
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        wanted = request.query_params.get("state", "open")
        head = request.query_params.get("head")
        base = request.query_params.get("base")
        found = [p for p in reversed(repo.pulls)
                 if wanted in ("all", p.state) and (head is None or head == f"{repo.owner}:{p.head}")
                 and (base is None or base == p.base)]
        page, headers = paginate(request, found)
        return json_answer([shapes.pull(urls_of(request), repo, p) for p in page], headers=headers)


@router.get("/repos/{owner}/{name}/pulls/{number}")
async def get_pull(request: Request, owner: str, name: str, number: int) -> JSONResponse:
    """One pull request."""
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        for item in repo.pulls:
            if item.number == number:
                return json_answer(shapes.pull(urls_of(request), repo, item))
        raise not_found()


@router.post("/repos/{owner}/{name}/pulls")
async def create_pull(request: Request, owner: str, name: str) -> JSONResponse:
    """Open a pull request between two branches of the repository."""
    body = await body_of(request)
    state = state_of(request)
    with state.lock:
        repo = repo_of(request, owner, name)
        head, base = required_text(body, "head", "PullRequest"), required_text(body, "base", "PullRequest")
        head_owner, _, head_branch = head.rpartition(":")
        if head_owner not in ("", repo.owner) or head_branch not in repo.branches:
            raise invalid("PullRequest", "head")
        if base not in repo.branches:
            raise invalid("PullRequest", "base")
        if any(p.state == "open" and (p.head, p.base) == (head_branch, base) for p in repo.pulls):
            raise invalid("PullRequest", "head", "custom",
                          f"A pull request already exists for {repo.owner}:{head_branch}.")
        if not repo.only_in(repo.branches[head_branch], repo.branches[base]):
            raise invalid("PullRequest", "head", "custom", f"No commits between {base} and {head_branch}")
        item = PullRequest(id=state.next_id(), number=len(repo.pulls) + 1,
                           title=required_text(body, "title", "PullRequest"), body=str(body.get("body") or ""),
                           head=head_branch, base=base, user=state.login, draft=bool(body.get("draft")))
        repo.pulls.append(item)
        return json_answer(shapes.pull(urls_of(request), repo, item), 201)


# ---- releases --------------------------------------------------------------------------------------------
@router.get("/repos/{owner}/{name}/releases")
async def list_releases(request: Request, owner: str, name: str) -> JSONResponse:
    """All releases, drafts included, newest first."""
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        page, headers = paginate(request, list(reversed(repo.releases)))
        return json_answer([shapes.release(urls_of(request), repo, r) for r in page], headers=headers)


@router.get("/repos/{owner}/{name}/releases/tags/{tag:path}")
async def release_by_tag(request: Request, owner: str, name: str, tag: str) -> JSONResponse:
    """The published release of a tag (drafts are not found this way, as on GitHub)."""
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        for item in repo.releases:
            if item.tag_name == tag and not item.draft:
                return json_answer(shapes.release(urls_of(request), repo, item))
        raise not_found()


@router.get("/repos/{owner}/{name}/releases/{release_id}")
async def get_release(request: Request, owner: str, name: str, release_id: int) -> JSONResponse:
    """One release by id."""
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        return json_answer(shapes.release(urls_of(request), repo, _release(repo, release_id)))


@router.post("/repos/{owner}/{name}/releases")
async def create_release(request: Request, owner: str, name: str) -> JSONResponse:
    """Create a release; publishing it creates its tag at ``target_commitish`` when the tag does not exist."""
    body = await body_of(request)
    state = state_of(request)
    with state.lock:
        repo = repo_of(request, owner, name)
        tag = required_text(body, "tag_name", "Release")
        if any(r.tag_name == tag for r in repo.releases):
            raise invalid("Release", "tag_name", "already_exists")
        item = Release(id=state.next_id(), tag_name=tag, name=str(body.get("name") or tag),
                       target_commitish=str(body.get("target_commitish") or repo.default_branch),
                       body=str(body.get("body") or ""), draft=bool(body.get("draft")),
                       prerelease=bool(body.get("prerelease")), author=state.login)
        if not item.draft:
            _publish(repo, item)
        repo.releases.append(item)
        return json_answer(shapes.release(urls_of(request), repo, item), 201)


@router.patch("/repos/{owner}/{name}/releases/{release_id}")
async def update_release(request: Request, owner: str, name: str, release_id: int) -> JSONResponse:
    """Change a release's name, body, draft or prerelease flag (publishing a draft creates its tag)."""
    body = await body_of(request)
    with state_of(request).lock:
        repo = repo_of(request, owner, name)
        item = _release(repo, release_id)
        for key in ("name", "body", "target_commitish", "tag_name"):
            if isinstance(body.get(key), str):
                setattr(item, key, body[key])
        for key in ("draft", "prerelease"):
            if isinstance(body.get(key), bool):
                setattr(item, key, body[key])
        if not item.draft and item.published_at is None:
            _publish(repo, item)
        return json_answer(shapes.release(urls_of(request), repo, item))


def _release(repo: Repo, release_id: int) -> Release:
    for item in repo.releases:
        if item.id == release_id:
            return item
    raise not_found()


def _publish(repo: Repo, item: Release) -> None:
    if item.tag_name not in repo.tags:
        sha = repo.resolve(item.target_commitish)
        if sha is None:
            raise invalid("Release", "target_commitish")
        repo.tags[item.tag_name] = sha
    item.published_at = now()
