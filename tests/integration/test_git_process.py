"""git steps in real process runs: ``boss engine`` + ``skynet run git`` + bare repositories + the GitHub stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from standins.github import GitHubState, create_app
from standins.server import serve
from tests.integration.conftest import Deployment
from tests.participants.test_git import Remotes

REPOS = ["acme/api", "acme/web", "acme/db"]


class Services:
    """The remotes and the GitHub stand-in of one test, and the daemon environment that points at them."""

    def __init__(self, remotes: Remotes, github: GitHubState, url: str, workdir: Path) -> None:
        self.remotes, self.github, self.url, self.workdir = remotes, github, url, workdir

    def env(self, **extra: str) -> dict[str, str]:
        return {"BOSS_GIT_WORKDIR": str(self.workdir), "BOSS_GIT_REMOTE": self.remotes.template,
                "BOSS_GIT_GITHUB_URL": self.url, "BOSS_GIT_TOKEN": self.github.token,
                "BOSS_GIT_COMMITTER_NAME": "Release Bot", "BOSS_GIT_REQUEST_INTERVAL": "0",
                "BOSS_GIT_WRITE_INTERVAL": "0", **extra}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    remotes = Remotes.build(tmp_path, REPOS)
    for repo in REPOS:
        remotes.commit(repo, "main", {"feature.py": "search\n"}, "Add search (#12)")
    github = GitHubState()
    for repo in REPOS:
        github.add_repo(repo)
    with serve(create_app(github)) as url:
        yield Services(remotes, github, url, tmp_path / "work")


def test_a_release_across_three_repositories_merges_tags_pushes_and_publishes_once(
        local: Deployment, services: Services) -> None:
    services.github.fail_next(503, method="POST", path="/releases")
    local.start_engine()
    local.builtin("git", **services.env())

    process_id = local.launch("git-release", version="2026.12", repos=REPOS)

    fields = local.wait(process_id, "done", timeout=60).state.fields
    remotes = services.remotes
    for repo in REPOS:
        assert remotes.sha(repo, "integration2026.12") == remotes.sha(repo, "main")
        assert remotes.parents(repo, "stable")[1] == remotes.sha(repo, "integration2026.12")
        assert remotes.git(remotes.bare(repo), "log", "-1", "--format=%s|%cn", "stable") == (
            "Merge integration2026.12 into stable|Release Bot")
        assert remotes.git(remotes.bare(repo), "cat-file", "-t", "v2026.12") == "tag"
        assert remotes.sha(repo, "v2026.12") == remotes.sha(repo, "stable")
        (release,) = services.github.repo(repo).releases
        assert (release.tag_name, release.name, release.body) == ("v2026.12", "2026.12", "Release 2026.12")
    assert fields["pushed"]["repos"]["acme/api"]["pushed"] == {"refs/heads/stable": "updated",
                                                               "refs/tags/v2026.12": "created"}
    assert [c["subject"] for c in fields["changes"]["repos"]["acme/db"]["commits"]] == [
        "Add search (#12)", "Merge integration2026.12 into stable"]
    assert fields["releases"]["repos"]["acme/web"]["created"] is True
    publish_failures = [r for r in local.records(process_id, "step.failed") if r.step == "publish"]
    assert len(publish_failures) == 1, "the 503 was retried by the step's retry policy"

    again = local.launch("git-release", version="2026.12", repos=REPOS)

    rerun = local.wait(again, "done", timeout=60).state.fields
    for repo in REPOS:
        assert remotes.merges(repo, "stable") == 1
        assert len(services.github.repo(repo).releases) == 1
    assert {r["created"] for r in rerun["branches"]["repos"].values()} == {False}
    assert {r["merged"] for r in rerun["merged"]["repos"].values()} == {False}
    assert {r["created"] for r in rerun["tagged"]["repos"].values()} == {False}
    assert {(r["created"], r["updated"]) for r in rerun["releases"]["repos"].values()} == {(False, False)}


def test_a_merge_conflict_stops_the_release_naming_the_files_and_a_retry_after_the_fix_finishes(
        local: Deployment, services: Services) -> None:
    remotes = services.remotes
    remotes.commit("acme/web", "main", {"app.py": "version = 2\n"}, "Bump on main")
    remotes.commit("acme/web", "stable", {"app.py": "version = 1.1\n"}, "Hotfix on stable")
    local.start_engine()
    local.builtin("git", **services.env())

    process_id = local.launch("git-release", version="2026.12", repos=REPOS)

    row = local.wait(process_id, "error", timeout=60)
    assert row.error_step == "merge-to-stable"
    assert row.error_message == ("merge conflict in 1 of 3 repositories: acme/web: merging integration2026.12 into "
                                 "stable conflicts in app.py")
    assert remotes.parents("acme/web", "stable") == [remotes.git(remotes.bare("acme/web"), "rev-parse", "stable~1")]

    scratch = remotes.scratch("acme/web")  # a developer resolves the conflict on the integration branch
    remotes.git(scratch, "fetch", "--quiet", "origin")
    remotes.git(scratch, "checkout", "--quiet", "-B", "integration2026.12", "origin/integration2026.12")
    remotes.git(scratch, "merge", "--quiet", "-X", "ours", "-m", "Merge stable into integration", "origin/stable")
    remotes.git(scratch, "push", "--quiet", "origin", "integration2026.12")
    local.boss("retry", process_id)

    local.wait(process_id, "done", timeout=60)
    for repo in REPOS:
        assert int(remotes.git(remotes.bare(repo), "rev-list", "--merges", "--first-parent", "--count",
                               "stable")) == 1, "one merge commit on stable, also where the first try merged"
        assert remotes.sha(repo, "v2026.12") == remotes.sha(repo, "stable")


def test_a_bad_token_fails_the_publish_step_for_good_with_githubs_message(
        local: Deployment, services: Services) -> None:
    local.start_engine()
    local.builtin("git", **services.env(BOSS_GIT_TOKEN="expired"))

    process_id = local.launch("git-release", version="2026.12", repos=REPOS)

    row = local.wait(process_id, "error", timeout=60)
    assert (row.error_step, row.error_message) == ("publish", "acme/api: GitHub answered 401: Bad credentials")
    assert len([r for r in local.records(process_id, "step.failed") if r.step == "publish"]) == 1, "not retried"
    assert services.remotes.has("acme/api", "refs/tags/v2026.12"), "the steps before it did their work"
