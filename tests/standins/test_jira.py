"""The Jira stand-in speaks REST API v2 as the ``jira`` library expects it: auth, versions, JQL, pages, faults."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import requests
from jira import JIRA, JIRAError

from standins.jira import JiraState, create_app
from standins.jira.jql import JqlError, parse
from standins.server import serve


@pytest.fixture
def state() -> JiraState:
    state = JiraState("Server")
    state.add_project("REL")
    return state


@pytest.fixture
def url(state: JiraState) -> Iterator[str]:
    with serve(create_app(state)) as base:
        yield base


def client(url: str, token: str = "t") -> JIRA:
    return JIRA(server=url, token_auth=token, get_server_info=False, max_retries=0)


def failure(call: object) -> JIRAError:
    with pytest.raises(JIRAError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_server_info_is_public_and_tells_the_deployment_type(url: str) -> None:
    info = requests.get(f"{url}/rest/api/2/serverInfo", timeout=5).json()

    assert (info["deploymentType"], info["versionNumbers"]) == ("Server", [9, 12, 0])


def test_without_valid_credentials_every_other_route_is_a_401_with_jiras_body(url: str) -> None:
    anonymous = requests.get(f"{url}/rest/api/2/myself", timeout=5)
    bad = failure(lambda: client(url, token="wrong").myself())

    assert anonymous.status_code == 401
    assert anonymous.json() == {"errorMessages": ["You are not authenticated. Authentication required to perform "
                                                  "this operation."], "errors": {}}
    assert "X-Seraph-LoginReason" not in anonymous.headers
    assert bad.status_code == 401
    assert bad.response is not None and bad.response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"


def test_cloud_takes_an_email_and_api_token_and_refuses_bearer_tokens_in_plain_text() -> None:
    state = JiraState("Cloud")
    with serve(create_app(state)) as url:
        me = JIRA(server=url, basic_auth=("boss@example.com", "api-token"), max_retries=0).myself()
        refused = failure(lambda: client(url).myself())

    assert me["emailAddress"] == "boss@example.com"
    assert (refused.status_code, refused.text) == (401, "Client must be authenticated to access this resource.")


def test_versions_are_created_listed_released_and_duplicate_names_refused(state: JiraState, url: str) -> None:
    jira = client(url)
    created = jira.create_version("2026.12", "REL", description="December")
    duplicate = failure(lambda: jira.create_version("2026.12", "REL"))
    created.update(released=True, releaseDate="2026-12-25")

    assert [v.name for v in jira.project_versions("REL")] == ["2026.12"]
    assert (created.released, created.releaseDate, created.userReleaseDate) == (True, "2026-12-25", "25/Dec/26")
    assert duplicate.status_code == 400
    assert duplicate.response is not None
    assert duplicate.response.json() == {"errorMessages": [],
                                         "errors": {"name": "A version with this name already exists in this "
                                                            "project."}}
    missing = failure(lambda: jira.project_versions("XYZ"))
    assert (missing.status_code, missing.text) == (404, "No project could be found with key 'XYZ'.")


def test_server_search_pages_with_start_at_and_total_capped_at_fifty(state: JiraState, url: str) -> None:
    for n in range(120):
        state.add_issue("REL", f"issue {n}")
    jira = client(url)

    page = jira.search_issues("project = REL", startAt=100, maxResults=500)
    everything = jira.search_issues("project = REL ORDER BY key DESC", maxResults=False)

    assert (page.startAt, page.maxResults, page.total, len(page)) == (100, 50, 120, 20)
    assert len(everything) == 120
    assert everything[0].key == "REL-120"
    assert state.calls("GET", "/rest/api/2/search") == 4


def test_cloud_search_pages_with_next_page_tokens_and_the_old_search_is_gone() -> None:
    state = JiraState("Cloud")
    state.add_project("REL")
    for n in range(70):
        state.add_issue("REL", f"issue {n}")
    with serve(create_app(state)) as url:
        jira = JIRA(server=url, basic_auth=("boss@example.com", "api-token"), max_retries=0)
        first = jira.enhanced_search_issues("project = REL", maxResults=100, fields=["summary"])
        assert not isinstance(first, dict)
        rest = jira.enhanced_search_issues("project = REL", nextPageToken=first.nextPageToken, fields=["summary"])
        gone = requests.get(f"{url}/rest/api/2/search", auth=("boss@example.com", "api-token"), timeout=5)
        unbounded = requests.get(f"{url}/rest/api/3/search/jql", auth=("boss@example.com", "api-token"), timeout=5)

    assert (len(first), len(rest)) == (50, 20)
    assert not isinstance(rest, dict) and rest.nextPageToken is None
    assert gone.status_code == 410
    assert gone.json()["errorMessages"][0].startswith("The requested API has been removed.")
    assert unbounded.status_code == 400


def test_transitions_follow_the_workflow_and_answer_204(state: JiraState, url: str) -> None:
    state.add_issue("REL", "one")
    jira = client(url)

    names = [t["name"] for t in jira.transitions("REL-1")]
    jira.transition_issue("REL-1", "21")
    invalid = failure(lambda: jira.transition_issue("REL-1", "41"))

    assert names == ["Start Progress", "Done"]
    assert state.issues["REL-1"].status == "In Progress"
    assert (invalid.status_code, invalid.text) == (400, "Transition id '41' is not valid for this issue.")


def test_comments_page_with_start_at_and_newest_first_on_request(state: JiraState, url: str) -> None:
    state.add_issue("REL", "one")
    jira = client(url)
    for n in range(3):
        jira.add_comment("REL-1", f"c{n}")

    newest = jira.comments("REL-1", order_by="-created", max_results=2)
    rest = jira.comments("REL-1", order_by="-created", start_at=2, max_results=2)

    assert [c.body for c in newest] == ["c2", "c1"]
    assert [c.body for c in rest] == ["c0"]


def test_issues_are_created_with_project_and_type_by_key_and_name(state: JiraState, url: str) -> None:
    jira = client(url)
    issue = jira.create_issue(fields={"project": {"key": "REL"}, "issuetype": {"name": "Bug"}, "summary": "s",
                                      "labels": ["x"]})
    refused = failure(lambda: jira.create_issue(fields={"project": {"key": "REL"}, "issuetype": {"name": "Bug"}}))

    assert (issue.key, issue.fields.issuetype.name, issue.fields.labels) == ("REL-1", "Bug", ["x"])
    assert (refused.status_code, refused.text) == (400, "You must specify a summary of the issue.")


def test_injected_faults_answer_in_jiras_way_then_stop(state: JiraState, url: str) -> None:
    state.fail_next(429, times=1, retry_after=7)
    state.fail_next(503, times=1)
    jira = client(url)

    limited = failure(jira.myself)
    down = failure(jira.myself)

    assert limited.status_code == 429
    assert limited.response is not None and limited.response.headers["Retry-After"] == "7"
    assert (down.status_code, down.text) == (503, "Service Unavailable")
    assert jira.myself()["name"] == "boss-bot"


def test_a_held_response_is_sent_only_after_release_but_the_work_is_done_at_once(state: JiraState,
                                                                                 url: str) -> None:
    held = state.hold("POST", "/rest/api/2/version")
    answered = threading.Event()

    def create() -> None:
        client(url).create_version("2026.12", "REL")
        answered.set()

    threading.Thread(target=create).start()

    assert held.reached.wait(10)
    assert state.version("REL", "2026.12") is not None
    assert not answered.is_set()
    held.release()
    assert answered.wait(10)


@pytest.mark.parametrize(("jql", "message"), [
    ("project = REL OR status = Done", "supports only AND"),
    ("priority = High", "Field 'priority' does not exist or you do not have permission to view it."),
    ("project = REL ORDER BY rank", "Not able to sort using field 'rank'."),
    ("status in (Done Closed)", "Expecting ')' but got 'Closed'."),
    ("status in (Done", "but got <EOF>."),
])
def test_jql_outside_the_subset_is_refused_with_a_message(jql: str, message: str) -> None:
    with pytest.raises(JqlError, match=re.escape(message)):
        parse(jql)


def test_jql_values_that_name_nothing_are_refused_like_jira_does(state: JiraState) -> None:
    state.add_issue("REL", "one", status="Done", labels=["x"])
    state.add_issue("REL", "two")

    assert [i.key for i in parse("project = rel AND status != done").run(state)] == ["REL-2"]
    assert [i.key for i in parse("labels = x AND key in (REL-1, REL-2)").run(state)] == ["REL-1"]
    assert [i.key for i in parse('summary ~ "TWO"').run(state)] == ["REL-2"]
    with pytest.raises(JqlError, match=re.escape("The value '2099.1' does not exist for the field 'fixVersion'.")):
        parse('fixVersion = "2099.1"').run(state)
    with pytest.raises(JqlError, match=re.escape("An issue with key 'REL-9' does not exist for field 'key'.")):
        parse("key = REL-9").run(state)
