"""The jira participant against the Jira stand-in (Server and Cloud flavours), through the real ``jira`` library."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from participants.jira import Jira
from participants.jira.actions import reference
from skynet.errors import ConfigError
from skynet.loader import load_participant
from skynet.testing import RunResult, run
from standins.jira import JiraState, create_app
from standins.jira.state import Comment
from standins.server import free_port, serve

CLOUD_USER, CLOUD_TOKEN = "boss@example.com", "api-token"


class Served:
    """A served stand-in and the participant config that points at it."""

    def __init__(self, state: JiraState, url: str) -> None:
        self.state = state
        self.url = url
        cloud = state.deployment == "Cloud"
        self.config: dict[str, Any] = {"url": url, "auth": "cloud" if cloud else "server",
                                       "token": CLOUD_TOKEN if cloud else "t", "timeout": "10s"}
        if cloud:
            self.config["user"] = CLOUD_USER

    def run(self, params: dict[str, Any], **options: Any) -> RunResult:
        options.setdefault("idempotency_key", "p1/3")
        config = {**self.config, **options.pop("config", {})}
        return run(Jira, params=params, config=config, **options)


def _served(deployment: str) -> Iterator[Served]:
    state = JiraState(deployment)  # type: ignore[arg-type]
    state.add_project("REL", "Release")
    with serve(create_app(state)) as url:
        yield Served(state, url)


@pytest.fixture(params=["Server", "Cloud"])
def jira(request: pytest.FixtureRequest) -> Iterator[Served]:
    """The stand-in in each flavour: Cloud pages searches with tokens, Server with startAt and total."""
    yield from _served(request.param)


@pytest.fixture
def server() -> Iterator[Served]:
    yield from _served("Server")


def ok(outcome: RunResult) -> Any:
    assert outcome.error is None, outcome.error
    return outcome.result


# ---- versions ------------------------------------------------------------------------------------------------
def test_create_version_creates_it_once_and_reports_it_on_a_rerun(jira: Served) -> None:
    params = {"action": "create_version", "project": "REL", "name": "2026.12", "description": "December",
              "release_date": "2026-12-25"}

    first = ok(jira.run(params))
    again = ok(jira.run(params, attempt=2))

    assert first["created"] is True
    assert again["created"] is False
    assert again["id"] == first["id"]
    assert (first["name"], first["release_date"], first["description"]) == ("2026.12", "2026-12-25", "December")
    assert first["url"] == f"{jira.url}/projects/REL/versions/{first['id']}"
    assert [v.name for v in jira.state.versions_of("REL")] == ["2026.12"]


def test_a_version_created_between_the_look_and_the_create_is_reported_not_an_error(server: Served) -> None:
    held = server.state.hold("GET", "/rest/api/2/project/REL/versions")
    outcome: list[RunResult] = []
    worker = threading.Thread(target=lambda: outcome.append(
        server.run({"action": "create_version", "project": "REL", "name": "2026.12"})))
    worker.start()
    assert held.reached.wait(10)
    server.state.add_version("REL", "2026.12")  # another instance was faster
    held.release()
    worker.join(20)

    result = ok(outcome[0])
    assert result["created"] is False
    assert len(server.state.versions_of("REL")) == 1


def test_release_version_sets_released_and_the_date_and_leaves_a_released_version_alone(jira: Served) -> None:
    jira.state.add_version("REL", "2026.11")
    params = {"action": "release_version", "project": "REL", "name": "2026.11", "date": "2026-11-27"}

    first = ok(jira.run(params))
    again = ok(jira.run({**params, "date": "2026-11-30"}))

    version = jira.state.version("REL", "2026.11")
    assert version is not None
    assert (version.released, version.release_date) == (True, "2026-11-27")
    assert (first["changed"], first["released"], first["release_date"]) == (True, True, "2026-11-27")
    assert (again["changed"], again["release_date"]) == (False, "2026-11-27")


def test_releasing_a_version_that_does_not_exist_is_a_permanent_error_naming_the_versions(server: Served) -> None:
    server.state.add_version("REL", "2026.10")

    outcome = server.run({"action": "release_version", "project": "REL", "name": "2099.01"})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("VersionNotFound", False)
    assert outcome.error.message == "project REL has no version '2099.01' (latest: 2026.10)"


# ---- search ----------------------------------------------------------------------------------------------------
def seed(state: JiraState, count: int) -> None:
    state.add_version("REL", "2026.12")
    for n in range(count):
        state.add_issue("REL", f"change {n}", fix_version="2026.12" if n % 2 == 0 else None,
                        status="Done" if n % 3 == 0 else "To Do")


def test_search_reads_every_page_although_jira_caps_the_page_size(jira: Served) -> None:
    seed(jira.state, 130)  # 65 in the version; Jira caps pages at 50, so two pages at least

    result = ok(jira.run({"action": "search", "jql": 'project = REL AND fixVersion = "2026.12" ORDER BY key'}))

    assert result["count"] == 65
    assert [i["key"] for i in result["issues"][:3]] == ["REL-1", "REL-3", "REL-5"]
    assert result["issues"][0] == {"key": "REL-1", "summary": "change 0", "status": "Done"}
    searches = jira.state.calls("GET", "/rest/api/*/search*")
    assert searches == 2
    outcome = jira.run({"action": "search", "jql": "project = REL"})
    assert outcome.progress == [{"message": "fetched 50 issues", "fetched": 50},
                                {"message": "fetched 100 issues", "fetched": 100}]


def test_search_stops_at_max_and_returns_the_extra_fields_asked_for(jira: Served) -> None:
    seed(jira.state, 130)

    result = ok(jira.run({"action": "search", "jql": "project = REL ORDER BY key DESC", "max": 55,
                          "fields": ["fixVersion", "labels"]}))

    assert result["count"] == 55
    first = result["issues"][0]
    assert first["key"] == "REL-130"
    assert first["labels"] == []
    assert [v["name"] for v in result["issues"][1]["fixVersion"]] == ["2026.12"]


def test_a_jql_error_is_permanent_and_quotes_jira(jira: Served) -> None:
    outcome = jira.run({"action": "search", "jql": 'project = NOPE AND status = "Done"'})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("JiraRefused", False)
    assert "HTTP 400: The value 'NOPE' does not exist for the field 'project'." in outcome.error.message


# ---- transitions -------------------------------------------------------------------------------------------------
def test_transition_moves_the_issues_found_by_jql_and_skips_those_already_there(jira: Served) -> None:
    seed(jira.state, 8)  # REL-1, 4, 7 are Done; REL-1, 3, 5, 7 in the version

    result = ok(jira.run({"action": "transition", "jql": 'fixVersion = "2026.12"', "to": "done"}))

    assert result == {"to": "done", "transitioned": ["REL-3", "REL-5"], "skipped": ["REL-1", "REL-7"]}
    assert {i.key: i.status for i in jira.state.issues.values() if i.fix_versions} == {
        "REL-1": "Done", "REL-3": "Done", "REL-5": "Done", "REL-7": "Done"}
    assert ok(jira.run({"action": "transition", "jql": 'fixVersion = "2026.12"', "to": "Done"}))["transitioned"] == []


def test_transition_by_target_status_uses_the_transition_that_leads_there(server: Served) -> None:
    seed(server.state, 3)

    outcome = server.run({"action": "transition", "issues": ["REL-2", "REL-3"], "to": "In Progress"})

    assert ok(outcome)["transitioned"] == ["REL-2", "REL-3"]  # through "Start Progress"
    assert server.state.issues["REL-2"].status == "In Progress"
    assert outcome.progress[-1] == {"message": "REL-3 -> In Progress", "done": 2, "total": 2}


def test_a_status_no_transition_leads_to_is_a_permanent_error_listing_the_transitions(server: Served) -> None:
    seed(server.state, 2)

    outcome = server.run({"action": "transition", "issues": ["REL-2"], "to": "Shipped"})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("TransitionUnavailable", False)
    assert outcome.error.message == ("REL-2 (status 'To Do') has no transition to 'Shipped'; available: "
                                     "Start Progress -> In Progress, Done -> Done")


def test_transitioning_an_issue_that_does_not_exist_is_permanent(server: Served) -> None:
    outcome = server.run({"action": "transition", "issues": ["REL-99"], "to": "Done"})

    assert outcome.error is not None
    assert not outcome.error.retryable
    assert "HTTP 404: Issue does not exist or you do not have permission to see it." in outcome.error.message


# ---- comments and issues -----------------------------------------------------------------------------------------
def test_a_comment_is_added_once_per_step_even_behind_many_newer_comments(jira: Served) -> None:
    issue = jira.state.add_issue("REL", "release 2026.12")
    params = {"action": "comment", "issue": "REL-1", "body": "Released in *2026.12*"}

    first = ok(jira.run(params))
    for n in range(60):  # the step's comment is now on the second page
        issue.comments.append(Comment(id=jira.state.next_id(), body=f"n{n}", author="someone"))
    again = ok(jira.run(params, attempt=2))
    other = ok(jira.run(params, idempotency_key="p1/4"))

    assert first["created"] is True
    assert again == {"issue": "REL-1", "id": first["id"], "created": False}
    assert other["created"] is True
    ours = [c.body for c in issue.comments if not c.body.startswith("n")]
    assert ours == [f"Released in *2026.12*\n\n(boss-ref {reference('p1/3')})",
                    f"Released in *2026.12*\n\n(boss-ref {reference('p1/4')})"]


def test_create_issue_creates_it_once_and_labels_it_with_the_steps_reference(jira: Served) -> None:
    params = {"action": "create_issue", "project": "REL", "summary": "Load tests failed for 2026.12",
              "type": "Bug", "description": "see the build", "labels": ["release"]}

    first = ok(jira.run(params))
    again = ok(jira.run(params, attempt=2))

    label = f"boss-{reference('p1/3')}"
    assert first == {"key": "REL-1", "id": first["id"], "url": f"{jira.url}/browse/REL-1", "label": label,
                     "created": True}
    assert again == {**first, "created": False}
    issue = jira.state.issues["REL-1"]
    assert (issue.issuetype, issue.labels, issue.description) == ("Bug", ["release", label], "see the build")
    assert len(jira.state.issues) == 1


def test_an_unknown_issue_type_is_a_permanent_error_with_jiras_field_message(server: Served) -> None:
    outcome = server.run({"action": "create_issue", "project": "REL", "summary": "x", "type": "Saga"})

    assert outcome.error is not None
    assert not outcome.error.retryable
    assert "HTTP 400: Specify a valid issue type" in outcome.error.message


# ---- errors ----------------------------------------------------------------------------------------------------
def test_a_bad_token_is_a_permanent_error_with_jiras_message(jira: Served) -> None:
    outcome = jira.run({"action": "create_version", "project": "REL", "name": "2026.12"},
                       config={"token": "wrong"})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("JiraRefused", False)
    said = ("Client must be authenticated to access this resource." if jira.state.deployment == "Cloud" else
            "You are not authenticated. Authentication required to perform this operation.")
    assert outcome.error.message == (f"Jira refused reading the versions of project REL with HTTP 401: {said} "
                                     "(check the token (and the user, for Cloud))")
    assert outcome.error.detail["status"] == 401
    assert jira.state.versions == {}


def test_an_unknown_project_is_a_permanent_error_quoting_jira(server: Served) -> None:
    outcome = server.run({"action": "create_version", "project": "XYZ", "name": "2026.12"})

    assert outcome.error is not None
    assert not outcome.error.retryable
    assert "HTTP 404: No project could be found with key 'XYZ'." in outcome.error.message


def test_a_5xx_is_retryable_and_the_library_does_not_retry_it_behind_our_back(server: Served) -> None:
    server.state.fail_next(503, times=2, path="/rest/api/2/project/REL/versions")

    outcome = server.run({"action": "create_version", "project": "REL", "name": "2026.12"})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("JiraUnavailable", True)
    assert outcome.error.message == ("Jira answered HTTP 503 while reading the versions of project REL: "
                                     "Service Unavailable")
    assert server.state.calls("GET", "/rest/api/2/project/REL/versions") == 1


def test_a_429_waits_for_retry_after_then_is_retryable(server: Served) -> None:
    server.state.fail_next(429, retry_after=1)

    started = time.monotonic()
    outcome = server.run({"action": "search", "jql": "project = REL"})

    assert outcome.error is not None
    assert outcome.error.retryable
    assert outcome.error.detail["retry_after"] == 1
    assert 0.9 <= time.monotonic() - started < 5


def test_an_unreachable_jira_is_retryable() -> None:
    config = {"url": f"http://127.0.0.1:{free_port()}", "token": "t", "timeout": "2s"}

    outcome = run(Jira, params={"action": "search", "jql": "project = REL"}, config=config)

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("JiraUnavailable", True)
    assert outcome.error.message.startswith("Jira unreachable while searching issues with JQL 'project = REL':")


def test_a_login_page_instead_of_jira_is_a_permanent_error_that_says_so() -> None:
    portal = FastAPI()

    @portal.get("/{path:path}")
    async def login(path: str) -> HTMLResponse:
        return HTMLResponse("<html><body>Sign in to continue</body></html>")

    with serve(portal) as url:
        outcome = run(Jira, params={"action": "create_version", "project": "REL", "name": "1"},
                      config={"url": url, "token": "t"})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("JiraRefused", False)
    assert "was not Jira's JSON (is url Jira's base URL" in outcome.error.message


def test_a_cancelled_search_stops_before_asking_jira(server: Served) -> None:
    outcome = server.run({"action": "search", "jql": "project = REL"}, cancelled=True)

    assert outcome.error is not None
    assert outcome.error.type == "Cancelled"
    assert server.state.calls("GET", "/rest/api/2/search") == 0


# ---- params and configuration ---------------------------------------------------------------------------------------
def test_params_are_checked_per_action_before_jira_is_asked(server: Served) -> None:
    missing = server.run({"action": "create_version", "project": "REL"})
    both = server.run({"action": "transition", "issues": ["REL-1"], "jql": "project = REL", "to": "Done"})
    unknown = server.run({"action": "delete_everything"})

    assert missing.error is not None and missing.error.message == "invalid params: create_version.name: Field required"
    assert both.error is not None and "give either issues (a list of keys) or jql" in both.error.message
    assert unknown.error is not None and "does not match any of the expected tags" in unknown.error.message
    assert server.state.requests == []


def test_the_params_schema_lists_each_action_with_its_required_params() -> None:
    schema = Jira.params_schema()

    assert schema is not None
    assert schema["discriminator"]["propertyName"] == "action"
    required = {name: model["required"] for name, model in schema["$defs"].items()}
    assert required == {"CreateVersion": ["action", "project", "name"], "ReleaseVersion": ["action", "project", "name"],
                        "Search": ["action", "jql"], "Transition": ["action", "to"],
                        "Comment": ["action", "issue", "body"], "CreateIssue": ["action", "project", "summary"]}


def test_the_configuration_is_checked_when_the_daemon_starts() -> None:
    with pytest.raises(ConfigError, match=r"missing token \(set BOSS_JIRA_TOKEN\)"):
        Jira().setup({"url": "https://jira.example.com"})
    with pytest.raises(ConfigError, match="auth: cloud needs user"):
        Jira().setup({"url": "https://acme.atlassian.net", "auth": "cloud", "token": "x"})
    with pytest.raises(ConfigError, match="timeout"):
        Jira().setup({"url": "https://jira.example.com", "token": "x", "timeout": "soon"})
    with pytest.raises(ConfigError, match="tokne: Extra inputs are not permitted"):
        Jira().setup({"url": "https://jira.example.com", "token": "x", "tokne": "y"})
    participant = Jira()
    participant.setup({"url": "https://jira.example.com", "token": "x", "timeout": "10s", "page_size": "20"})
    assert participant.config.page_size == 20


def test_skynet_run_jira_loads_this_participant() -> None:
    assert load_participant("jira") is Jira
