"""Jira steps in real process runs: ``boss engine`` + ``skynet run jira`` + the Jira stand-in on a real port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from standins.jira import JiraState, create_app
from standins.server import serve
from tests.conftest import wait_for
from tests.integration.conftest import Deployment

VERSIONS = "/rest/api/2/project/REL/versions"


class Jira:
    """The stand-in served for the daemon subprocess, and the environment that points the daemon at it."""

    def __init__(self, state: JiraState, url: str) -> None:
        self.state = state
        self.url = url

    def env(self, **extra: str) -> dict[str, str]:
        return {"BOSS_JIRA_URL": self.url, "BOSS_JIRA_AUTH": "server", "BOSS_JIRA_TOKEN": "t", **extra}


def _serve(state: JiraState) -> Iterator[Jira]:
    state.add_project("REL", "Release")
    with serve(create_app(state)) as url:
        yield Jira(state, url)


@pytest.fixture
def jira() -> Iterator[Jira]:
    yield from _serve(JiraState("Server"))


def test_a_release_creates_searches_transitions_comments_and_releases_the_version(local: Deployment,
                                                                                  jira: Jira) -> None:
    for n in range(60):  # more than one page: the stand-in caps pages at 50 as Jira does
        jira.state.add_issue("REL", f"change {n}", status="In Progress" if n < 3 else "Done")
    local.start_engine()
    local.builtin("jira", **jira.env())

    process_id = local.launch("jira-release", version="2026.12")

    fields = local.wait(process_id, "done").state.fields
    assert fields["jira_version"]["created"] is True
    assert fields["found"]["count"] == 60
    assert fields["closed"] == {"to": "Done", "transitioned": ["REL-1", "REL-2", "REL-3"], "skipped": []}
    assert fields["comment"]["created"] is True
    assert fields["released"]["changed"] is True
    version = jira.state.version("REL", "2026.12")
    assert version is not None
    assert (version.released, version.release_date, version.description) == (True, "2026-12-25", "Release 2026.12")
    assert {i.status for i in jira.state.issues.values()} == {"Done"}
    assert jira.state.issues["REL-1"].comments[0].body.startswith("Released in 2026.12\n\n(boss-ref ")
    assert jira.state.calls("GET", "/rest/api/2/search") >= 3  # the search read two pages, the transition one


def test_a_bad_token_fails_the_step_for_good_with_jiras_message(local: Deployment, jira: Jira) -> None:
    local.start_engine()
    local.builtin("jira", **jira.env(BOSS_JIRA_TOKEN="expired"))

    process_id = local.launch("jira-version", version="2026.12")

    row = local.wait(process_id, "error")
    assert row.error_step == "create-version"
    assert row.error_message == ("Jira refused reading the versions of project REL with HTTP 401: You are not "
                                 "authenticated. Authentication required to perform this operation. (check the "
                                 "token (and the user, for Cloud))")
    failures = local.records(process_id, "step.failed")
    assert len(failures) == 1, "a permanent error is not retried"
    assert failures[0].data["error"]["type"] == "JiraRefused"
    assert jira.state.calls("GET", VERSIONS) == 1


def test_jira_answering_503_twice_is_retried_by_the_step_and_the_version_created_once(local: Deployment,
                                                                                       jira: Jira) -> None:
    jira.state.fail_next(503, times=2, path=VERSIONS)
    local.start_engine()
    local.builtin("jira", **jira.env())

    process_id = local.launch("jira-version", version="2026.12")

    fields = local.wait(process_id, "done").state.fields
    assert fields["jira_version"]["created"] is True
    retried = local.records(process_id, "step.failed")
    assert [r.data["handling"] for r in retried] == ["retry", "retry"]
    assert {r.data["error"]["type"] for r in retried} == {"JiraUnavailable"}
    assert [v.name for v in jira.state.versions_of("REL")] == ["2026.12"]


def test_a_crash_after_jira_created_the_version_does_not_create_a_second_one(local: Deployment,
                                                                             jira: Jira) -> None:
    held = jira.state.hold("POST", "/rest/api/2/version")  # Jira creates it; the daemon never hears back
    local.start_engine()
    first = local.builtin("jira", **jira.env())
    process_id = local.launch("jira-version", version="2026.12")
    assert held.reached.wait(20), "the daemon did not create the version"

    first.kill()  # kill -9 between Jira's work and the reply
    held.release()
    local.builtin("jira", **jira.env())

    fields = local.wait(process_id, "done", timeout=40).state.fields
    assert fields["jira_version"]["created"] is False  # the second attempt found the first one's version
    assert len(jira.state.versions_of("REL")) == 1
    assert jira.state.calls("POST", "/rest/api/2/version") == 1


def test_two_processes_racing_for_one_version_create_it_once(local: Deployment, jira: Jira) -> None:
    held = jira.state.hold("GET", VERSIONS)  # both look before either creates: a real race
    local.start_engine()
    local.builtin("jira", "--concurrency", "2", **jira.env())

    first = local.launch("jira-version", version="2026.12")
    second = local.launch("jira-version", version="2026.12")
    wait_for(lambda: jira.state.calls("GET", VERSIONS) == 2, 20, "both steps to look for the version")
    held.release()

    results = [local.wait(pid, "done").state.fields["jira_version"] for pid in (first, second)]
    assert sorted(r["created"] for r in results) == [False, True]
    assert results[0]["id"] == results[1]["id"]
    assert len(jira.state.versions_of("REL")) == 1
    assert jira.state.calls("POST", "/rest/api/2/version") == 2  # the loser's 400 was read as "exists already"
