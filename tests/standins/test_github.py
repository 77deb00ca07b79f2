"""The GitHub stand-in, exercised by the real PyGithub (and by plain requests where headers matter)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from github import Auth, BadCredentialsException, Github, GithubException, UnknownObjectException

from standins.github import GitHubState, create_app
from standins.server import serve


@pytest.fixture
def state() -> GitHubState:
    state = GitHubState()
    state.add_repo("acme/api", files={"app.py": "v1"})
    state.create_branch("acme/api", "stable", "main")
    return state


@pytest.fixture
def url(state: GitHubState) -> Iterator[str]:
    with serve(create_app(state)) as url:
        yield url


def client(url: str, token: str = "test-token", **options: object) -> Github:
    return Github(base_url=url, auth=Auth.Token(token), retry=None, seconds_between_requests=0,
                  seconds_between_writes=0, **options)  # type: ignore[arg-type]


def test_pygithub_works_at_the_root_and_under_api_v3_as_for_github_enterprise(url: str) -> None:
    for base in (url, f"{url}/api/v3"):
        repo = client(base).get_repo("acme/api")
        assert (repo.full_name, repo.default_branch, repo.owner.login) == ("acme/api", "main", "acme")
        assert repo.url == f"{base}/repos/acme/api"
        assert repo.get_git_ref("heads/stable").object.sha == repo.get_commit("main").sha
    assert client(url).get_user().login == "boss-bot"


def test_tokens_are_checked_with_githubs_401_bodies(url: str) -> None:
    with pytest.raises(BadCredentialsException) as bad:
        client(url, token="wrong").get_repo("acme/api")
    anonymous = requests.get(f"{url}/repos/acme/api", timeout=5)

    assert bad.value.data["message"] == "Bad credentials"
    assert (anonymous.status_code, anonymous.json()["message"]) == (401, "Requires authentication")
    bearer = requests.get(f"{url}/user", headers={"Authorization": "Bearer test-token"}, timeout=5)
    assert bearer.status_code == 200 and bearer.headers["X-RateLimit-Limit"] == "5000"


def test_missing_things_are_404_not_found_and_unknown_paths_too(url: str) -> None:
    repo = client(url).get_repo("acme/api")

    with pytest.raises(UnknownObjectException):
        client(url).get_repo("acme/nope")
    with pytest.raises(UnknownObjectException):
        repo.get_release("v9")
    unknown = requests.get(f"{url}/repos/acme/api/hooks", headers={"Authorization": "token test-token"}, timeout=5)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Not Found")


def test_refs_are_created_once_then_422_reference_already_exists(url: str, state: GitHubState) -> None:
    repo = client(url).get_repo("acme/api")
    sha = state.repo("acme/api").branches["main"]

    created = repo.create_git_ref("refs/heads/integration1", sha)
    with pytest.raises(GithubException) as again:
        repo.create_git_ref("refs/heads/integration1", sha)

    assert (created.ref, created.object.sha) == ("refs/heads/integration1", sha)
    assert (again.value.status, again.value.data["message"]) == (422, "Reference already exists")
    with pytest.raises(GithubException) as unknown:
        _ = repo.get_commit("nope").sha
    assert (unknown.value.status, unknown.value.data["message"]) == (422, "No commit found for SHA: nope")


def test_matching_refs_lists_the_tags_of_a_prefix_sorted_and_none_for_an_unmatched_one(url: str,
                                                                                    state: GitHubState) -> None:
    repo = client(url).get_repo("acme/api")
    main, stable = state.repo("acme/api").branches["main"], state.commit("acme/api", "stable", "fix", {"a.py": "1"})
    with state.lock:
        state.repo("acme/api").tags.update({"v2026.12": stable, "v2026.11": main, "old-1": main})

    tags = [(r.ref, r.object.sha, r.object.type) for r in repo.get_git_matching_refs("tags/v")]

    assert tags == [("refs/tags/v2026.11", main, "commit"), ("refs/tags/v2026.12", stable, "commit")]
    assert list(repo.get_git_matching_refs("tags/release-")) == []
    assert [r.ref for r in repo.get_git_matching_refs("heads/")] == ["refs/heads/main", "refs/heads/stable"]
    missing = requests.get(f"{url}/repos/acme/nope/git/matching-refs/tags/v",
                           headers={"Authorization": "token test-token"}, timeout=5)
    assert (missing.status_code, missing.json()["message"]) == (404, "Not Found")


def test_merges_answer_201_204_and_409_as_githubs_merges_api(url: str, state: GitHubState) -> None:
    state.create_branch("acme/api", "feature", "main")
    state.commit("acme/api", "feature", "Feature", {"feature.py": "1"})
    state.create_branch("acme/api", "clash", "main")
    state.commit("acme/api", "clash", "Clash", {"app.py": "v2"})
    state.commit("acme/api", "stable", "Hotfix", {"app.py": "v1.1"})
    repo = client(url).get_repo("acme/api")

    merged = repo.merge("stable", "feature", "Merge feature")
    nothing = repo.merge("stable", "feature")
    with pytest.raises(GithubException) as conflict:
        repo.merge("stable", "clash")

    assert merged is not None and [p.sha for p in merged.parents][1] == state.repo("acme/api").branches["feature"]
    assert state.repo("acme/api").commits[merged.sha].tree["app.py"] == "v1.1"
    assert nothing is None
    assert (conflict.value.status, conflict.value.data["message"]) == (409, "Merge conflict")


def test_compare_tells_ahead_behind_diverged_and_identical_with_the_changed_files(url: str, state: GitHubState) -> None:
    state.commit("acme/api", "main", "On main", {"a.py": "1"})
    repo = client(url).get_repo("acme/api")
    assert repo.compare("stable", "main").status == "ahead"
    assert repo.compare("main", "stable").status == "behind"
    assert repo.compare("main", "main").status == "identical"
    state.commit("acme/api", "stable", "On stable", {"b.py": "1"})

    diverged = repo.compare("stable", "main")

    assert (diverged.status, diverged.ahead_by, diverged.behind_by) == ("diverged", 1, 1)
    assert [c.commit.message for c in diverged.commits] == ["On main"]
    assert [(f.filename, f.status) for f in diverged.files] == [("a.py", "added")]


def test_lists_paginate_with_link_headers_that_pygithub_follows(url: str, state: GitHubState) -> None:
    repo = client(url, per_page=10).get_repo("acme/api")
    for n in range(25):
        repo.create_git_release(f"v{n}", name=f"v{n}", message="")

    releases = list(repo.get_releases())
    first = requests.get(f"{url}/repos/acme/api/releases?per_page=10", timeout=5,
                         headers={"Authorization": "token test-token"})

    assert [r.tag_name for r in releases] == [f"v{n}" for n in reversed(range(25))]
    assert first.links["next"]["url"].endswith("page=2&per_page=10")
    assert first.links["last"]["url"].endswith("page=3&per_page=10")
    assert len(state.calls("GET", "/releases")) == 4


def test_pull_requests_filter_by_state_head_and_base(url: str, state: GitHubState) -> None:
    state.create_branch("acme/api", "feature", "main")
    state.commit("acme/api", "feature", "Feature", {"f.py": "1"})
    repo = client(url).get_repo("acme/api")

    opened = repo.create_pull(base="stable", head="feature", title="Feature", body="")
    with pytest.raises(GithubException) as twice:
        repo.create_pull(base="stable", head="feature", title="Feature", body="")
    state.merge_pull("acme/api", opened.number)

    assert [p.number for p in repo.get_pulls(state="all", head="acme:feature", base="stable")] == [opened.number]
    assert list(repo.get_pulls(state="open")) == []
    assert twice.value.data["errors"][0]["message"] == "A pull request already exists for acme:feature."
    assert state.repo("acme/api").commits[state.repo("acme/api").branches["stable"]].message.startswith(
        "Merge pull request #1 from acme/feature")


def test_a_draft_release_has_no_tag_and_is_not_found_by_it_until_published(url: str, state: GitHubState) -> None:
    repo = client(url).get_repo("acme/api")

    draft = repo.create_git_release("v1", name="v1", message="notes", draft=True)
    with pytest.raises(UnknownObjectException):
        repo.get_release("v1")
    assert "v1" not in state.repo("acme/api").tags
    draft.update_release(name="v1", message="notes", draft=False)

    assert repo.get_release("v1").id == draft.id
    assert state.repo("acme/api").tags["v1"] == state.repo("acme/api").branches["main"]


def test_injected_faults_answer_as_github_does_then_stop(url: str, state: GitHubState) -> None:
    state.fail_next(503, times=2, path="/repos/acme/api")
    state.fail_next(429, retry_after=7, path="/user")
    headers = {"Authorization": "token test-token"}

    statuses = [requests.get(f"{url}/repos/acme/api", headers=headers, timeout=5).status_code for _ in range(3)]
    limited = requests.get(f"{url}/user", headers=headers, timeout=5)

    assert statuses == [503, 503, 200]
    assert (limited.status_code, limited.headers["Retry-After"], limited.headers["X-RateLimit-Remaining"]) == (
        429, "7", "0")
    assert limited.json()["message"].startswith("API rate limit exceeded")
    assert [c.status for c in state.calls(path="/repos/acme/api")] == [503, 503, 200]
