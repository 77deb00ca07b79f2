"""The built-in jenkins participant against the Jenkins stand-in, through the real ``requests`` library.

Builds run on the stand-in's clock (tenths of a second here); a job with ``duration=None`` builds until
the test ends it, which is how the tests act "mid-build" without racing a timer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from engine.transport.messages import ErrorBody
from participants.jenkins import Jenkins
from participants.jenkins.client import JenkinsClient
from participants.jenkins.config import read_config
from participants.jenkins.params import BuildParams, JenkinsParams
from skynet import Workitem
from skynet.errors import ConfigError
from skynet.loader import load_participant
from skynet.outcome import Outcome, execute, validate_params
from skynet.testing import RunResult, run
from standins.jenkins import KEY_PARAMETER, PASSWORD, TOKEN, USER, JenkinsState, TestReport, create_app
from standins.server import free_port, serve
from tests.conftest import wait_for

ETC = Path(__file__).resolve().parents[2] / "etc" / "participants" / "jenkins.yaml"
KEY = "proc-1/n7"


@dataclass
class Stand:
    """The stand-in and its URL."""

    state: JenkinsState
    url: str

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"url": self.url, "user": USER, "token": TOKEN, "poll_interval": "0.02", **overrides}

    def trigger(self, job: str, **parameters: str) -> int:
        """A build triggered behind the participant's back (by an earlier attempt that then died)."""
        path = "".join(f"/job/{part}" for part in job.split("/"))
        response = requests.post(f"{self.url}{path}/buildWithParameters", data=parameters, auth=(USER, TOKEN),
                                 allow_redirects=False, timeout=5)
        assert response.status_code == 201
        return int(response.headers["Location"].rstrip("/").rpartition("/")[2])


@pytest.fixture
def jenkins() -> Iterator[Stand]:
    state = JenkinsState()
    with serve(create_app(state)) as url:
        yield Stand(state, url)


def error_of(outcome: RunResult | Outcome) -> ErrorBody:
    assert outcome.error is not None, f"expected an error, got result {outcome.result!r}"
    return outcome.error


@dataclass
class Started:
    """``handle`` running in a thread, its progress visible while it runs."""

    participant: Jenkins
    wi: Workitem
    thread: threading.Thread
    progress: list[dict[str, Any]] = field(default_factory=list)
    outcome: Outcome | None = None

    def finished(self, timeout: float = 10) -> Outcome:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "handle did not return"
        assert self.outcome is not None
        return self.outcome

    def cancel(self) -> None:
        self.participant.cancel(Workitem(id=self.wi.id, process_id=self.wi.process_id, attempt=self.wi.attempt))


def start(params: dict[str, Any], config: dict[str, Any], key: str = KEY) -> Started:
    """Run one workitem in a thread, as the daemon's worker does."""
    participant = Jenkins()
    participant.setup(config)
    started = Started(participant, None, None)  # type: ignore[arg-type]
    wi = Workitem(id="proc-1/n7", process_id="proc-1", step="load-tests", idempotency_key=key,
                  participant="jenkins", params=validate_params(Jenkins, params),
                  on_progress=lambda payload: started.progress.append(dict(payload)))

    def work() -> None:
        started.outcome = execute(participant, wi)

    started.wi, started.thread = wi, threading.Thread(target=work, daemon=True)
    started.thread.start()
    return started


def build_urls(progress: list[dict[str, Any]]) -> list[str]:
    return [p["build_url"] for p in progress if "build_url" in p]


# ---- building -----------------------------------------------------------------------------------------
def test_a_build_in_a_folder_runs_with_its_parameters_and_returns_result_duration_and_tests(jenkins: Stand):
    jenkins.state.add_job("perf/load-tests", duration=0.3, tests=TestReport(passed=117, failed=0, skipped=3),
                          parameters={KEY_PARAMETER: "", "BRANCH": "main"})

    outcome = run(Jenkins, params={"action": "build", "job": "perf/load-tests",
                                   "parameters": {"BRANCH": "integration2026.12"}},
                  config=jenkins.config(), idempotency_key=KEY)

    assert outcome.ok, outcome.error
    (build,) = jenkins.state.builds_of("perf/load-tests")
    assert build.parameters == {KEY_PARAMETER: KEY, "BRANCH": "integration2026.12"}
    assert outcome.result == {
        "job": "perf/load-tests", "number": 1, "url": f"{jenkins.url}/job/perf/job/load-tests/1/",
        "result": "SUCCESS", "building": False, "duration": pytest.approx(0.3, abs=0.05),
        "tests": {"total": 120, "passed": 117, "failed": 0, "skipped": 3}}
    assert build_urls(outcome.progress) == [outcome.result["url"]]


def test_the_build_url_is_reported_as_progress_while_the_build_still_runs(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None)

    started = start({"job": "load-tests"}, jenkins.config())

    wait_for(lambda: build_urls(started.progress), what="the build URL as progress")
    assert jenkins.state.build("load-tests", 1).building
    assert started.progress[-1]["number"] == 1
    jenkins.state.finish("load-tests", 1, "SUCCESS")
    outcome = started.finished()
    assert outcome.error is None and outcome.result["result"] == "SUCCESS"
    assert outcome.result["tests"] is None, "no test report published: Jenkins answers 404 for it"


def test_a_failed_build_is_a_permanent_error_naming_the_build_url_and_the_failed_tests(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.1, results=["FAILURE"], tests=TestReport(passed=8, failed=2))

    error = error_of(run(Jenkins, params={"job": "load-tests"}, config=jenkins.config()))

    url = f"{jenkins.url}/job/load-tests/1/"
    assert (error.type, error.retryable) == ("BuildFailed", False)
    assert error.message == f"build #1 of load-tests ended FAILURE: {url} (2 of 10 tests failed)"
    assert error.detail["result"] == "FAILURE" and error.detail["tests"]["failed"] == 2


def test_an_unstable_build_fails_unless_the_step_accepts_unstable(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.05, results=["UNSTABLE"])

    refused = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(), idempotency_key="a")
    accepted = run(Jenkins, params={"job": "load-tests", "accept_unstable": True}, config=jenkins.config(),
                   idempotency_key="b")

    assert "ended UNSTABLE" in error_of(refused).message
    assert accepted.ok and accepted.result["result"] == "UNSTABLE"


def test_without_wait_the_step_ends_once_the_build_has_started(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None)

    outcome = run(Jenkins, params={"job": "load-tests", "wait": False}, config=jenkins.config())

    assert outcome.ok
    assert (outcome.result["number"], outcome.result["result"], outcome.result["building"]) == (1, "RUNNING", True)


def test_status_tells_a_running_build_from_a_finished_one(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None, tests=TestReport(passed=5, failed=1))
    jenkins.trigger("load-tests", **{KEY_PARAMETER: "x"})
    wait_for(lambda: jenkins.state.builds_of("load-tests"), what="the build to start")

    running = run(Jenkins, params={"action": "status", "job": "load-tests", "number": 1}, config=jenkins.config())
    jenkins.state.finish("load-tests", 1, "UNSTABLE")
    finished = run(Jenkins, params={"action": "status", "job": "load-tests"}, config=jenkins.config())
    missing = run(Jenkins, params={"action": "status", "job": "load-tests", "number": 9}, config=jenkins.config())

    assert (running.result["result"], running.result["building"], running.result["tests"]) == ("RUNNING", True, None)
    assert finished.result["result"] == "UNSTABLE"
    assert finished.result["tests"] == {"total": 6, "passed": 5, "failed": 1, "skipped": 0}
    assert error_of(missing).message == "job load-tests has no build #9"


# ---- idempotency --------------------------------------------------------------------------------------
def test_a_rerun_follows_the_running_build_of_an_earlier_attempt_instead_of_starting_another(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None)
    jenkins.trigger("load-tests", **{KEY_PARAMETER: "someone-else"})
    jenkins.trigger("load-tests", **{KEY_PARAMETER: KEY})
    wait_for(lambda: len(jenkins.state.builds_of("load-tests")) == 2, what="both builds to start")

    started = start({"job": "load-tests"}, jenkins.config())
    wait_for(lambda: build_urls(started.progress), what="the participant to follow the build")
    jenkins.state.finish("load-tests", 2)

    outcome = started.finished()
    assert outcome.error is None and outcome.result["number"] == 2
    assert len(jenkins.state.posts("/buildWithParameters")) == 2, "the participant triggered nothing"


def test_a_rerun_follows_the_queue_item_of_an_earlier_attempt(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.05, queue_delay=0.4)
    jenkins.trigger("load-tests", **{KEY_PARAMETER: KEY})

    outcome = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(), idempotency_key=KEY)

    assert outcome.ok and outcome.result["number"] == 1
    assert len(jenkins.state.builds_of("load-tests")) == 1
    assert len(jenkins.state.posts("/buildWithParameters")) == 1


def test_a_rerun_after_a_successful_build_reports_it_without_building_again(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.05)

    first = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(), idempotency_key=KEY)
    again = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(), idempotency_key=KEY, attempt=2)

    assert first.result == again.result
    assert len(jenkins.state.builds_of("load-tests")) == 1


def test_a_retry_after_a_failed_build_starts_a_new_build(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.05, results=["FAILURE", "SUCCESS"])

    first = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(), idempotency_key=KEY)
    retried = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(), idempotency_key=KEY, attempt=2)

    assert error_of(first).type == "BuildFailed"
    assert retried.ok and (retried.result["number"], retried.result["result"]) == (2, "SUCCESS")


def test_a_job_that_does_not_define_the_key_parameter_is_refused_before_anything_is_built(jenkins: Stand):
    jenkins.state.add_job("plain", parameters=None)
    jenkins.state.add_job("other-params", parameters={"BRANCH": "main"})

    plain = error_of(run(Jenkins, params={"job": "plain"}, config=jenkins.config()))
    other = error_of(run(Jenkins, params={"job": "other-params"}, config=jenkins.config()))

    for error in (plain, other):
        assert (error.type, error.retryable) == ("JenkinsError", False)
        assert f"does not define the string parameter {KEY_PARAMETER}" in error.message
    assert jenkins.state.posts("build") == [] and jenkins.state.posts("buildWithParameters") == []


def test_parameters_the_job_does_not_define_are_refused_since_jenkins_would_drop_them(jenkins: Stand):
    jenkins.state.add_job("load-tests", parameters={KEY_PARAMETER: "", "BRANCH": "main"})

    error = error_of(run(Jenkins, params={"job": "load-tests", "parameters": {"BRNACH": "x"}},
                         config=jenkins.config()))

    assert error.message == ("job load-tests does not define parameter(s) BRNACH: Jenkins would drop them without "
                             "a word (it defines: BRANCH)")


def test_without_an_idempotency_parameter_a_job_without_parameters_is_built_with_build(jenkins: Stand):
    jenkins.state.add_job("plain", parameters=None, duration=0.05)

    outcome = run(Jenkins, params={"job": "plain"}, config=jenkins.config(idempotency_parameter=""))

    assert outcome.ok and outcome.result["result"] == "SUCCESS"
    assert [r.status for r in jenkins.state.posts("/job/plain/build")] == [201]


# ---- Jenkins refusing, failing or away ----------------------------------------------------------------
def test_a_bad_token_is_a_permanent_error_quoting_jenkins(jenkins: Stand):
    jenkins.state.add_job("load-tests")

    error = error_of(run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(token="wrong")))

    assert (error.type, error.retryable) == ("JenkinsError", False)
    assert "Invalid password/token for user: boss" in error.message
    assert error.detail["status"] == 401


def test_an_unknown_job_is_a_permanent_error(jenkins: Stand):
    error = error_of(run(Jenkins, params={"job": "nope/load-tests"}, config=jenkins.config()))

    assert (error.type, error.retryable) == ("JenkinsError", False)
    assert error.message.startswith(f"job nope/load-tests not found on Jenkins at {jenkins.url} (404 Not Found")


def test_a_disabled_job_is_a_permanent_error(jenkins: Stand):
    jenkins.state.add_job("load-tests", buildable=False)

    error = error_of(run(Jenkins, params={"job": "load-tests"}, config=jenkins.config()))

    assert error.message == "job load-tests is disabled in Jenkins (not buildable)"


def test_5xx_is_a_retryable_error_quoting_jenkins(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.05)
    jenkins.state.fail_next(status=503, times=1)

    error = error_of(run(Jenkins, params={"job": "load-tests"}, config=jenkins.config()))

    assert (error.type, error.retryable) == ("JenkinsUnavailable", True)
    assert "Jenkins answered 503 Service Unavailable" in error.message
    assert jenkins.state.builds_of("load-tests") == []


def test_a_short_retry_after_is_honoured_once(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.05)
    jenkins.state.fail_next(status=429, times=1, retry_after=0)

    outcome = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config())

    assert outcome.ok
    assert [r.status for r in jenkins.state.requests[:2]] == [429, 200]


def test_unreachable_jenkins_is_a_retryable_error():
    config = {"url": f"http://127.0.0.1:{free_port()}", "user": USER, "token": TOKEN}

    error = error_of(run(Jenkins, params={"job": "load-tests"}, config=config))

    assert (error.type, error.retryable) == ("JenkinsUnavailable", True)
    assert "cannot reach Jenkins at http://127.0.0.1:" in error.message


def test_an_outage_while_the_build_runs_is_ridden_out_up_to_the_tolerance(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None)
    started = start({"job": "load-tests"}, jenkins.config(outage_tolerance="10s"))
    wait_for(lambda: build_urls(started.progress), what="the build to start")

    jenkins.state.fail_next(status=502, times=4)
    wait_for(lambda: all(f.times == 0 for f in jenkins.state.faults), what="the outage to pass")
    jenkins.state.finish("load-tests", 1)

    outcome = started.finished()
    assert outcome.error is None and outcome.result["result"] == "SUCCESS"


def test_an_outage_longer_than_the_tolerance_is_a_retryable_error(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None)
    started = start({"job": "load-tests"}, jenkins.config(outage_tolerance=0))
    wait_for(lambda: build_urls(started.progress), what="the build to start")

    jenkins.state.fail_next(status=503, times=10)

    error = error_of(started.finished())
    assert (error.type, error.retryable) == ("JenkinsUnavailable", True)
    assert jenkins.state.build("load-tests", 1).building, "the build goes on: a retry will follow it"


# ---- password auth and crumbs -------------------------------------------------------------------------
def test_with_a_password_every_post_carries_the_crumb_of_the_session_it_was_issued_in(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=0.05)

    outcome = run(Jenkins, params={"job": "load-tests"}, config=jenkins.config(token=None, password=PASSWORD))

    assert outcome.ok
    (post,) = jenkins.state.posts("/buildWithParameters")
    assert post.status == 201 and post.crumb is not None
    crumbs = [r for r in jenkins.state.requests if r.path == "/crumbIssuer/api/json"]
    assert len(crumbs) == 1


def test_an_expired_crumb_is_fetched_again_once(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None)
    client = JenkinsClient(read_config(jenkins.config(token=None, password=PASSWORD)))
    client.post("/job/load-tests/buildWithParameters", data={KEY_PARAMETER: "a"}, what="trigger")
    jenkins.state.sessions.clear()  # Jenkins restarted, or the session timed out

    response = client.post("/job/load-tests/buildWithParameters", data={KEY_PARAMETER: "b"}, what="trigger")

    assert response.status_code == 201
    assert [r.status for r in jenkins.state.posts("/buildWithParameters")] == [201, 403, 201]
    client.close()


def test_the_stand_in_refuses_a_password_post_without_a_crumb_as_jenkins_does(jenkins: Stand):
    jenkins.state.add_job("load-tests")

    response = requests.post(f"{jenkins.url}/job/load-tests/buildWithParameters", auth=(USER, PASSWORD), timeout=5)

    assert response.status_code == 403
    assert "No valid crumb was included in the request" in response.text


# ---- cancel and timeout -------------------------------------------------------------------------------
def test_cancel_stops_the_running_build_and_the_step_reports_cancelled(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None, queue_delay=0)
    started = start({"job": "load-tests"}, jenkins.config(poll_interval="10s"))  # a cancel must not wait for it
    wait_for(lambda: build_urls(started.progress), what="the build to start")

    started.cancel()

    assert error_of(started.finished(timeout=3)).type == "Cancelled"
    assert jenkins.state.build("load-tests", 1).result == "ABORTED"
    assert len(jenkins.state.posts("/1/stop")) == 1


def test_cancel_while_queued_cancels_the_queue_item_and_nothing_is_built(jenkins: Stand):
    jenkins.state.add_job("load-tests", queue_delay=60)
    started = start({"job": "load-tests"}, jenkins.config())
    wait_for(lambda: any("queue_item" in p for p in started.progress), what="the item to be queued")

    started.cancel()

    assert error_of(started.finished(timeout=3)).type == "Cancelled"
    assert jenkins.state.queue[1].cancelled
    assert jenkins.state.builds_of("load-tests") == []


def test_a_queue_item_cancelled_in_jenkins_is_a_permanent_error(jenkins: Stand):
    jenkins.state.add_job("load-tests", queue_delay=60)
    started = start({"job": "load-tests"}, jenkins.config())
    wait_for(lambda: any("queue_item" in p for p in started.progress), what="the item to be queued")

    requests.post(f"{jenkins.url}/queue/cancelItem", params={"id": "1"}, auth=(USER, TOKEN), timeout=5)

    error = error_of(started.finished())
    assert (error.type, error.message) == ("QueueItemCancelled", "queue item 1 of load-tests was cancelled in "
                                                                  "Jenkins before its build started")


def test_a_build_outliving_the_steps_timeout_is_stopped_and_the_error_is_retryable(jenkins: Stand):
    jenkins.state.add_job("load-tests", duration=None)

    error = error_of(run(Jenkins, params={"job": "load-tests", "timeout": "0.5s"}, config=jenkins.config()))

    assert (error.type, error.retryable) == ("BuildTimedOut", True)
    assert "stopped build #1" in error.message
    assert jenkins.state.build("load-tests", 1).result == "ABORTED"


# ---- params, config, loading --------------------------------------------------------------------------
def test_params_are_one_model_per_action_told_apart_by_action():
    schema = JenkinsParams.model_json_schema()
    assert schema["discriminator"]["propertyName"] == "action"
    assert {ref["$ref"].rsplit("/", 1)[-1] for ref in schema["oneOf"]} == {"BuildParams", "StatusParams"}
    assert Jenkins.params_schema() == schema

    assert JenkinsParams.model_validate({"job": "x"}).root.action == "build"  # build is the default action
    outcome = run(Jenkins, params={"action": "deploy", "job": "x"}, config={"url": "http://jenkins"})
    assert "does not match any of the expected tags: 'build', 'status'" in error_of(outcome).message
    outcome = run(Jenkins, params={"job": "a//b"}, config={"url": "http://jenkins"})
    assert error_of(outcome).message.startswith("invalid params: build.job: String should match pattern")


def test_parameter_values_reach_jenkins_as_text():
    params = JenkinsParams.model_validate({"job": "x", "parameters": {"DRY_RUN": True, "USERS": 500}}).root
    assert isinstance(params, BuildParams)
    assert params.parameters == {"DRY_RUN": "true", "USERS": "500"}


@pytest.mark.parametrize(("config", "problem"), [
    ({}, "no url"),
    ({"url": "jenkins.example.com"}, "url: String should match pattern"),
    ({"url": "http://j", "user": "u", "token": "t", "password": "p"}, "token (an API token"),
    ({"url": "http://j", "token": "t"}, "user is required"),
    ({"url": "http://j", "poll_interval": "soon"}, "poll_interval"),
    ({"url": "http://j", "colour": "blue"}, "colour: Extra inputs are not permitted"),
])
def test_bad_configuration_stops_the_daemon_at_start_with_one_line(config: dict[str, Any], problem: str):
    with pytest.raises(ConfigError, match="jenkins config: ") as raised:
        Jenkins().setup(config)
    assert problem in str(raised.value)
    assert "\n" not in str(raised.value)


def test_configuration_from_the_environment_is_text_and_still_understood():
    config = read_config({"url": "https://ci.example.com/", "poll_interval": "0.5", "verify_tls": "false",
                          "outage_tolerance": "0", "timeout": "12h"})
    assert config.base == "https://ci.example.com"
    assert config.poll_interval.total_seconds() == 0.5
    assert config.verify_tls is False
    assert config.outage_tolerance.total_seconds() == 0
    assert config.timeout is not None and config.timeout.total_seconds() == 12 * 3600


def test_the_sample_config_is_valid_and_holds_no_secret():
    sample = yaml.safe_load(ETC.read_text())
    assert not {"token", "password"} & set(sample)
    read_config(sample)


def test_skynet_run_finds_it_by_name():
    assert load_participant("jenkins") is Jenkins
    assert Jenkins.name == "jenkins"
