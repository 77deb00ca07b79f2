"""The jenkins participant in real process runs: ``boss engine`` + ``skynet run jenkins`` + the Jenkins stand-in.

The daemon is a subprocess, so the stand-in listens on a real port and the daemon finds it through
``BOSS_JENKINS_*`` variables, as it would find a real Jenkins.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from standins.jenkins import KEY_PARAMETER, TOKEN, USER, JenkinsState, TestReport, create_app
from standins.server import serve
from tests.conftest import wait_for
from tests.integration.conftest import Daemon, Deployment

JOB = "load-tests"


@pytest.fixture
def jenkins() -> Iterator[tuple[JenkinsState, str]]:
    state = JenkinsState()
    state.add_job(JOB, duration=0.5, parameters={KEY_PARAMETER: "", "BRANCH": "main"},
                  tests=TestReport(passed=40, failed=0, skipped=2))
    with serve(create_app(state)) as url:
        yield state, url


def start_jenkins(deployment: Deployment, url: str, token: str = TOKEN) -> Daemon:
    return deployment.builtin("jenkins", BOSS_JENKINS_URL=url, BOSS_JENKINS_USER=USER, BOSS_JENKINS_TOKEN=token,
                              BOSS_JENKINS_POLL_INTERVAL="0.1")


def build_progress(deployment: Deployment, process_id: str) -> list[Any]:
    return [r for r in deployment.records(process_id, "step.progress") if "build_url" in r.data["progress"]]


def test_a_build_step_ends_done_with_its_result_and_the_build_url_came_as_progress_first(
        local: Deployment, jenkins: tuple[JenkinsState, str]) -> None:
    state, url = jenkins
    local.start_engine()
    start_jenkins(local, url)

    process_id = local.launch("jenkins-build", branch="integration2026.12")
    row = local.wait(process_id, "done", timeout=30)

    build_url = f"{url}/job/{JOB}/1/"
    result = row.state.fields["load_tests"]
    assert {k: result[k] for k in ("job", "number", "url", "result")} == {
        "job": JOB, "number": 1, "url": build_url, "result": "SUCCESS"}
    assert result["tests"] == {"total": 42, "passed": 40, "failed": 0, "skipped": 2}
    assert result["duration"] >= 0.5
    (started,) = build_progress(local, process_id)
    assert started.data["progress"]["build_url"] == build_url
    (done,) = [r for r in local.records(process_id, "step.done") if r.step == "load-tests"]
    assert started.seq < done.seq
    (build,) = state.builds_of(JOB)
    assert build.parameters == {KEY_PARAMETER: f"{process_id}/{started.node}", "BRANCH": "integration2026.12"}


def test_a_failed_build_ends_the_process_in_error_with_the_build_url(
        local: Deployment, jenkins: tuple[JenkinsState, str]) -> None:
    state, url = jenkins
    state.add_job(JOB, duration=0.3, results=["FAILURE"], parameters={KEY_PARAMETER: "", "BRANCH": "main"})
    local.start_engine()
    start_jenkins(local, url)

    process_id = local.launch("jenkins-build")
    row = local.wait(process_id, "error", timeout=30)

    assert row.error_step == "load-tests"
    assert row.error_message == f"build #1 of {JOB} ended FAILURE: {url}/job/{JOB}/1/"
    (failed,) = local.records(process_id, "step.failed")
    assert failed.data["error"]["type"] == "BuildFailed"
    assert len(state.builds_of(JOB)) == 1, "a failed build is permanent: no retry"


def test_a_bad_token_is_a_permanent_error_quoting_jenkins(local: Deployment, jenkins: tuple[JenkinsState, str]) -> None:
    state, url = jenkins
    local.start_engine()
    start_jenkins(local, url, token="not-the-token")

    process_id = local.launch("jenkins-build")
    row = local.wait(process_id, "error", timeout=30)

    assert row.error_message is not None
    assert "Invalid password/token for user: boss" in row.error_message
    assert "401" in row.error_message
    (failed,) = local.records(process_id, "step.failed")
    assert failed.data["error"]["type"] == "JenkinsError", "permanent: not retried"
    assert state.builds_of(JOB) == []


def test_a_jenkins_503_is_retried_and_the_job_builds_once(local: Deployment,
                                                           jenkins: tuple[JenkinsState, str]) -> None:
    state, url = jenkins
    state.fail_next(status=503, times=2)
    local.start_engine()
    start_jenkins(local, url)

    process_id = local.launch("jenkins-build")
    row = local.wait(process_id, "done", timeout=30)

    failures = local.records(process_id, "step.failed")
    assert len(failures) == 2
    assert all("503" in str(f.data) for f in failures)
    assert row.state.fields["load_tests"]["result"] == "SUCCESS"
    assert len(state.builds_of(JOB)) == 1


def test_cancel_during_a_long_build_aborts_it_in_jenkins_and_the_process_ends_cancelled(
        local: Deployment, jenkins: tuple[JenkinsState, str]) -> None:
    state, url = jenkins
    state.add_job(JOB, duration=None, parameters={KEY_PARAMETER: "", "BRANCH": "main"})
    local.start_engine()
    start_jenkins(local, url)
    process_id = local.launch("jenkins-build")
    wait_for(lambda: build_progress(local, process_id), 20, "the build URL as progress")

    local.boss("cancel", process_id, "-m", "release called off")

    local.wait(process_id, "cancelled", timeout=20)
    wait_for(lambda: state.build(JOB, 1).result == "ABORTED", 10, "the build to be stopped in Jenkins")
    assert len(state.builds_of(JOB)) == 1


def test_a_participant_killed_mid_build_is_replaced_and_the_rerun_follows_the_same_build(
        local: Deployment, jenkins: tuple[JenkinsState, str]) -> None:
    state, url = jenkins
    state.add_job(JOB, duration=None, parameters={KEY_PARAMETER: "", "BRANCH": "main"})
    local.start_engine()
    first = start_jenkins(local, url)
    process_id = local.launch("jenkins-build")
    wait_for(lambda: build_progress(local, process_id), 20, "the build URL as progress")
    assert state.build(JOB, 1).building

    first.kill()
    start_jenkins(local, url)
    wait_for(lambda: len(build_progress(local, process_id)) == 2, 30, "the re-dispatched attempt to follow the build")
    state.finish(JOB, 1, "SUCCESS")
    row = local.wait(process_id, "done", timeout=30)

    assert [r.data["progress"]["build_url"] for r in build_progress(local, process_id)] == [f"{url}/job/{JOB}/1/"] * 2
    assert "lost" in str(local.records(process_id, "step.failed")[0].data)
    assert row.state.fields["load_tests"]["number"] == 1
    assert len(state.builds_of(JOB)) == 1
    assert len(state.posts("/buildWithParameters")) == 1
