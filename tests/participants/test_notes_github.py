"""The notes participant against the GitHub stand-in through PyGithub: ``source: github`` and ``publish``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from participants.notes import Notes
from skynet.testing import RunResult, run
from standins.github import GitHubState, PullRequest, Release, create_app
from standins.server import serve


@pytest.fixture
def github() -> Iterator[tuple[GitHubState, dict[str, Any]]]:
    """acme/api on the stand-in: a release tag, a commit, a merged pull request, a squash, an integration branch."""
    state = GitHubState()
    repo = state.add_repo("acme/api")
    with state.lock:
        repo.tags["v2026.11"] = repo.branches["main"]
    state.commit("acme/api", "main", "feat(auth): tokens", {"auth.py": "tokens"})
    state.create_branch("acme/api", "fix-crash", "main")
    state.commit("acme/api", "fix-crash", "wip", {"list.py": "1"}, author=("Bob Builder", "bob@example.com"))
    state.commit("acme/api", "fix-crash", "more wip", {"list.py": "2"}, author=("Bob Builder", "bob@example.com"))
    with state.lock:
        repo.pulls.append(PullRequest(id=state.next_id(), number=5, title="fix: no crash on an empty list", body="",
                                      head="fix-crash", base="main", user="bob"))
    state.merge_pull("acme/api", 5)
    state.commit("acme/api", "main", "docs: tokens (#4)", {"README.md": "tokens"})
    state.create_branch("acme/api", "integration2026.12", "main")
    with serve(create_app(state)) as url:
        yield state, {"source": "github", "github_url": url, "github_token": state.token}


def notes(config: dict[str, Any], **params: Any) -> RunResult:
    return run(Notes, params={"repos": ["acme/api"], "from": "v2026.11", "to": "integration2026.12",
                              "version": "2026.12", "date": "2026-12-25", **params}, config=config)


def error_of(outcome: RunResult) -> Any:
    assert outcome.error is not None, f"expected an error, got result {outcome.result!r}"
    return outcome.error


def test_the_range_comes_from_the_comparison_with_pull_requests_read_for_title_and_author(github):
    state, config = github
    outcome = notes(config)
    assert outcome.ok, outcome.error
    url = config["github_url"]
    markdown = outcome.result["markdown"]
    assert "- crash" not in markdown and "wip" not in markdown
    assert f"- no crash on an empty list ([#5]({url}/acme/api/pull/5)) by [@bob]({url}/bob)" in markdown
    assert "- **auth:** tokens ([" in markdown and f"by [@alice]({url}/alice)" in markdown
    assert f"- docs: tokens ([#4]({url}/acme/api/pull/4)) by alice" in markdown  # #4 is unknown: the commit speaks
    assert outcome.result["counts"] == {"features": 1, "fixes": 1, "other": 1}
    assert outcome.result["repos"]["acme/api"]["commits"] == 5
    assert f"[5]({url}/acme/api/compare/v2026.11...integration2026.12)" in markdown
    assert state.calls("GET", "/pulls/5") and not state.calls("POST")


def test_without_first_parent_every_commit_but_no_merge_is_listed(github):
    _, config = github
    outcome = notes(config, first_parent=False)
    assert outcome.result["repos"]["acme/api"]["changes"] == 4
    assert "\n- wip (" in outcome.result["markdown"] and "Merge pull request" not in outcome.result["markdown"]


def test_an_empty_from_is_the_nearest_v_tag_below_to_found_by_matching_refs(github):
    state, config = github
    repo = state.repo("acme/api")
    state.create_branch("acme/api", "hotfix", "main")
    elsewhere = state.commit("acme/api", "hotfix", "fix: elsewhere", {"hot.py": "1"})
    with state.lock:
        repo.tags["v2026.12"] = repo.branches["integration2026.12"]  # on `to`: the release being made
        repo.tags["v2027.01"] = elsewhere  # not below `to`
        repo.tags["build-7"] = repo.commits[repo.branches["main"]].parents[0]  # nearer, but not v*
    explicit = notes(config)
    outcome = notes(config, **{"from": ""})
    assert outcome.ok, outcome.error
    found = outcome.result["repos"]["acme/api"]
    assert (found["from"], found["from_sha"], found["commits"]) == ("v2026.11", repo.tags["v2026.11"], 5)
    assert outcome.result["markdown"] == explicit.result["markdown"]
    assert state.calls("GET", "/git/matching-refs/tags/v")


def test_an_unknown_ref_names_the_repository_and_the_ref(github):
    _, config = github
    error = error_of(notes(config, to="integration2027.01"))
    assert (error.type, error.retryable) == ("UnknownRef", False)
    assert error.message == ("repo acme/api: unknown ref 'integration2027.01' (to): no branch, tag or commit of "
                             "that name")


def test_a_bad_token_and_an_unknown_repository_are_permanent_with_githubs_message(github):
    _, config = github
    bad = error_of(notes({**config, "github_token": "revoked"}))
    assert (bad.type, bad.retryable, bad.message) == (
        "GitHubRefused", False, "repo acme/api: GitHub answered 401: Bad credentials")
    missing = error_of(notes(config, repos=["acme/nothing"]))
    assert missing.message == "repo acme/nothing: GitHub answered 404: Not Found"


def test_github_5xx_and_rate_limits_are_retryable_and_retry_after_is_waited_out(github):
    state, config = github
    state.fail_next(502, path="/compare/")
    failing = error_of(notes(config))
    assert (failing.type, failing.retryable) == ("GitHubUnavailable", True)
    assert failing.message.startswith("repo acme/api: GitHub answered 502")
    state.fail_next(429, path="/compare/", retry_after=1)
    started = time.monotonic()
    limited = error_of(notes(config))
    assert (limited.type, limited.retryable) == ("GitHubUnavailable", True)
    assert time.monotonic() - started >= 1
    assert notes(config).ok


def test_source_github_without_a_token_stops_setup():
    from skynet.errors import ConfigError
    with pytest.raises(ConfigError, match="source: github needs github_token"):
        Notes().setup({"source": "github"})


# ---- publish ---------------------------------------------------------------------------------------------------
def test_publishing_creates_the_release_of_the_tag_once_and_a_rerun_changes_nothing(github):
    state, config = github
    repo = state.repo("acme/api")
    with state.lock:
        repo.tags["v2026.12"] = repo.branches["integration2026.12"]
    publish = {"repo": "acme/api", "tag": "v2026.12"}
    first = notes(config, publish=publish)
    assert first.ok, first.error
    (release,) = repo.releases
    assert (release.tag_name, release.name, release.body) == ("v2026.12", "Release 2026.12", first.result["markdown"])
    assert first.result["release"] == f"{config['github_url']}/acme/api/releases/tag/v2026.12"
    again = notes(config, publish=publish)
    assert again.result["release"] == first.result["release"]
    assert len(repo.releases) == 1 and len(state.calls("POST", "/releases")) == 1
    assert not state.calls("PATCH")


def test_publishing_updates_the_body_of_an_existing_release_even_a_draft(github):
    state, config = github
    repo = state.repo("acme/api")
    with state.lock:
        repo.releases.append(Release(id=state.next_id(), tag_name="v2026.12", target_commitish="main",
                                     name="2026.12 (draft)", body="to be written", draft=True, prerelease=False,
                                     author="boss-bot"))
    outcome = notes(config, publish={"repo": "acme/api", "tag": "v2026.12"})
    assert outcome.ok, outcome.error
    (release,) = repo.releases
    assert (release.name, release.draft, release.body) == ("2026.12 (draft)", True, outcome.result["markdown"])


def test_publishing_never_creates_a_release_for_a_tag_that_does_not_exist(github):
    state, config = github
    missing = error_of(notes(config, publish={"repo": "acme/api", "tag": "v2099.01"}))
    assert (missing.type, missing.retryable) == ("GitHubRefused", False)
    assert missing.message == ("publish to acme/api v2099.01: tag v2099.01 does not exist in acme/api: "
                               "tag the release first")
    refused = error_of(notes(config, publish={"repo": "acme/api", "tag": "v2026.11", "create": False}))
    assert refused.message == "publish to acme/api v2026.11: no release for tag v2026.11 (and create is false)"
    assert state.repo("acme/api").releases == []


def test_publishing_without_a_github_token_is_refused(tmp_path):
    from tests.participants.notes_git import GitRepo
    GitRepo(tmp_path / "web").commit("feat: x")
    outcome = run(Notes, params={"repos": ["web"], "version": "1", "publish": {"repo": "acme/web", "tag": "v1"}},
                  config={"workdir": str(tmp_path)})
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("NotConfigured", False)
    assert "publish needs github_token" in error.message
