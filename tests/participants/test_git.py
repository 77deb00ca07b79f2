"""The git participant on real repositories (bare remotes in tmp_path) and against the GitHub stand-in."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.transport.messages import ErrorBody
from participants.git import Git
from participants.git.command import GitRunner
from participants.git.repos import commits_between
from skynet.errors import Cancelled, ConfigError
from skynet.loader import load_participant
from skynet.testing import RunResult, run
from standins.github import GitHubState, create_app
from standins.server import free_port, serve

ETC = Path(__file__).parents[2] / "etc" / "participants" / "git.yaml"
REPOS = ["acme/api", "acme/web", "acme/db"]
IDENTITY = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.com"}


class Remotes:
    """Bare repositories standing in for the real remotes, and a scratch clone per repository to commit in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**os.environ, **IDENTITY}

    @classmethod
    def build(cls, root: Path, repos: list[str]) -> Remotes:
        """Make each repository: main with a README and app.py, and stable at the same commit."""
        remotes = cls(root)
        for repo in repos:
            remotes.git(None, "init", "--quiet", "--bare", "--initial-branch=main", str(remotes.bare(repo)))
            remotes.commit(repo, "main", {"README.md": f"# {repo}\n", "app.py": "version = 1\n"}, "Initial commit")
            remotes.git(remotes.scratch(repo), "push", "--quiet", "origin", "main:stable")
        shutil.rmtree(root / "scratch")
        return remotes

    def copy(self, root: Path) -> Remotes:
        """The same remotes in another directory (cheaper than building them for every test)."""
        shutil.copytree(self.root / "remotes", root / "remotes")
        return Remotes(root)

    @property
    def template(self) -> str:
        """The ``remote`` config value for these remotes."""
        return f"file://{self.root}/remotes/{{repo}}.git"

    def bare(self, repo: str) -> Path:
        return self.root / "remotes" / f"{repo}.git"

    def scratch(self, repo: str) -> Path:
        return self.root / "scratch" / repo

    def git(self, path: Path | None, *args: str) -> str:
        argv = ["git", *(["-C", str(path)] if path else []), *args]
        return subprocess.run(argv, check=True, capture_output=True, text=True, env=self.env).stdout.strip()

    def commit(self, repo: str, branch: str, files: dict[str, str], message: str) -> str:
        """Commit ``files`` on ``branch`` of the remote (as a developer would: clone, commit, push)."""
        scratch = self.scratch(repo)
        if scratch.exists():
            self.git(scratch, "fetch", "--quiet", "origin")
        else:
            self.git(None, "clone", "--quiet", str(self.bare(repo)), str(scratch))
        start = [f"origin/{branch}"] if self.git(scratch, "branch", "--remotes", "--list", f"origin/{branch}") else []
        self.git(scratch, "checkout", "--quiet", "-B", branch, *start)
        for name, text in files.items():
            (scratch / name).write_text(text)
        self.git(scratch, "add", "--all")
        self.git(scratch, "commit", "--quiet", "--allow-empty", "-m", message)
        self.git(scratch, "push", "--quiet", "origin", f"{branch}:{branch}")
        return self.sha(repo, branch)

    def sha(self, repo: str, ref: str) -> str:
        return self.git(self.bare(repo), "rev-parse", f"{ref}^{{commit}}")

    def has(self, repo: str, ref: str) -> bool:
        return subprocess.run(["git", "-C", str(self.bare(repo)), "rev-parse", "--verify", "--quiet", ref],
                              check=False, capture_output=True).returncode == 0

    def parents(self, repo: str, ref: str) -> list[str]:
        return self.git(self.bare(repo), "rev-list", "--parents", "-n1", ref).split()[1:]

    def merges(self, repo: str, ref: str) -> int:
        return int(self.git(self.bare(repo), "rev-list", "--merges", "--count", ref))


@pytest.fixture(scope="session")
def remotes_template(tmp_path_factory: pytest.TempPathFactory) -> Remotes:
    return Remotes.build(tmp_path_factory.mktemp("git-remotes"), REPOS)


@pytest.fixture
def remotes(remotes_template: Remotes, tmp_path: Path) -> Remotes:
    return remotes_template.copy(tmp_path)


@pytest.fixture
def config(remotes: Remotes, tmp_path: Path) -> dict[str, Any]:
    return {"workdir": str(tmp_path / "work"), "remote": remotes.template, "committer_name": "Release Bot",
            "committer_email": "release@example.com"}


def error_of(outcome: RunResult) -> ErrorBody:
    assert outcome.error is not None, f"expected an error, got {outcome.result}"
    return outcome.error


def clone_state(config: dict[str, Any], repo: str) -> tuple[str, str, bool]:
    """(git status --porcelain, the symbolic HEAD or '', whether a merge is in progress) of a clone."""
    path = Path(config["workdir"]) / repo
    status = subprocess.run(["git", "-C", str(path), "status", "--porcelain"], check=True, capture_output=True,
                            text=True).stdout
    head = subprocess.run(["git", "-C", str(path), "symbolic-ref", "-q", "HEAD"], check=False, capture_output=True,
                          text=True)
    return status, head.stdout.strip(), (path / ".git" / "MERGE_HEAD").exists()


# ---- fetch and branch -----------------------------------------------------------------------------------
def test_fetch_clones_each_repository_once_and_then_fetches(config: dict[str, Any]) -> None:
    first = run(Git, params={"action": "fetch", "repos": REPOS}, config=config)
    again = run(Git, params={"action": "clone", "repos": REPOS}, config=config)
    fresh = run(Git, params={"action": "fetch", "repos": ["acme/api"], "fresh": True}, config=config)

    assert {repo: r["cloned"] for repo, r in first.result["repos"].items()} == dict.fromkeys(REPOS, True)
    assert {repo: r["cloned"] for repo, r in again.result["repos"].items()} == dict.fromkeys(REPOS, False)
    assert fresh.result["repos"]["acme/api"]["cloned"] is True
    assert first.progress[0] == {"message": "fetch acme/api", "repo": "acme/api", "done": 0, "total": 3}
    assert first.progress[-1] == {"message": "fetch done", "done": 3, "total": 3}


def test_a_branch_is_cut_from_main_in_every_repository_and_pushed(remotes: Remotes, config: dict[str, Any]) -> None:
    outcome = run(Git, params={"action": "branch", "repos": REPOS, "branch": "integration2026.12", "from": "main",
                               "push": True}, config=config)

    assert outcome.ok, outcome.error
    for repo in REPOS:
        assert remotes.sha(repo, "integration2026.12") == remotes.sha(repo, "main")
        assert outcome.result["repos"][repo] == {
            "branch": "integration2026.12", "sha": remotes.sha(repo, "main"), "created": True,
            "pushed": {"refs/heads/integration2026.12": "created"}}


def test_cutting_a_branch_again_after_a_crash_creates_nothing_even_when_main_moved_on(
        remotes: Remotes, config: dict[str, Any]) -> None:
    params = {"action": "branch", "repos": REPOS, "branch": "integration2026.12", "from": "main", "push": True}
    cut = run(Git, params=params, config=config).result["repos"]["acme/api"]["sha"]
    remotes.commit("acme/api", "main", {"late.txt": "late\n"}, "A commit after the freeze")

    again = run(Git, params=params, config=config)

    assert again.ok, again.error
    assert again.result["repos"]["acme/api"] == {"branch": "integration2026.12", "sha": cut, "created": False,
                                                 "pushed": {"refs/heads/integration2026.12": "up to date"}}
    assert remotes.sha("acme/api", "integration2026.12") == cut


def test_a_branch_that_exists_on_another_line_of_history_is_a_permanent_conflict(
        remotes: Remotes, config: dict[str, Any]) -> None:
    remotes.commit("acme/web", "integration2026.12", {"other.txt": "x\n"}, "Someone else's branch")
    remotes.commit("acme/web", "main", {"app.py": "version = 2\n"}, "main moves on")

    error = error_of(run(Git, params={"action": "branch", "repos": REPOS, "branch": "integration2026.12",
                                      "from": "main"}, config=config))

    assert (error.type, error.retryable) == ("RefConflict", False)
    assert error.message.startswith("acme/web: branch integration2026.12 exists at ")
    assert "not on the history of main" in error.message
    assert "(done: acme/api; a retry finishes the rest)" in error.message
    assert error.detail["done"].keys() == {"acme/api"}
    assert error.detail["pending"] == ["acme/db"]


# ---- merge ----------------------------------------------------------------------------------------------
def test_merge_makes_one_merge_commit_per_repository_and_a_rerun_makes_none(
        remotes: Remotes, config: dict[str, Any]) -> None:
    for repo in REPOS:
        remotes.commit(repo, "integration2026.12", {"feature.txt": "new\n"}, "Add the feature (#12)")
    params = {"action": "merge", "repos": REPOS, "source": "integration2026.12", "target": "stable", "push": True}

    merged = run(Git, params=params, config=config)
    again = run(Git, params=params, config=config)

    assert merged.ok and again.ok, (merged.error, again.error)
    for repo in REPOS:
        assert remotes.merges(repo, "stable") == 1
        first, second = remotes.parents(repo, "stable")
        assert second == remotes.sha(repo, "integration2026.12")
        assert merged.result["repos"][repo]["target_before"] == first
        assert remotes.git(remotes.bare(repo), "log", "-1", "--format=%s|%cn", "stable") == (
            "Merge integration2026.12 into stable|Release Bot")
        assert again.result["repos"][repo]["merged"] is False
        assert again.result["repos"][repo]["sha"] == remotes.sha(repo, "stable")


def test_a_merge_conflict_names_the_files_per_repository_merges_the_rest_and_leaves_clones_clean(
        remotes: Remotes, config: dict[str, Any]) -> None:
    for repo in REPOS:
        remotes.commit(repo, "integration2026.12", {"app.py": "version = 2\n"}, "Bump on integration")
    for repo in ("acme/api", "acme/db"):
        remotes.commit(repo, "stable", {"app.py": "version = 1.1\n"}, "Hotfix on stable")

    outcome = run(Git, params={"action": "merge", "repos": REPOS, "source": "integration2026.12",
                               "target": "stable"}, config=config)

    error = error_of(outcome)
    assert (error.type, error.retryable) == ("MergeConflict", False)
    assert error.message == ("merge conflict in 2 of 3 repositories: acme/api: merging integration2026.12 into "
                             "stable conflicts in app.py; acme/db: merging integration2026.12 into stable "
                             "conflicts in app.py")
    assert error.detail["conflicts"] == {"acme/api": ["app.py"], "acme/db": ["app.py"]}
    assert error.detail["done"]["acme/web"]["merged"] is True
    for repo in REPOS:
        assert clone_state(config, repo) == ("", "", False)


def test_a_merge_left_half_done_by_a_killed_daemon_is_repaired_by_the_next_step(
        remotes: Remotes, config: dict[str, Any]) -> None:
    remotes.commit("acme/api", "integration2026.12", {"app.py": "version = 2\n"}, "Bump")
    remotes.commit("acme/api", "stable", {"app.py": "version = 1.1\n"}, "Hotfix")
    run(Git, params={"action": "fetch", "repos": ["acme/api"]}, config=config)
    clone = Path(config["workdir"]) / "acme/api"
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "-B", "stable", "origin/stable"], check=True)
    conflicted = subprocess.run(["git", "-C", str(clone), "merge", "origin/integration2026.12"], check=False,
                                capture_output=True, env={**os.environ, **IDENTITY})
    assert conflicted.returncode == 1
    (clone / ".git" / "index.lock").write_text("")
    assert clone_state(config, "acme/api")[2], "the merge is in progress, as a kill -9 would leave it"

    outcome = run(Git, params={"action": "tag", "repos": ["acme/api"], "tag": "v1", "ref": "stable"},
                  config=config)

    assert outcome.ok, outcome.error
    assert clone_state(config, "acme/api") == ("", "", False)


# ---- tag and push ---------------------------------------------------------------------------------------
def test_an_annotated_tag_is_made_once_and_a_tag_elsewhere_is_a_conflict(
        remotes: Remotes, config: dict[str, Any]) -> None:
    params = {"action": "tag", "repos": REPOS, "tag": "v2026.12", "ref": "stable", "message": "Release 2026.12",
              "push": True}
    tagged = run(Git, params=params, config=config)
    again = run(Git, params=params, config=config)
    remotes.commit("acme/api", "stable", {"fix.txt": "fix\n"}, "A fix after the tag")
    moved = run(Git, params=params, config=config)

    assert [r["created"] for r in tagged.result["repos"].values()] == [True, True, True]
    assert [r["created"] for r in again.result["repos"].values()] == [False, False, False]
    for repo in REPOS:
        assert remotes.git(remotes.bare(repo), "cat-file", "-t", "v2026.12") == "tag"
        assert remotes.git(remotes.bare(repo), "tag", "-l", "--format=%(contents:subject)|%(taggername)",
                           "v2026.12") == "Release 2026.12|Release Bot"
    error = error_of(moved)
    assert (error.type, error.retryable) == ("RefConflict", False)
    assert error.message.startswith("acme/api: tag v2026.12 exists at ")


def test_push_sends_branches_and_tags_atomically_and_a_rerun_is_up_to_date(
        remotes: Remotes, config: dict[str, Any]) -> None:
    run(Git, params={"action": "branch", "repos": ["acme/api"], "branch": "integration1", "from": "main"},
        config=config)
    run(Git, params={"action": "tag", "repos": ["acme/api"], "tag": "v1", "ref": "main"}, config=config)
    params = {"action": "push", "repos": ["acme/api"], "refs": ["integration1", "v1", "refs/heads/main"]}

    pushed = run(Git, params=params, config=config)
    again = run(Git, params=params, config=config)

    assert pushed.result["repos"]["acme/api"]["pushed"] == {
        "refs/heads/integration1": "created", "refs/tags/v1": "created", "refs/heads/main": "up to date"}
    assert set(again.result["repos"]["acme/api"]["pushed"].values()) == {"up to date"}
    assert remotes.has("acme/api", "refs/heads/integration1") and remotes.has("acme/api", "refs/tags/v1")


def test_a_push_the_remote_refuses_is_a_permanent_error_naming_the_ref(
        remotes: Remotes, config: dict[str, Any]) -> None:
    hook = remotes.bare("acme/api") / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'stable is protected' >&2\nexit 1\n")
    hook.chmod(0o755)

    outcome = run(Git, params={"action": "tag", "repos": ["acme/api"], "tag": "v1", "ref": "main", "push": True},
                  config=config)

    error = error_of(outcome)
    assert (error.type, error.retryable) == ("PushRejected", False)
    assert error.message == "acme/api: the remote refused refs/tags/v1 [remote rejected] (pre-receive hook declined)"
    assert not remotes.has("acme/api", "refs/tags/v1")


# ---- failures -------------------------------------------------------------------------------------------
def test_a_ref_that_does_not_exist_stops_the_step_at_that_repository(
        remotes: Remotes, config: dict[str, Any]) -> None:
    remotes.commit("acme/api", "integration1", {"f": "1\n"}, "Only api has it")

    error = error_of(run(Git, params={"action": "merge", "repos": REPOS, "source": "integration1",
                                      "target": "stable"}, config=config))

    assert (error.type, error.retryable) == ("RefNotFound", False)
    assert error.message.startswith("acme/web: no branch, tag or commit named 'integration1'")
    assert error.detail["pending"] == ["acme/db"]


def test_an_unreachable_remote_is_retryable(config: dict[str, Any]) -> None:
    config = {**config, "remote": f"http://127.0.0.1:{free_port()}/{{repo}}.git", "timeout": "20s"}

    error = error_of(run(Git, params={"action": "fetch", "repos": ["acme/api"]}, config=config))

    assert (error.type, error.retryable) == ("GitUnavailable", True)
    assert error.message.startswith("acme/api: git clone failed: ")
    assert "Failed to connect" in error.message or "Connection refused" in error.message


def test_a_missing_repository_is_a_permanent_error(config: dict[str, Any]) -> None:
    error = error_of(run(Git, params={"action": "fetch", "repos": ["acme/nope"]}, config=config))

    assert (error.type, error.retryable) == ("GitFailed", False)
    assert "does not appear to be a git repository" in error.message


def test_names_that_could_be_options_or_paths_are_refused_before_git_runs(config: dict[str, Any]) -> None:
    for params, problem in [
        ({"action": "branch", "repos": ["acme/api"], "branch": "--upload-pack=evil", "from": "main"},
         "branch.branch: Value error, '--upload-pack=evil' is not a valid git ref name"),
        ({"action": "fetch", "repos": ["../../etc"]}, "fetch.repos.0: Value error, '../../etc' is not a repository"),
        ({"action": "merge", "repos": ["acme/api"], "source": "-x", "target": "stable"},
         "merge.source: Value error, '-x' is not a branch, tag or commit"),
        ({"action": "deploy", "repos": ["acme/api"]}, "Input tag 'deploy' found using 'action' does not match"),
    ]:
        error = error_of(run(Git, params=params, config=config))
        assert error.type == "ParticipantError" and problem in error.message
    assert not (Path(config["workdir"])).exists()


# ---- log and the repos helper ---------------------------------------------------------------------------
def test_log_lists_the_commits_between_two_refs_oldest_first(remotes: Remotes, config: dict[str, Any]) -> None:
    remotes.commit("acme/api", "main", {"a.txt": "a\n"}, "Add login (#41)\n\nWith a body.")
    remotes.commit("acme/api", "main", {"b.txt": "b\n"}, "Merge pull request #42 from acme/logout")

    outcome = run(Git, params={"action": "log", "repos": ["acme/api"], "from": "stable", "to": "main"},
                  config=config)

    result = outcome.result["repos"]["acme/api"]
    assert result["count"] == 2
    first, second = result["commits"]
    assert (first["subject"], first["body"], first["author"], first["pull_requests"]) == (
        "Add login (#41)", "With a body.", "Dev", [41])
    assert second["pull_requests"] == [42]
    assert first["date"][:4].isdigit() and first["parents"] == [remotes.sha("acme/api", "stable")]


def test_commits_between_works_on_any_repository_and_an_empty_base_means_all_history(remotes: Remotes) -> None:
    bare = remotes.bare("acme/web")
    remotes.commit("acme/web", "main", {"x": "x\n"}, "Second")

    everything = commits_between(bare, None, "main")
    newest = commits_between(bare, "stable", "main", limit=5)

    assert [c.subject for c in everything] == ["Initial commit", "Second"]
    assert [c.subject for c in newest] == ["Second"]
    assert everything[1].to_dict()["parents"] == [everything[0].sha]


# ---- the git runner -------------------------------------------------------------------------------------
def test_a_cancel_stops_the_running_command_at_once() -> None:
    cancelled = threading.Event()
    runner = GitRunner(env=dict(os.environ), timeout=30, executable="sleep").bound(cancelled)
    threading.Timer(0.2, cancelled.set).start()
    started = time.monotonic()

    with pytest.raises(Cancelled, match="git 30 was cancelled"):
        runner.run(None, "30")

    assert time.monotonic() - started < 5


def test_a_command_that_outlives_its_timeout_is_killed_and_retryable() -> None:
    runner = GitRunner(env=dict(os.environ), timeout=0.3, executable="sleep")

    with pytest.raises(Exception, match=r"timed out after 0\.3s") as raised:
        runner.run(None, "30")

    assert type(raised.value).__name__ == "GitUnavailable"


def test_the_daemons_secrets_never_reach_git_but_the_token_header_does_only_for_token_hosts() -> None:
    from participants.git.command import git_environment

    env = git_environment({"PATH": "/bin", "BOSS_SIGNING_KEY": "s", "BOSS_GIT_TOKEN": "t", "GIT_DIR": "/x"},
                          name="Bot", email="bot@x", token="t0k", token_hosts=["github.com"])

    assert "BOSS_SIGNING_KEY" not in env and "BOSS_GIT_TOKEN" not in env and "GIT_DIR" not in env
    assert (env["GIT_TERMINAL_PROMPT"], env["GIT_COMMITTER_NAME"]) == ("0", "Bot")
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("Authorization: Basic ")
    assert "t0k" not in " ".join(env.values())  # base64-encoded, never plain on a command line


# ---- configuration and registration ---------------------------------------------------------------------
def test_a_bad_config_stops_setup_naming_each_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        Git().setup({"remote": "https://x/{repository}.git", "timeout": "soon", "colour": "red"})

    message = str(raised.value)
    assert message.startswith("git config: ")
    for problem in ("remote: Value error, not a URL template", "timeout: Value error, cannot read duration",
                    "colour: Extra inputs are not permitted"):
        assert problem in message


def test_the_sample_config_is_valid() -> None:
    git = Git()
    git.setup(yaml.safe_load(ETC.read_text()) or {})
    assert git.config.remote_url("acme/api") == "https://github.com/acme/api.git"


def test_skynet_finds_git_as_a_built_in_participant_with_a_schema_per_action() -> None:
    loaded = load_participant("git")
    schema = Git.params_schema()

    assert (loaded.__module__, loaded.__qualname__, loaded.name) == ("participants.git", "Git", "git")
    assert schema is not None and schema["discriminator"]["propertyName"] == "action"
    assert set(schema["discriminator"]["mapping"]) == {"fetch", "clone", "branch", "merge", "tag", "push", "log",
                                                       "gh_branch", "gh_merge", "pull_request", "release", "compare"}
    assert schema["$defs"]["Branch"]["required"] == ["repos", "action", "branch", "from"]


# ---- GitHub actions against the stand-in ----------------------------------------------------------------
@pytest.fixture
def github() -> Iterator[tuple[GitHubState, dict[str, Any]]]:
    state = GitHubState()
    for repo in REPOS:
        state.add_repo(repo)
        state.create_branch(repo, "stable", "main")
    with serve(create_app(state)) as url:
        yield state, {"github_url": url, "token": state.token, "max_wait": "0.2s", "request_interval": 0,
                      "write_interval": 0}


def test_gh_branch_creates_the_branch_once(github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    params = {"action": "gh_branch", "repos": REPOS, "branch": "integration2026.12", "from": "main"}

    first = run(Git, params=params, config=config)
    state.commit("acme/api", "main", "After the freeze", {"late.txt": "late"})
    again = run(Git, params=params, config=config)

    assert [r["created"] for r in first.result["repos"].values()] == [True, True, True]
    assert [r["created"] for r in again.result["repos"].values()] == [False, False, False]
    assert len(state.calls("POST", "/git/refs")) == 3
    for repo in REPOS:
        assert state.repo(repo).branches["integration2026.12"] == first.result["repos"][repo]["sha"]


def test_gh_branch_existing_on_another_line_is_a_conflict(github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    state.create_branch("acme/api", "integration2026.12", "main")
    state.commit("acme/api", "integration2026.12", "Elsewhere", {"x": "1"})
    state.commit("acme/api", "main", "Main moves", {"y": "1"})

    error = error_of(run(Git, params={"action": "gh_branch", "repos": ["acme/api"], "branch": "integration2026.12",
                                      "from": "main"}, config=config))

    assert (error.type, error.retryable) == ("RefConflict", False)
    assert "not on the history of main" in error.message


def test_gh_merge_merges_once_and_a_conflict_names_the_files(github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    for repo in REPOS:
        state.create_branch(repo, "integration1", "main")
        state.commit(repo, "integration1", "Feature", {"feature.py": "new", "app.py": "v2"})
    state.commit("acme/db", "stable", "Hotfix", {"app.py": "v1.1"})
    params = {"action": "gh_merge", "repos": REPOS, "base": "stable", "head": "integration1",
              "message": "Merge integration1 into stable"}

    first = run(Git, params=params, config=config)
    again = run(Git, params={**params, "repos": ["acme/api"]}, config=config)

    error = error_of(first)
    assert (error.type, error.retryable) == ("MergeConflict", False)
    assert error.message == ("merge conflict in 1 of 3 repositories: acme/db: GitHub: Merge conflict merging "
                             "integration1 into stable: files changed on both sides: app.py")
    assert error.detail["conflicts"] == {"acme/db": ["app.py"]}
    assert error.detail["done"]["acme/api"]["merged"] is True
    assert again.result["repos"]["acme/api"] == {"merged": False, "sha": state.repo("acme/api").branches["stable"]}
    merge = state.repo("acme/api").commits[state.repo("acme/api").branches["stable"]]
    assert merge.message == "Merge integration1 into stable" and len(merge.parents) == 2


def test_a_pull_request_is_opened_once(github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    state.create_branch("acme/api", "integration1", "main")
    state.commit("acme/api", "integration1", "Feature", {"f": "1"})
    params = {"action": "pull_request", "repos": ["acme/api"], "base": "stable", "head": "integration1",
              "title": "Release 1", "body": "Merge for the release"}

    first = run(Git, params=params, config=config)
    again = run(Git, params=params, config=config)

    assert first.result["repos"]["acme/api"]["created"] is True
    assert again.result["repos"]["acme/api"] == {**first.result["repos"]["acme/api"], "created": False}
    assert len(state.pulls("acme/api")) == 1


def test_a_release_is_created_once_and_updated_when_its_notes_change(
        github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    notes = {repo: f"Notes of {repo}" for repo in REPOS}
    params = {"action": "release", "repos": REPOS, "tag": "v2026.12", "name": "2026.12", "notes": notes}

    first = run(Git, params=params, config=config)
    again = run(Git, params=params, config=config)
    changed = run(Git, params={**params, "notes": {**notes, "acme/web": "Better notes"}}, config=config)

    assert [r["created"] for r in first.result["repos"].values()] == [True, True, True]
    assert [(r["created"], r["updated"]) for r in again.result["repos"].values()] == [(False, False)] * 3
    assert [r["updated"] for r in changed.result["repos"].values()] == [False, True, False]
    assert len(state.calls("POST", "/releases")) == 3
    for repo in REPOS:
        (release,) = state.repo(repo).releases
        assert release.name == "2026.12"
        assert state.repo(repo).tags["v2026.12"] == state.repo(repo).branches["main"]
    assert state.repo("acme/web").releases[0].body == "Better notes"


def test_a_draft_release_is_found_again_and_not_made_twice(github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    params = {"action": "release", "repos": ["acme/api"], "tag": "v1", "body": "Draft notes", "draft": True}

    run(Git, params=params, config=config)
    run(Git, params=params, config=config)
    published = run(Git, params={**params, "draft": False}, config=config)

    assert len(state.repo("acme/api").releases) == 1
    assert published.result["repos"]["acme/api"]["updated"] is True
    assert "v1" in state.repo("acme/api").tags


def test_compare_lists_the_commits_page_by_page_and_the_pull_requests_they_merged(
        github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    state.create_branch("acme/api", "feature", "main")
    state.commit("acme/api", "feature", "Add search", {"search.py": "1"})
    state.repo("acme/api").pulls.append(_pull(state))
    state.merge_pull("acme/api", 1)
    for n in range(120):
        state.commit("acme/api", "main", f"Change {n} (#{100 + n})", {"n.txt": str(n)})

    outcome = run(Git, params={"action": "compare", "repos": ["acme/api"], "base": "stable", "head": "main"},
                  config=config)

    result = outcome.result["repos"]["acme/api"]
    assert (result["status"], result["ahead_by"], result["total_commits"], result["truncated"]) == (
        "ahead", 122, 122, False)
    assert [c["subject"] for c in result["commits"][:2]] == ["Add search", "Merge pull request #1 from acme/feature"]
    assert result["commits"][0]["login"] == "alice"
    assert result["pull_requests"][:2] == [1, 100] and len(result["pull_requests"]) == 121
    assert len(state.calls("GET", "/compare/")) == 2, "two pages of 100 commits"


def _pull(state: GitHubState) -> Any:
    from standins.github import PullRequest

    return PullRequest(id=state.next_id(), number=1, title="Search", body="", head="feature", base="main",
                       user="alice")


def test_a_bad_token_is_a_permanent_error_quoting_github(github: tuple[GitHubState, dict[str, Any]]) -> None:
    _, config = github

    error = error_of(run(Git, params={"action": "release", "repos": ["acme/api"], "tag": "v1"},
                         config={**config, "token": "wrong"}))

    assert (error.type, error.retryable) == ("GitHubError", False)
    assert error.message == "acme/api: GitHub answered 401: Bad credentials"


def test_a_5xx_is_retryable_and_the_retry_creates_the_release_once(
        github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    state.fail_next(503, method="POST", path="/releases")
    params = {"action": "release", "repos": REPOS, "tag": "v1", "notes": "n"}

    failed = run(Git, params=params, config=config)
    retried = run(Git, params=params, config=config, attempt=2)

    error = error_of(failed)
    assert (error.type, error.retryable) == ("GitHubUnavailable", True)
    assert error.message == "acme/api: GitHub answered 503: Service Unavailable"
    assert retried.ok
    assert [len(state.repo(repo).releases) for repo in REPOS] == [1, 1, 1]


def test_a_rate_limit_is_waited_out_up_to_max_wait_then_retryable(
        github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github
    state.fail_next(429, retry_after=30)
    started = time.monotonic()

    error = error_of(run(Git, params={"action": "compare", "repos": ["acme/api"], "base": "stable", "head": "main"},
                         config=config))

    assert (error.type, error.retryable) == ("GitHubUnavailable", True)
    assert "GitHub rate limit (429): API rate limit exceeded" in error.message
    assert error.detail["cause"]["waited"] == 0.2
    assert 0.2 <= time.monotonic() - started < 5


def test_an_unreachable_github_is_retryable() -> None:
    error = error_of(run(Git, params={"action": "gh_branch", "repos": ["acme/api"], "branch": "b", "from": "main"},
                         config={"github_url": f"http://127.0.0.1:{free_port()}", "token": "t",
                                 "request_interval": 0}))

    assert (error.type, error.retryable) == ("GitHubUnavailable", True)
    assert "GitHub unreachable" in error.message


def test_a_github_enterprise_style_base_url_works(github: tuple[GitHubState, dict[str, Any]]) -> None:
    state, config = github

    outcome = run(Git, params={"action": "gh_branch", "repos": ["acme/api"], "branch": "b", "from": "main"},
                  config={**config, "github_url": config["github_url"] + "/api/v3"})

    assert outcome.ok, outcome.error
    assert "b" in state.repo("acme/api").branches
