"""The HTTP face of the Jenkins stand-in: Jenkins' remote API paths, auth, crumbs and error pages.

Jenkins resolves URLs by walking objects (Stapler): ``/job/a/job/b/7/api/json`` is folder ``a``, job
``b``, build 7, its JSON API. The stand-in walks its state the same way in :func:`route` instead of
declaring one FastAPI route per shape, so folder paths of any depth work.

What it answers as Jenkins does (2.4xx with the default security realm and CSRF protection):

- Basic auth with a user's API token or password; a wrong one is ``401`` with Jetty's error page
  (``Invalid password/token for user: NAME``); no credentials is ``403`` "Authentication required".
- A POST authenticated by *password* must carry the crumb from ``/crumbIssuer/api/json`` in the header it
  names (``Jenkins-Crumb``), for the web session whose ``JSESSIONID.*`` cookie it sends; else ``403 No
  valid crumb was included in the request``. API-token requests need no crumb and get no session.
- ``POST /job/NAME/buildWithParameters`` (``/build`` for a job without parameters) answers ``201`` with
  ``Location: .../queue/item/N/``; parameters the job does not define are ignored, as Jenkins does.
- ``/queue/item/N/api/json`` shows ``executable`` once the build started, ``cancelled: true`` after
  ``POST /queue/cancelItem?id=N``; ``POST /job/NAME/N/stop`` aborts a build (``302`` to the build).
- ``tree=`` is honoured (see :mod:`standins.jenkins.tree`); unknown objects are ``404``.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from fastapi import FastAPI, Request, Response

from standins.jenkins import render
from standins.jenkins.state import Build, JenkinsState, Logged
from standins.jenkins.tree import TreeError, parse, prune

COOKIE = "JSESSIONID.5f3e9a1c"
CRUMB_FIELD = "Jenkins-Crumb"
VERSION = "2.462.3"
PERMALINKS = ("lastBuild", "lastCompletedBuild", "lastSuccessfulBuild", "lastFailedBuild",
              "lastStableBuild", "lastUnstableBuild", "lastUnsuccessfulBuild")


class Answer(Exception):
    """A response decided deep inside routing (an error page, a redirect)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class Call:
    """One request as routing needs it."""

    method: str
    segments: list[str]
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    base: str
    user: str
    via: str  # "token" or "password"
    session: str | None


def error_page(status: int, message: str, uri: str) -> Response:
    """Jetty's error page, which is what Jenkins sends for ``sendError`` and ``HttpResponses.error``."""
    text = html.escape(message)
    body = (f'<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
            f"<title>Error {status} {text}</title>\n</head>\n<body><h2>HTTP ERROR {status} {text}</h2>\n"
            f"<table>\n<tr><th>URI:</th><td>{html.escape(uri)}</td></tr>\n<tr><th>STATUS:</th><td>{status}</td></tr>\n"
            f"<tr><th>MESSAGE:</th><td>{text}</td></tr>\n<tr><th>SERVLET:</th><td>Stapler</td></tr>\n</table>\n"
            f'<hr/><a href="https://eclipse.org/jetty">Powered by Jetty:// 10.0.20</a><hr/>\n</body>\n</html>\n')
    return Response(body, status_code=status, media_type="text/html;charset=utf-8")


def _anonymous_refused(uri: str) -> Response:
    target = f"/login?from={uri}"
    body = (f"<html><head><meta http-equiv='refresh' content='1;url={target}'/><script>window.location.replace("
            f"'{target}');</script></head><body style='background-color:white; color:white;'>\n\n\n"
            "Authentication required\n<!--\n-->\n\n</body></html>\n")
    return Response(body, status_code=403, media_type="text/html;charset=utf-8",
                    headers={"X-You-Are-Authenticated-As": "anonymous", "X-Required-Permission":
                             "hudson.model.Hudson.Read"})


def _json(data: Any, call: Call) -> Response:
    tree = call.query.get("tree", [None])[-1]
    if tree:
        try:
            data = prune(data, parse(tree))
        except TreeError as exc:
            raise Answer(error_page(400, str(exc), "/" + "/".join(call.segments))) from None
    return Response(json.dumps(data), media_type="application/json;charset=utf-8")


def create_app(state: JenkinsState | None = None) -> FastAPI:
    """The stand-in as a FastAPI app; its state is ``app.state.jenkins``."""
    app = FastAPI(title="Jenkins stand-in", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.jenkins = jenkins = state or JenkinsState()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def everything(request: Request, path: str) -> Response:
        body = await request.body() if request.method == "POST" else b""
        response, user, crumb = _serve(jenkins, request, body)
        response.headers["X-Jenkins"] = VERSION
        jenkins.log(Logged(request.method, request.url.path, response.status_code, user, crumb))
        return response

    return app


def _serve(state: JenkinsState, request: Request, body: bytes) -> tuple[Response, str | None, str | None]:
    uri = request.url.path
    crumb = request.headers.get(CRUMB_FIELD)
    state.advance()
    fault = state.take_fault(uri)
    if fault is not None:
        response = error_page(fault.status, "Service Unavailable" if fault.status == 503 else "Injected failure", uri)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response, None, crumb
    try:
        with state.lock:  # the test thread steers the same state
            call = _authenticated(state, request, body)
            _check_crumb(state, call, crumb, uri)
            response = route(state, call)
    except Answer as answer:
        user = _claimed_user(request)
        return answer.response, user, crumb
    if call.via == "password" and call.session is None:
        session = state.new_session(call.user)
        response.set_cookie(COOKIE, session, path="/", httponly=True)
    return response, call.user, crumb


def _claimed_user(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        return base64.b64decode(header[6:]).decode().partition(":")[0]
    except (ValueError, UnicodeDecodeError):
        return None


def _authenticated(state: JenkinsState, request: Request, body: bytes) -> Call:
    uri = request.url.path
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        raise Answer(_anonymous_refused(uri))
    try:
        name, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise Answer(error_page(400, "Bad Authorization header", uri)) from None
    via = state.check_credentials(name, secret)
    if via is None:
        raise Answer(error_page(401, f"Invalid password/token for user: {name}", uri))
    session = request.cookies.get(COOKIE)
    if session is not None and state.sessions.get(session) != name:
        session = None  # an unknown or foreign session counts as none
    content_type = request.headers.get("Content-Type", "")
    form = parse_qs(body.decode(errors="replace"), keep_blank_values=True) \
        if content_type.startswith("application/x-www-form-urlencoded") else {}
    segments = [unquote(part) for part in uri.split("/") if part]
    base = str(request.base_url).rstrip("/")
    return Call(method=request.method, segments=segments, query=parse_qs(request.url.query, keep_blank_values=True),
                form=form, base=base, user=name, via=via, session=session)


def _check_crumb(state: JenkinsState, call: Call, crumb: str | None, uri: str) -> None:
    # Jenkins' CrumbFilter exempts API-token requests: a script holding a token is no browser to protect.
    if call.method != "POST" or call.via != "password" or not state.csrf:
        return
    if call.session is None or crumb is None or crumb != state.crumb(call.session):
        raise Answer(error_page(403, "No valid crumb was included in the request", uri))


def route(state: JenkinsState, call: Call) -> Response:
    """Walk the URL to the object it names and answer for it."""
    seg = call.segments
    if seg in ([], ["api", "json"]):
        return _json({"_class": "hudson.model.Hudson", "mode": "NORMAL", "nodeDescription": "the Jenkins stand-in",
                      "nodeName": "", "numExecutors": 2, "quietingDown": False, "useCrumbs": state.csrf,
                      "useSecurity": True, "url": call.base + "/",
                      "jobs": [{"_class": render.FREESTYLE, "name": n, "url": render.job_url(call.base, n)}
                               for n in sorted(state.jobs) if "/" not in n]}, call)
    if seg == ["crumbIssuer", "api", "json"]:
        return _crumb(state, call)
    if seg == ["me", "api", "json"]:
        return _json({"_class": "hudson.model.User", "absoluteUrl": f"{call.base}/user/{call.user}",
                      "description": None, "fullName": call.user, "id": call.user, "property": []}, call)
    if seg and seg[0] == "queue":
        return _queue(state, call, seg[1:])
    if seg and seg[0] == "job":
        return _job(state, call)
    raise Answer(error_page(404, "Not Found", "/" + "/".join(seg)))


def _crumb(state: JenkinsState, call: Call) -> Response:
    if not state.csrf:
        raise Answer(error_page(404, "Not Found", "/crumbIssuer/api/json"))
    session = call.session or state.new_session(call.user)
    response = _json({"_class": "hudson.security.csrf.DefaultCrumbIssuer", "crumb": state.crumb(session),
                      "crumbRequestField": CRUMB_FIELD}, call)
    if call.session is None:
        response.set_cookie(COOKIE, session, path="/", httponly=True)
        call.session = session
    return response


def _queue(state: JenkinsState, call: Call, rest: list[str]) -> Response:
    uri = "/queue/" + "/".join(rest)
    if rest == ["api", "json"]:
        return _json(render.queue_json(call.base, state), call)
    if rest == ["cancelItem"]:
        _require_post(call, uri)
        raw = (call.query.get("id") or call.form.get("id") or [""])[-1]
        if not raw.isdigit() or not state.cancel_item(int(raw)):
            raise Answer(error_page(404, "Provided id parameter was not found", uri))
        return Response(status_code=204)
    if len(rest) == 4 and rest[0] == "item" and rest[1].isdigit() and rest[2:] == ["api", "json"]:
        item = state.queue.get(int(rest[1]))
        if item is not None:
            return _json(render.queue_item_json(call.base, state, item), call)
    raise Answer(error_page(404, "Not Found", uri))


def _require_post(call: Call, uri: str) -> None:
    if call.method != "POST":
        raise Answer(error_page(405, "This URL requires POST", uri))


def _job(state: JenkinsState, call: Call) -> Response:
    seg = call.segments
    names: list[str] = []
    pos = 0
    while pos + 1 < len(seg) and seg[pos] == "job":
        names.append(seg[pos + 1])
        pos += 2
    name, rest = "/".join(names), seg[pos:]
    uri = "/" + "/".join(seg)
    spec = state.jobs.get(name)
    if spec is None:
        children = sorted(n for n in state.jobs if n.startswith(name + "/") and n.count("/") == name.count("/") + 1)
        if names and children and rest in ([], ["api", "json"]):
            return _json(render.folder_json(call.base, name, children), call)
        raise Answer(error_page(404, "Not Found", uri))
    if rest in ([], ["api", "json"]):
        full = "tree" in call.query
        return _json(render.job_json(call.base, state, name, spec, full_builds=full), call)
    if rest in (["build"], ["buildWithParameters"]):
        _require_post(call, uri)
        return _trigger(state, call, name, rest[0], uri)
    if rest and (rest[0].isdigit() or rest[0] in PERMALINKS):
        return _build(state, call, name, rest[0], rest[1:], uri)
    raise Answer(error_page(404, "Not Found", uri))


def _trigger(state: JenkinsState, call: Call, name: str, how: str, uri: str) -> Response:
    spec = state.jobs[name]
    if not spec.buildable:
        raise Answer(error_page(409, f"{name} is not buildable", uri))
    values = {**call.query, **call.form}
    if how == "buildWithParameters":
        if spec.parameters is None:
            # Jenkins throws IllegalStateException("This build is not parameterized!"): its 500 "Oops" page.
            raise Answer(error_page(500, "A problem occurred while processing the request", uri))
        # Only the parameters the job defines count; the others are dropped without a word (SECURITY-170).
        parameters = {key: (values[key][-1] if key in values else default) for key, default in spec.parameters.items()}
    else:
        if spec.parameters is not None:
            raise Answer(error_page(400, "Nothing is submitted", uri))
        parameters = {}
    item = state.schedule(name, parameters, call.user)
    return Response(status_code=201, headers={"Location": f"{call.base}/queue/item/{item.id}/"})


def _build(state: JenkinsState, call: Call, name: str, ref: str, rest: list[str], uri: str) -> Response:
    builds = state.builds.get(name, [])
    build = next((b for b in builds if b.number == int(ref)), None) if ref.isdigit() else _permalink(builds, ref)
    if build is None:
        raise Answer(error_page(404, "Not Found", uri))
    if rest in ([], ["api", "json"]):
        return _json(render.build_json(call.base, state, build), call)
    if rest == ["testReport", "api", "json"] and build.tests is not None and not build.building:
        return _json(render.report_json(build), call)
    if rest == ["stop"]:
        _require_post(call, uri)
        state.stop(name, build.number)
        return Response(status_code=302, headers={"Location": render.build_url(call.base, build)})
    raise Answer(error_page(404, "Not Found", uri))


def _permalink(builds: list[Build], ref: str) -> Build | None:
    done = [b for b in reversed(builds) if not b.building]
    wanted: dict[str, Callable[[Build], bool]] = {
        "lastBuild": lambda b: True, "lastCompletedBuild": lambda b: not b.building,
        "lastSuccessfulBuild": lambda b: b.result in ("SUCCESS", "UNSTABLE"),
        "lastStableBuild": lambda b: b.result == "SUCCESS", "lastFailedBuild": lambda b: b.result == "FAILURE",
        "lastUnstableBuild": lambda b: b.result == "UNSTABLE",
        "lastUnsuccessfulBuild": lambda b: b.result != "SUCCESS",
    }
    candidates = list(reversed(builds)) if ref == "lastBuild" else done
    return next((b for b in candidates if wanted[ref](b)), None)
