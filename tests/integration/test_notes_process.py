"""The notes participant in real process runs: engine + ``skynet run notes`` + real git repositories + Jira stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from standins.jira import JiraState, create_app
from standins.server import serve
from tests.integration.conftest import Daemon, Deployment
from tests.participants.notes_git import GitRepo


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Two repositories as the notes daemon finds them under its workdir."""
    api = GitRepo(tmp_path / "repos" / "acme" / "api", remote="https://github.com/acme/api.git")
    api.commit("initial commit")
    api.tag("v2026.11")
    api.merge_pr(21, "feat(auth): single sign-on")
    api.commit("fix: no crash without a token")
    api.branch("integration2026.12")
    web = GitRepo(tmp_path / "repos" / "acme" / "web", remote="git@github.com:acme/web.git")
    web.commit("initial commit")
    web.tag("v2026.11")
    web.commit("feat: dark mode (#5)")
    web.commit("docs: screenshots")
    web.branch("integration2026.12")
    return tmp_path / "repos"


@pytest.fixture
def jira() -> Iterator[tuple[JiraState, str]]:
    """The Jira stand-in with two issues fixed in REL 2026.12."""
    state = JiraState()
    state.add_project("REL")
    state.add_version("REL", "2026.12")
    state.add_issue("REL", "Single sign-on", fix_version="2026.12", issuetype="Story", status="Done")
    state.add_issue("REL", "Crash without a token", fix_version="2026.12", issuetype="Bug", status="Done")
    with serve(create_app(state)) as url:
        yield state, url


def start(local: Deployment, workdir: Path, jira_url: str, token: str = "t") -> Daemon:
    return local.builtin("notes", BOSS_NOTES_WORKDIR=str(workdir), BOSS_NOTES_OUTPUT_DIR=str(workdir.parent / "out"),
                         BOSS_NOTES_JIRA_URL=jira_url, BOSS_NOTES_JIRA_TOKEN=token)


def test_a_process_makes_notes_for_two_repositories_and_writes_the_file_after_a_jira_outage(
        local: Deployment, workdir: Path, jira: tuple[JiraState, str]) -> None:
    state, url = jira
    local.start_engine()
    start(local, workdir, url)
    state.fail_next(503, times=1, path="*/search")

    row = local.wait(local.launch("notes-release", repos=["acme/api", "acme/web"], target="integration2026.12",
                                  version="2026.12"), "done")

    fields = row.state.fields
    notes = fields["release_notes"]
    assert notes["counts"] == {"features": 2, "fixes": 1, "other": 1}
    assert notes["issues"] == 2
    assert notes["repos"]["acme/api"]["from"] == "v2026.11" and notes["repos"]["acme/web"]["commits"] == 2
    markdown = notes["markdown"]
    assert markdown.startswith("# Release 2026.12\n\nReleased 2026-12-25.\n\n## Features\n\n")
    assert "- **auth:** single sign-on ([acme/api#21](https://github.com/acme/api/pull/21)) by Bob Builder" in markdown
    assert "- dark mode ([acme/web#5](https://github.com/acme/web/pull/5)) by Alice Author" in markdown
    assert f"- [REL-2]({url}/browse/REL-2) Crash without a token (Bug, Done)" in markdown
    written = workdir.parent / "out" / "2026.12.md"
    assert notes["file"] == str(written) and written.read_text() == markdown
    assert fields["notes_text"] == markdown
    assert fields["summary"] == "2 features, 1 fixes"
    failures = local.records(row.id, "step.failed")
    assert len(failures) == 1 and "Jira answered 503" in str(failures[0].data), "the 5xx was retried once"


def test_an_unknown_ref_or_a_bad_jira_token_fails_the_step_for_good_with_the_reason(
        local: Deployment, workdir: Path, jira: tuple[JiraState, str]) -> None:
    _, url = jira
    local.start_engine()
    daemon = start(local, workdir, url)

    row = local.wait(local.launch("notes-release", repos=["acme/api", "acme/web"], target="integration2027.01",
                                  version="2027.01"), "error")

    assert row.error_step == "release-notes"
    assert row.error_message == ("repo acme/api: unknown ref 'integration2027.01' (to): no branch, tag or commit "
                                 "of that name")
    assert len(local.records(row.id, "step.failed")) == 1, "a permanent error is not retried"
    assert not (workdir.parent / "out" / "2027.01.md").exists()

    daemon.stop()
    start(local, workdir, url, token="revoked")
    row = local.wait(local.launch("notes-release", repos=["acme/web"], version="2026.12"), "error")
    assert row.error_message == ("Jira answered 401: You are not authenticated. Authentication required to perform "
                                 "this operation.")
    assert len(local.records(row.id, "step.failed")) == 1
