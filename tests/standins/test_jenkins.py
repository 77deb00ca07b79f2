"""The Jenkins stand-in answers as Jenkins' remote API does, for ``requests``: auth, crumbs, queue, builds, tree."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from standins.jenkins import COOKIE, KEY_PARAMETER, PASSWORD, TOKEN, USER, JenkinsState, TestReport, create_app
from standins.jenkins.tree import TreeError, parse, prune
from standins.server import serve
from tests.conftest import wait_for


@pytest.fixture
def state() -> JenkinsState:
    state = JenkinsState(left_item_ttl=0.5)
    state.add_job("perf/load-tests", duration=0.2, queue_delay=0.1, tests=TestReport(passed=3, failed=1),
                  parameters={KEY_PARAMETER: "", "BRANCH": "main"})
    return state


@pytest.fixture
def url(state: JenkinsState) -> Iterator[str]:
    with serve(create_app(state)) as base:
        yield base


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.auth = (USER, TOKEN)
        yield http


JOB = "/job/perf/job/load-tests"


def trigger(session: requests.Session, url: str, **parameters: str) -> str:
    response = session.post(f"{url}{JOB}/buildWithParameters", data=parameters, allow_redirects=False)
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def test_a_triggered_build_waits_in_the_queue_then_runs_then_ends_on_the_clock(session, url, state):
    item_url = trigger(session, url, BRANCH="rc", UNDEFINED="dropped")

    waiting = session.get(f"{item_url}api/json").json()
    assert waiting["_class"] == "hudson.model.Queue$WaitingItem" and "quiet period" in waiting["why"]
    left = wait_for(lambda: session.get(f"{item_url}api/json").json().get("executable"), what="the build")
    assert left == {"_class": "hudson.model.FreeStyleBuild", "number": 1, "url": f"{url}{JOB}/1/"}
    build = session.get(f"{url}{JOB}/1/api/json").json()
    assert (build["building"], build["result"]) == (True, None)
    time.sleep(0.25)
    build = session.get(f"{url}{JOB}/1/api/json").json()
    assert (build["building"], build["result"]) == (False, "SUCCESS") and build["duration"] >= 200
    parameters = build["actions"][0]["parameters"]
    assert {p["name"]: p["value"] for p in parameters} == {KEY_PARAMETER: "", "BRANCH": "rc"}, \
        "parameters the job does not define are dropped, as by Jenkins"
    report = session.get(f"{url}{JOB}/1/testReport/api/json").json()
    assert (report["passCount"], report["failCount"], report["skipCount"]) == (3, 1, 0)


def test_an_identical_waiting_item_is_returned_instead_of_a_new_one(session, url, state):
    assert trigger(session, url, BRANCH="x") == trigger(session, url, BRANCH="x")
    assert trigger(session, url, BRANCH="y") != trigger(session, url, BRANCH="x")


def test_left_queue_items_are_forgotten_after_a_while(session, url, state):
    item_url = trigger(session, url)
    wait_for(lambda: session.get(f"{item_url}api/json").json().get("executable"), what="the build")
    wait_for(lambda: session.get(f"{item_url}api/json").status_code == 404, what="the item to be forgotten")


def test_tree_keeps_only_what_is_named_and_slices_lists(session, url, state):
    for _ in range(3):
        trigger(session, url, BRANCH=str(time.monotonic()))
    wait_for(lambda: len(state.builds_of("perf/load-tests")) == 3, what="three builds")

    job = session.get(f"{url}{JOB}/api/json", params={"tree": "builds[number,actions[parameters[name]]]{0,2},nope"})

    assert [b["number"] for b in job.json()["builds"]] == [3, 2]
    assert job.json()["builds"][0]["actions"][0]["parameters"][0] == {
        "_class": "hudson.model.StringParameterValue", "name": KEY_PARAMETER}
    assert set(job.json()) == {"_class", "builds"}
    assert prune({"a": {"_class": "X", "b": 1}}, parse("a")) == {"a": {"_class": "X"}}
    with pytest.raises(TreeError):
        parse("builds[number")


def test_a_stopped_build_is_aborted_and_stop_redirects_to_it(session, url, state):
    state.add_job("long", duration=None, queue_delay=0, parameters=None)
    session.post(f"{url}/job/long/build", allow_redirects=False)
    wait_for(lambda: state.builds_of("long"), what="the build")

    response = session.post(f"{url}/job/long/1/stop", allow_redirects=False)

    assert (response.status_code, response.headers["Location"]) == (302, f"{url}/job/long/1/")
    assert state.build("long", 1).result == "ABORTED"


def test_cancel_item_cancels_a_waiting_item_and_404s_for_an_unknown_one(session, url, state):
    state.add_job("slow", queue_delay=60, parameters=None)
    item_url = session.post(f"{url}/job/slow/build", allow_redirects=False).headers["Location"]
    item_id = item_url.rstrip("/").rpartition("/")[2]

    assert session.post(f"{url}/queue/cancelItem", params={"id": item_id}).status_code == 204
    assert session.get(f"{item_url}api/json").json()["cancelled"] is True
    missing = session.post(f"{url}/queue/cancelItem", params={"id": "999"})
    assert missing.status_code == 404 and "Provided id parameter was not found" in missing.text


def test_wrong_credentials_get_jettys_401_page_and_no_credentials_get_403(url):
    wrong = requests.get(f"{url}/api/json", auth=(USER, "nope"), timeout=5)
    anonymous = requests.get(f"{url}/api/json", timeout=5)

    assert wrong.status_code == 401
    assert "<title>Error 401 Invalid password/token for user: boss</title>" in wrong.text
    assert anonymous.status_code == 403 and "Authentication required" in anonymous.text


def test_a_password_post_needs_the_crumb_of_its_own_session(url, state):
    with requests.Session() as browser, requests.Session() as other:
        browser.auth = other.auth = (USER, PASSWORD)
        crumb = browser.get(f"{url}/crumbIssuer/api/json").json()
        assert crumb["crumbRequestField"] == "Jenkins-Crumb"
        assert any(cookie.name == COOKIE for cookie in browser.cookies)
        header = {crumb["crumbRequestField"]: crumb["crumb"]}

        assert other.post(f"{url}{JOB}/buildWithParameters", headers=header).status_code == 403
        ok = browser.post(f"{url}{JOB}/buildWithParameters", headers=header, allow_redirects=False)
        assert ok.status_code == 201


def test_api_tokens_need_no_crumb_and_get_no_session(session, url):
    response = session.post(f"{url}{JOB}/buildWithParameters", allow_redirects=False)
    assert response.status_code == 201
    assert not session.cookies


def test_unknown_jobs_and_builds_are_404_and_triggering_needs_post(session, url, state):
    assert session.get(f"{url}/job/nope/api/json").status_code == 404
    assert session.get(f"{url}{JOB}/42/api/json").status_code == 404
    assert session.get(f"{url}{JOB}/buildWithParameters").status_code == 405
    folder = session.get(f"{url}/job/perf/api/json").json()
    assert [j["name"] for j in folder["jobs"]] == ["load-tests"]


def test_injected_faults_answer_the_next_requests_with_retry_after(session, url, state):
    state.fail_next(status=503, times=2, retry_after=7)

    first, second, third = (session.get(f"{url}/api/json") for _ in range(3))

    assert (first.status_code, first.headers["Retry-After"]) == (503, "7")
    assert (second.status_code, third.status_code) == (503, 200)
