"""The HTTP side of the Jira stand-in: REST API v2 routes, authentication, faults and held responses.

Routes follow Jira's documented REST API v2 (``/rest/api/2/...``, also under ``/rest/api/latest``) and the
Cloud search ``/rest/api/3/search/jql``; error bodies are Jira's ``{"errorMessages": [...], "errors":
{...}}`` with Jira's status codes. Only what boss's jira participant and the ``jira`` library call is here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from standins.jira import render
from standins.jira.jql import JqlError, parse
from standins.jira.state import ISSUE_TYPES, WORKFLOW, Comment, Issue, JiraState, Project, Version, now

PUBLIC = {("GET", "/rest/api/2/serverInfo"), ("GET", "/rest/api/latest/serverInfo")}
NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
CLOUD_NOT_AUTHENTICATED = "Client must be authenticated to access this resource."
SEARCH_REMOVED = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full "
                  "migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
HOLD_LIMIT = 60.0  # seconds a held response waits at most, so a forgotten hold cannot hang a test run


def create_app(state: JiraState | None = None) -> FastAPI:
    """A FastAPI app serving ``state`` (a fresh Server-flavoured one by default) as Jira would.

    The state is also reachable as ``app.state.jira`` for tests that only hold the app.
    """
    state = state or JiraState()
    app = FastAPI(title="Jira stand-in", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.jira = state

    @app.middleware("http")
    async def gatekeeper(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        method, path = request.method, request.url.path
        with state.lock:
            state.requests.append((method, path))
        fault = state.take_fault(method, path)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            return render.errors(fault.status, [fault.message], headers=headers)
        if (method, path) not in PUBLIC:
            user = authenticated_user(state, request)
            if user is None:
                return unauthorized(state, request)
            request.state.user = user
        response = await call_next(request)
        held = state.hold_for(method, path)
        if held is not None:
            held.reached.set()
            await anyio.to_thread.run_sync(held.released.wait, HOLD_LIMIT)
        return response

    v2 = _v2_routes(state)
    app.include_router(v2, prefix="/rest/api/2")
    app.include_router(v2, prefix="/rest/api/latest")
    app.include_router(_search_jql_routes(state), prefix="/rest/api/3")
    return app


# ---- authentication ------------------------------------------------------------------------------------
def authenticated_user(state: JiraState, request: Request) -> str | None:
    """The user the request authenticates as: basic auth (Cloud and Server), bearer PAT (Server only)."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and state.deployment == "Server" and credentials in state.tokens:
        return "boss-bot"
    if scheme.lower() == "basic":
        try:
            user, _, secret = base64.b64decode(credentials).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if state.users.get(user) == secret:
            return user
    return None


def unauthorized(state: JiraState, request: Request) -> Response:
    """Jira's 401: Cloud answers in plain text, Server/Data Center with an error body and Seraph's reason."""
    tried = "authorization" in request.headers
    if state.deployment == "Cloud":
        return PlainTextResponse(CLOUD_NOT_AUTHENTICATED, status_code=401,
                                 headers={"WWW-Authenticate": 'Basic realm="protected"'})
    headers = {"WWW-Authenticate": 'OAuth realm="jira-standin"'}
    if tried:
        headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
    return render.errors(401, [NOT_AUTHENTICATED], headers=headers)


# ---- helpers ---------------------------------------------------------------------------------------------
def base_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def body_of(request: Request) -> dict[str, Any] | JSONResponse:
    """The JSON object sent, or Jira's 400 for a body that is not one."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        return render.errors(400, [f"Unexpected character in the request body: {exc}"])
    if not isinstance(body, dict):
        return render.errors(400, ["Can not deserialize instance of the request out of a non-object value"])
    return body


def project_missing(key: str) -> JSONResponse:
    return render.errors(404, [f"No project could be found with key '{key}'."])


def valid_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def page_size(state: JiraState, raw: Any, default: int = 50) -> int:
    """``maxResults`` as Jira applies it: the default when absent, never more than the server's cap."""
    try:
        wanted = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        wanted = default
    return max(0, min(wanted, state.max_results))


def search_params(request: Request, body: dict[str, Any] | None) -> dict[str, Any]:
    """The search parameters of a GET (query string) or POST (JSON body) search."""
    if body is not None:
        fields = body.get("fields")
        listed = fields if isinstance(fields, list) else [fields] if isinstance(fields, str) else []
        return {**body, "fields": render.split_fields([str(f) for f in listed])}
    query = request.query_params
    return {"jql": query.get("jql", ""), "startAt": query.get("startAt"), "maxResults": query.get("maxResults"),
            "nextPageToken": query.get("nextPageToken"), "fields": render.split_fields(query.getlist("fields"))}


# ---- /rest/api/2 -----------------------------------------------------------------------------------------
def _v2_routes(state: JiraState) -> APIRouter:
    router = APIRouter()
    _meta_routes(router, state)
    _version_routes(router, state)
    _issue_routes(router, state)
    _search_routes(router, state)
    _comment_routes(router, state)
    return router


def _meta_routes(router: APIRouter, state: JiraState) -> None:
    @router.get("/serverInfo")
    async def server_info(request: Request) -> dict[str, Any]:
        cloud = state.deployment == "Cloud"
        numbers = [1001, 0, 0] if cloud else [9, 12, 0]
        return {"baseUrl": base_of(request), "version": ".".join(map(str, numbers)), "versionNumbers": numbers,
                "deploymentType": state.deployment, "buildNumber": 100000 if cloud else 912000,
                "serverTitle": "Jira stand-in"}

    @router.get("/myself")
    async def myself(request: Request) -> dict[str, Any]:
        user = request.state.user
        return {"self": f"{base_of(request)}/rest/api/2/user?username={user}", "name": user, "key": user,
                "emailAddress": user if "@" in user else f"{user}@example.com", "displayName": user,
                "active": True}

    @router.get("/field")
    async def fields() -> list[dict[str, Any]]:
        return render.field_list()

    @router.get("/project/{key}")
    async def project(key: str, request: Request) -> Response:
        found = state.project(key)
        if found is None:
            return project_missing(key)
        base = base_of(request)
        types = [{"self": f"{base}/rest/api/2/issuetype/{tid}", "id": tid, "name": name, "subtask": False}
                 for name, tid in ISSUE_TYPES.items()]
        return JSONResponse({"self": f"{base}/rest/api/2/project/{found.id}", "id": str(found.id),
                             "key": found.key, "name": found.name, "issueTypes": types})


def _version_routes(router: APIRouter, state: JiraState) -> None:
    @router.get("/project/{key}/versions")
    async def project_versions(key: str, request: Request) -> Response:
        found = state.project(key)
        if found is None:
            return project_missing(key)
        base = base_of(request)
        return JSONResponse([render.version_json(v, base, state) for v in state.versions_of(found.key)])

    @router.post("/version")
    async def create_version(request: Request) -> Response:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        return _create_version(state, body, base_of(request))

    @router.get("/version/{vid}")
    async def get_version(vid: str, request: Request) -> Response:
        version = state.versions.get(int(vid)) if vid.isdigit() else None
        if version is None:
            return render.errors(404, [f"Could not find version for id '{vid}'"])
        return JSONResponse(render.version_json(version, base_of(request), state))

    @router.put("/version/{vid}")
    async def update_version(vid: str, request: Request) -> Response:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        version = state.versions.get(int(vid)) if vid.isdigit() else None
        if version is None:
            return render.errors(404, [f"Could not find version for id '{vid}'"])
        return _update_version(state, version, body, base_of(request))


def _search_routes(router: APIRouter, state: JiraState) -> None:
    @router.api_route("/search", methods=["GET", "POST"])
    async def search(request: Request) -> Response:
        if state.deployment == "Cloud":
            return render.errors(410, [SEARCH_REMOVED])
        body = await body_of(request) if request.method == "POST" else None
        if isinstance(body, JSONResponse):
            return body
        return _search_offset(state, search_params(request, body), base_of(request))

    router.add_api_route("/search/jql", _search_jql_handler(state), methods=["GET", "POST"])


def _issue_routes(router: APIRouter, state: JiraState) -> None:
    @router.get("/issue/{key}")
    async def get_issue(key: str, request: Request) -> Response:
        issue = state.issue(key)
        if issue is None:
            return render.errors(404, [ISSUE_NOT_FOUND])
        wanted = render.wanted_fields(render.split_fields(request.query_params.getlist("fields")),
                                      tuple(f for f, _, _ in render.SYSTEM_FIELDS if f != "issuekey"))
        return JSONResponse(render.issue_json(issue, base_of(request), state, wanted))

    @router.post("/issue")
    async def create_issue(request: Request) -> Response:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        return _create_issue(state, body, base_of(request))

    @router.get("/issue/{key}/transitions")
    async def transitions(key: str, request: Request) -> Response:
        issue = state.issue(key)
        if issue is None:
            return render.errors(404, [ISSUE_NOT_FOUND])
        base = base_of(request)
        listed = [{"id": tid, "name": name, "to": render.status_json(target, base), "hasScreen": False,
                   "isGlobal": False, "isInitial": False, "isConditional": False}
                  for tid, name, target in WORKFLOW[issue.status]]
        return JSONResponse({"expand": "transitions", "transitions": listed})

    @router.post("/issue/{key}/transitions")
    async def do_transition(key: str, request: Request) -> Response:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        issue = state.issue(key)
        if issue is None:
            return render.errors(404, [ISSUE_NOT_FOUND])
        return _transition(state, issue, body)


def _comment_routes(router: APIRouter, state: JiraState) -> None:
    @router.get("/issue/{key}/comment")
    async def comments(key: str, request: Request) -> Response:
        issue = state.issue(key)
        if issue is None:
            return render.errors(404, [ISSUE_NOT_FOUND])
        query = request.query_params
        ordered = sorted(issue.comments, key=lambda c: c.id, reverse=query.get("orderBy") == "-created")
        start = int(query.get("startAt") or 0)
        size = page_size(state, query.get("maxResults"), default=state.max_results)
        base = base_of(request)
        return JSONResponse({"startAt": start, "maxResults": size, "total": len(ordered),
                             "comments": [render.comment_json(issue, c, base) for c in ordered[start:start + size]]})

    @router.post("/issue/{key}/comment")
    async def add_comment(key: str, request: Request) -> Response:
        body = await body_of(request)
        if isinstance(body, JSONResponse):
            return body
        issue = state.issue(key)
        if issue is None:
            return render.errors(404, [ISSUE_NOT_FOUND])
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            return render.errors(400, fields={"comment": "Comment body can not be empty!"})
        with state.lock:
            comment = Comment(id=state.next_id(), body=text, author=request.state.user)
            issue.comments.append(comment)
        return JSONResponse(render.comment_json(issue, comment, base_of(request)), status_code=201)


def _search_jql_routes(state: JiraState) -> APIRouter:
    router = APIRouter()
    router.add_api_route("/search/jql", _search_jql_handler(state), methods=["GET", "POST"])
    return router


def _search_jql_handler(state: JiraState) -> Callable[[Request], Awaitable[Response]]:
    async def search_jql(request: Request) -> Response:
        if state.deployment != "Cloud":
            return render.errors(404, ["null for uri: " + str(request.url)])
        body = await body_of(request) if request.method == "POST" else None
        if isinstance(body, JSONResponse):
            return body
        return _search_token(state, search_params(request, body), base_of(request))

    return search_jql


# ---- the work behind the routes ----------------------------------------------------------------------------
def _create_version(state: JiraState, body: dict[str, Any], base: str) -> Response:
    project: Project | None = None
    if body.get("project") is not None:
        project = state.project(str(body["project"]))
        if project is None:
            return project_missing(str(body["project"]))
    elif body.get("projectId") is not None:
        project = state.project(str(body["projectId"]))
        if project is None:
            return render.errors(404, [f"No project could be found with id '{body['projectId']}'."])
    if project is None:
        return render.errors(400, fields={"project": "Project must be specified to create a version."})
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        return render.errors(400, fields={"name": "You must specify a valid version name"})
    for key in ("releaseDate", "startDate"):
        if body.get(key) is not None and not valid_date(body[key]):
            return render.errors(400, fields={key: "Please enter the date in the following format: yyyy-MM-dd"})
    with state.lock:
        if state.version(project.key, name) is not None:
            return render.errors(400, fields={"name": "A version with this name already exists in this project."})
        version = state.add_version(project.key, name.strip(), description=body.get("description"),
                                    released=bool(body.get("released", False)),
                                    archived=bool(body.get("archived", False)),
                                    release_date=body.get("releaseDate"), start_date=body.get("startDate"))
    return JSONResponse(render.version_json(version, base, state), status_code=201)


def _update_version(state: JiraState, version: Version, body: dict[str, Any], base: str) -> Response:
    if body.get("releaseDate") is not None and not valid_date(body["releaseDate"]):
        return render.errors(400, fields={"releaseDate": "Please enter the date in the following format: yyyy-MM-dd"})
    with state.lock:
        name = body.get("name")
        if isinstance(name, str) and name.lower() != version.name.lower():
            if state.version(version.project, name) is not None:
                return render.errors(400, fields={"name": "A version with this name already exists in this project."})
            version.name = name
        for key, attribute in (("description", "description"), ("releaseDate", "release_date"),
                               ("startDate", "start_date")):
            if key in body:
                setattr(version, attribute, body[key])
        for key in ("released", "archived"):
            if key in body:
                setattr(version, key, bool(body[key]))
    return JSONResponse(render.version_json(version, base, state))


def _run_query(state: JiraState, jql: str, *, bounded: bool) -> list[Issue] | JSONResponse:
    try:
        query = parse(jql)
        if bounded and not query.clauses:
            raise JqlError("Unbounded JQL queries are not allowed here. Please add a search restriction to your "
                           "query.")
        return query.run(state)
    except JqlError as exc:
        return render.errors(400, [str(exc)])


def _search_offset(state: JiraState, params: dict[str, Any], base: str) -> Response:
    """Server/Data Center search: ``startAt`` + ``maxResults`` (capped) + ``total``."""
    found = _run_query(state, str(params.get("jql") or ""), bounded=False)
    if isinstance(found, JSONResponse):
        return found
    start = max(0, int(params.get("startAt") or 0))
    size = page_size(state, params.get("maxResults"))
    wanted = render.wanted_fields(params["fields"], render.NAVIGABLE)
    with state.lock:
        issues = [render.issue_json(i, base, state, wanted) for i in found[start:start + size]]
    return JSONResponse({"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(found),
                         "issues": issues})


def _token(jql: str, offset: int) -> str:
    digest = hashlib.sha256(jql.encode()).hexdigest()[:16]
    return base64.urlsafe_b64encode(json.dumps({"q": digest, "o": offset}).encode()).decode()


def _offset_of(token: str, jql: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["q"] == hashlib.sha256(jql.encode()).hexdigest()[:16]:
            return int(data["o"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    return None


def _search_token(state: JiraState, params: dict[str, Any], base: str) -> Response:
    """Cloud's enhanced search: ``nextPageToken`` pages, no total, only ids unless ``fields`` asks for more."""
    jql = str(params.get("jql") or "")
    found = _run_query(state, jql, bounded=True)
    if isinstance(found, JSONResponse):
        return found
    start = 0
    if params.get("nextPageToken"):
        offset = _offset_of(str(params["nextPageToken"]), jql)
        if offset is None:
            return render.errors(400, ["The provided next page token is invalid or expired."])
        start = offset
    size = page_size(state, params.get("maxResults"))
    wanted = render.wanted_fields(params["fields"], ())
    with state.lock:
        issues = [render.issue_json(i, base, state, wanted) for i in found[start:start + size]]
    body: dict[str, Any] = {"issues": issues, "isLast": start + size >= len(found)}
    if not body["isLast"]:
        body["nextPageToken"] = _token(jql, start + size)
    return JSONResponse(body)


def _reference(value: Any, *keys: str) -> str | None:
    """``{"key": "REL"}`` / ``{"id": "10001"}`` / ``{"name": "Task"}``: the first of ``keys`` present."""
    if isinstance(value, dict):
        for key in keys:
            if value.get(key) is not None:
                return str(value[key])
    return None


def _create_issue(state: JiraState, body: dict[str, Any], base: str) -> Response:
    fields = body.get("fields")
    if not isinstance(fields, dict):
        return render.errors(400, ["Issue fields are required (\"fields\": {...})."])
    problems: dict[str, str] = {}
    project_ref = _reference(fields.get("project"), "key", "id")
    project = state.project(project_ref) if project_ref else None
    if project is None:
        problems["project"] = "Specify a valid project ID or key"
    type_ref = _reference(fields.get("issuetype"), "name", "id")
    by_id = {tid: name for name, tid in ISSUE_TYPES.items()}
    issuetype = type_ref if type_ref in ISSUE_TYPES else by_id.get(type_ref or "")
    if issuetype is None:
        problems["issuetype"] = "Specify an issue type" if type_ref is None else "Specify a valid issue type"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        problems["summary"] = "You must specify a summary of the issue."
    labels = fields.get("labels") or []
    if not isinstance(labels, list) or any(not isinstance(x, str) or " " in x for x in labels):
        problems["labels"] = "The label contains spaces which is invalid."
    if problems or project is None or issuetype is None or not isinstance(summary, str):
        return render.errors(400, fields=problems)
    description = fields.get("description")
    with state.lock:
        issue = state.add_issue(project.key, summary, issuetype=issuetype, labels=labels,
                                description=description if isinstance(description, str) else None)
    return JSONResponse({"id": str(issue.id), "key": issue.key, "self": f"{base}/rest/api/2/issue/{issue.id}"},
                        status_code=201)


def _transition(state: JiraState, issue: Issue, body: dict[str, Any]) -> Response:
    wanted = _reference(body.get("transition"), "id")
    if wanted is None:
        return render.errors(400, ["Missing 'transition' identifier"])
    with state.lock:
        for tid, _, target in WORKFLOW[issue.status]:
            if tid == wanted:
                issue.status = target
                issue.updated = now()
                return Response(status_code=204)
    return render.errors(400, [f"Transition id '{wanted}' is not valid for this issue."])
