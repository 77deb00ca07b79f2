"""The built-in notes participant: classifying, rendering, real git repositories and the Jira stand-in."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from participants.notes import Notes
from participants.notes.classify import Classifier, parse_title
from participants.notes.collect import web_url
from participants.notes.config import NotesConfig, read_config
from participants.notes.model import Change, read_message
from skynet.errors import ConfigError
from skynet.loader import load_participant
from skynet.testing import RunResult, run
from standins.jira import JiraState, create_app
from standins.server import serve
from tests.participants.notes_git import GitRepo

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "etc" / "participants" / "notes.yaml"


def error_of(outcome: RunResult) -> Any:
    assert outcome.error is not None, f"expected an error, got result {outcome.result!r}"
    return outcome.error


def change(title: str, body: str = "", labels: tuple[str, ...] = ()) -> Change:
    return Change(repo="api", sha="0123456789abcdef", title=title, body=body, labels=labels)


# ---- reading titles and messages ----------------------------------------------------------------------------
@pytest.mark.parametrize(("title", "expected"), [
    ("feat: add tokens", ("feat", None, "add tokens", False)),
    ("feat(auth): add tokens", ("feat", "auth", "add tokens", False)),
    ("feat(auth)!: drop v1 tokens", ("feat", "auth", "drop v1 tokens", True)),
    ("Fix!: shout", ("fix", None, "shout", True)),
    ("perf(db, cache): faster", ("perf", "db, cache", "faster", False)),
    ("chore(): empty scope", ("chore", None, "empty scope", False)),
    ("Update README", (None, None, "Update README", False)),
    ("feat:no space", (None, None, "feat:no space", False)),
    ("Revert \"feat: x\"", (None, None, "Revert \"feat: x\"", False)),
])
def test_conventional_titles_give_type_scope_text_and_the_breaking_mark(title, expected):
    heading = parse_title(title)
    assert (heading.type, heading.scope, heading.text, heading.breaking) == expected


def test_a_github_merge_commit_is_its_pull_request_titled_by_the_first_line_of_the_body():
    message = read_message("Merge pull request #12 from alice/tokens", "feat: tokens\n\nlonger text")
    assert (message.number, message.title, message.body) == (12, "feat: tokens", "longer text")
    untitled = read_message("Merge pull request #13 from alice/branch-name", "")
    assert (untitled.number, untitled.title) == (13, "alice/branch-name")


def test_a_squash_merge_names_its_pull_request_at_the_end_of_the_subject():
    message = read_message("fix(api): no crash (#7)", "")
    assert (message.number, message.title) == (7, "fix(api): no crash")


def test_other_messages_are_their_own_title_with_no_pull_request():
    message = read_message("Merge branch 'hotfix' into main", "")
    assert (message.number, message.title) == (None, "Merge branch 'hotfix' into main")


# ---- classifying --------------------------------------------------------------------------------------------
def test_the_type_picks_the_section_and_unknown_types_go_to_the_catch_all():
    classifier = Classifier(NotesConfig())
    sections = [classifier.classify(change(title)) for title in
                ("feat: a", "fix: b", "perf: c", "docs: d", "plain words")]
    assert [entry.section for entry in sections if entry] == ["features", "fixes", "fixes", "other", "other"]


def test_labels_win_over_the_type_because_maintainers_set_them():
    entry = Classifier(NotesConfig()).classify(change("feat: actually a bug", labels=("Bug",)))
    assert entry is not None and entry.section == "fixes"


def test_a_breaking_footer_or_label_marks_a_change_breaking():
    classifier = Classifier(NotesConfig())
    footer = classifier.classify(change("refactor: move config", body="BREAKING CHANGE: the file moved"))
    label = classifier.classify(change("feat: x", labels=("breaking-change",)))
    plain = classifier.classify(change("feat: x", body="mentions BREAKING CHANGE: only mid-line? no"))
    assert footer is not None and footer.breaking
    assert label is not None and label.breaking
    assert plain is not None and not plain.breaking


def test_excluded_labels_and_types_leave_a_change_out():
    classifier = Classifier(NotesConfig(exclude_types=["chore"]))
    assert classifier.classify(change("feat: x", labels=("skip-changelog",))) is None
    assert classifier.classify(change("chore(deps): bump")) is None
    assert classifier.classify(change("fix: kept")) is not None


def test_sections_are_configurable_and_need_exactly_one_catch_all():
    config = read_config({"sections": [{"key": "docs", "title": "Documentation", "types": ["docs"]},
                                       {"key": "rest", "title": "Everything else"}]})
    assert Classifier(config).classify(change("docs: guide")).section == "docs"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="exactly one section lists neither types nor labels"):
        read_config({"sections": [{"key": "docs", "title": "Docs", "types": ["docs"]}]})


def test_a_bad_config_stops_setup_with_one_line_naming_each_problem():
    with pytest.raises(ConfigError) as raised:
        Notes().setup({"source": "svn", "max_commits": "many", "colour": "red"})
    message = str(raised.value)
    assert "\n" not in message and message.startswith("notes config: ")
    for problem in ("source: Input should be 'local' or 'github'", "max_commits: Input should be a valid integer",
                    "colour: Extra inputs are not permitted"):
        assert problem in message


def test_the_web_page_of_a_repository_comes_from_its_remote_without_credentials():
    assert web_url("git@github.com:acme/api.git") == "https://github.com/acme/api"
    assert web_url("https://bot:s3cret@github.example.com/acme/web.git") == "https://github.example.com/acme/web"
    assert web_url("ssh://git@github.com:22/acme/db") == "https://github.com/acme/db"
    assert web_url("/srv/git/api.git") is None


# ---- real repositories ----------------------------------------------------------------------------------------
@pytest.fixture
def repos(tmp_path: Path) -> Path:
    """Two repositories under a workdir: api (merged pull requests, a breaking change) and web (squashes)."""
    api = GitRepo(tmp_path / "acme" / "api", remote="git@github.com:acme/api.git")
    api.commit("initial commit")
    api.tag("v2026.11")
    api.commit("feat(auth): add tokens", author="Alice Author")
    api.merge_pr(12, "fix: no crash on an empty list", "wip", "more wip", author="Bob Builder")
    api.commit("docs: explain tokens")
    api.commit("Move the config\n\nBREAKING CHANGE: it lives in etc/ now")
    api.git("checkout", "--quiet", "-b", "hotfix", "main")
    api.commit("fix: hotfix without a pull request", author="Dan Direct")
    api.git("checkout", "--quiet", "main")
    api.git("merge", "--quiet", "--no-ff", "hotfix", "-m", "Merge branch 'hotfix' into main")
    api.merge_pr(13, "feat!: version 2 of the API")
    api.branch("integration2026.12")
    web = GitRepo(tmp_path / "acme" / "web")
    web.commit("init")
    web.tag("v2026.11")
    web.commit("perf: render twice as fast (#7)", author="Carol Coder")
    web.commit("chore: bump deps")
    web.branch("integration2026.12")
    return tmp_path


def notes(workdir: Path, **params: Any) -> RunResult:
    config = params.pop("config", {})
    return run(Notes, params={"version": "2026.12", "date": "2026-12-25", **params},
               config={"workdir": str(workdir), **config})


def test_notes_of_two_repositories_list_merged_pull_requests_and_commits_by_section(repos: Path):
    outcome = notes(repos, repos=["acme/api", "acme/web"], **{"from": "v2026.11"}, to="integration2026.12")
    assert outcome.ok, outcome.error
    markdown = outcome.result["markdown"]
    assert markdown.startswith("# Release 2026.12\n\nReleased 2026-12-25.\n")
    features = section(markdown, "Features")
    tokens = sha(repos, "acme/api", "HEAD~5")
    assert features == [
        f"- **auth:** add tokens ([acme/api@{tokens[:7]}](https://github.com/acme/api/commit/{tokens})) "
        "by Alice Author",
        "- **BREAKING** version 2 of the API ([acme/api#13](https://github.com/acme/api/pull/13)) by Bob Builder",
    ]
    hotfix = sha(repos, "acme/api", "hotfix")
    assert section(markdown, "Fixes") == [
        "- no crash on an empty list ([acme/api#12](https://github.com/acme/api/pull/12)) by Bob Builder",
        f"- hotfix without a pull request ([acme/api@{hotfix[:7]}](https://github.com/acme/api/commit/{hotfix})) "
        "by Dan Direct",
        "- render twice as fast (acme/web#7) by Carol Coder",
    ]
    other = section(markdown, "Other changes")
    assert [line.split(" (")[0] for line in other] == ["- docs: explain tokens", "- **BREAKING** Move the config",
                                                       "- chore: bump deps"]
    assert [line.split(" (")[0] for line in section(markdown, "Breaking changes")] == [
        "- Move the config", "- version 2 of the API"]
    assert "wip" not in markdown and "Merge" not in markdown
    assert "| [acme/api](https://github.com/acme/api) | v2026.11 | integration2026.12 | [10](https://github.com/" \
           "acme/api/compare/v2026.11...integration2026.12) |" in markdown
    assert "| acme/web | v2026.11 | integration2026.12 | 2 |" in markdown
    assert outcome.result["counts"] == {"features": 2, "fixes": 3, "other": 3}
    assert outcome.result["breaking"] == 2 and outcome.result["issues"] is None
    assert outcome.result["repos"]["acme/web"] == {
        "from": "v2026.11", "to": "integration2026.12", "from_sha": sha(repos, "acme/web", "v2026.11"),
        "to_sha": sha(repos, "acme/web", "integration2026.12"), "commits": 2, "changes": 2}
    assert [p["repo"] for p in outcome.progress] == ["acme/api", "acme/web"]
    assert "Jira" not in markdown


def test_the_same_refs_give_the_same_notes(repos: Path):
    first = notes(repos, repos=["acme/api"], to="main")
    again = notes(repos, repos=["acme/api"], to="main")
    assert first.result == again.result


def test_an_empty_from_starts_at_the_previous_release_tag_and_a_tag_on_to_is_this_release(repos: Path):
    api = GitRepo.open(repos / "acme" / "api")
    api.tag("v2026.12")
    api.tag("other-tag", "HEAD~1")
    outcome = notes(repos, repos=["acme/api"], to="v2026.12")
    assert outcome.result["repos"]["acme/api"]["from"] == "v2026.11"
    assert outcome.result["repos"]["acme/api"]["commits"] == 10
    custom = notes(repos, repos=["acme/api"], to="main", tag_pattern="other-*")
    assert custom.result["repos"]["acme/api"]["from"] == "other-tag"


def test_without_a_matching_tag_the_range_starts_at_the_first_commit(repos: Path):
    outcome = notes(repos, repos=["acme/web"], to="main", tag_pattern="release-*")
    assert outcome.result["repos"]["acme/web"]["from"] is None
    assert outcome.result["repos"]["acme/web"]["commits"] == 3
    assert "| acme/web | (first commit) | main | 3 |" in outcome.result["markdown"]


def test_a_range_without_changes_says_so(repos: Path):
    outcome = notes(repos, repos=["acme/web"], **{"from": "main"}, to="main")
    assert "\n\nNo changes.\n\n## Repositories\n" in outcome.result["markdown"]
    assert outcome.result["counts"] == {"features": 0, "fixes": 0, "other": 0}


def test_without_first_parent_every_commit_is_listed_and_no_merge_is(repos: Path):
    outcome = notes(repos, repos=["acme/api"], **{"from": "v2026.11"}, to="main", first_parent=False)
    titles = [entry.split(" (")[0] for entry in lines(outcome.result["markdown"]) if entry.startswith("- ")]
    assert "- wip" in " ".join(titles) and not any("no crash" in title for title in titles)
    assert outcome.result["repos"]["acme/api"]["changes"] == 7  # 10 commits less 3 merges


def test_each_repository_may_have_its_own_refs_and_name(repos: Path):
    outcome = notes(repos, repos=[{"repo": str(repos / "acme" / "web"), "name": "web", "from": "HEAD~1"},
                                  {"repo": "acme/api", "to": "HEAD~1", "url": "https://git.example.com/api"}],
                    **{"from": "v2026.11"}, to="main")
    assert outcome.ok, outcome.error
    assert outcome.result["repos"]["web"]["commits"] == 1
    assert outcome.result["repos"]["acme/api"]["to"] == "HEAD~1"
    assert "https://git.example.com/api/pull/12" in outcome.result["markdown"]


def test_an_unknown_ref_is_a_permanent_error_naming_the_repository_and_the_ref(repos: Path):
    outcome = notes(repos, repos=["acme/api", "acme/web"], **{"from": "v2026.11"}, to="integration2027.01")
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("UnknownRef", False)
    assert error.message == ("repo acme/api: unknown ref 'integration2027.01' (to): no branch, tag or commit of that "
                             "name")
    bad_from = error_of(notes(repos, repos=["acme/web"], **{"from": "--output=/tmp/x"}, to="main"))
    assert bad_from.type == "UnknownRef" and "'--output=/tmp/x' (from)" in bad_from.message


def test_a_directory_that_is_not_the_top_of_a_repository_is_refused(repos: Path):
    (repos / "acme" / "api" / "docs").mkdir()
    inside = error_of(notes(repos, repos=["acme/api/docs"], to="main"))
    assert inside.type == "RepositoryNotFound" and "is not a git repository" in inside.message
    missing = error_of(notes(repos, repos=["acme/nothing"], to="main"))
    assert missing.message == f"repo acme/nothing: no such directory {repos / 'acme' / 'nothing'}"


def test_a_mirror_clone_is_read_and_fetch_brings_it_up_to_date(repos: Path, tmp_path: Path):
    mirrors = tmp_path / "mirrors"
    git("clone", "--quiet", "--mirror", str(repos / "acme" / "web"), str(mirrors / "web"))
    upstream = GitRepo.open(repos / "acme" / "web")
    upstream.commit("feat: arrived later")
    stale = notes(mirrors, repos=["web"], to="main")
    fresh = notes(mirrors, repos=["web"], to="main", config={"fetch": True})
    assert (stale.result["counts"]["features"], fresh.result["counts"]["features"]) == (0, 1)


def test_a_fetch_that_fails_is_retryable(repos: Path):
    git("-C", str(repos / "acme" / "web"), "remote", "add", "origin", str(repos / "gone.git"))
    error = error_of(notes(repos, repos=["acme/web"], to="main", config={"fetch": True}))
    assert (error.type, error.retryable) == ("FetchFailed", True)
    assert error.message.startswith("repo acme/web: git fetch failed: ")


def test_a_range_beyond_max_commits_is_refused_as_a_likely_wrong_from(repos: Path):
    error = error_of(notes(repos, repos=["acme/api"], to="main", config={"max_commits": 3}))
    assert error.type == "TooManyCommits"
    assert "holds 10 commits, more than max_commits 3: is `from` right?" in error.message


def test_a_cancelled_step_reads_no_repository(repos: Path):
    outcome = run(Notes, params={"repos": ["acme/api"], "version": "1"}, config={"workdir": str(repos)},
                  cancelled=True)
    assert error_of(outcome).type == "Cancelled" and outcome.progress == []


# ---- params ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("params", "problem"), [
    ({"repos": [], "version": "1"}, "repos: List should have at least 1 item"),
    ({"repos": ["a"]}, "version: Field required"),
    ({"repos": ["a", {"repo": "b", "name": "a"}], "version": "1"}, "repository listed twice: a"),
    ({"repos": ["a"], "version": "1", "output_file": "../etc/passwd"}, "output_file is a relative path"),
    ({"repos": ["a"], "version": "1", "output_file": "/etc/passwd"}, "output_file is a relative path"),
    ({"repos": ["a"], "version": "1", "template": "../secrets"}, "template: String should match pattern"),
    ({"repos": ["a"], "version": "1", "form": "v1"}, "form: Extra inputs are not permitted"),
])
def test_params_that_do_not_fit_are_refused_before_any_work(params, problem):
    error = error_of(run(Notes, params=params))
    assert error.type == "ParticipantError" and problem in error.message


def test_the_params_schema_names_from_and_requires_repos_and_version():
    schema = Notes.params_schema()
    assert schema is not None
    assert schema["required"] == ["repos", "version"]
    assert {"from", "to", "publish", "output_file", "jira_project"} <= set(schema["properties"])


def test_skynet_finds_notes_as_a_built_in_participant():
    loaded = load_participant("notes")
    assert (loaded.__module__, loaded.__qualname__, loaded.name) == ("participants.notes", "Notes", "notes")


# ---- templates and files -------------------------------------------------------------------------------------
def test_an_operator_template_of_the_same_name_overrides_the_shipped_one(repos: Path, tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "release-notes.md.j2").write_text(
        "{{ title }}: {% for s in sections %}{{ s.key }}={{ s.entries | length }} {% endfor %}\n\n"
        "{% for r in repos %}{{ r.name }} {{ r.from }}..{{ r.to }}{% endfor %}\n")
    (templates / "short.md.j2").write_text("{{ counts.fixes }} fixes in {{ version }}\n")
    config = {"templates_dir": str(templates)}
    outcome = notes(repos, repos=["acme/web"], to="main", config=config)
    assert outcome.result["markdown"] == "Release 2026.12: features=0 fixes=1 other=1 \nacme/web v2026.11..main\n"
    picked = notes(repos, repos=["acme/web"], to="main", template="short.md.j2", title="ignored", config=config)
    assert picked.result["markdown"] == "1 fixes in 2026.12\n"


def test_a_template_error_names_the_template_and_its_line(repos: Path, tmp_path: Path):
    (tmp_path / "bad.md.j2").write_text("# {{ title }}\n\n{{ no_such_variable }}\n")
    error = error_of(notes(repos, repos=["acme/web"], to="main", template="bad.md.j2",
                           config={"templates_dir": str(tmp_path)}))
    assert (error.type, error.retryable) == ("TemplateProblem", False)
    assert error.message == "template bad.md.j2 line 3: 'no_such_variable' is undefined"
    missing = error_of(notes(repos, repos=["acme/web"], to="main", template="none.md.j2"))
    assert missing.message.startswith("no template none.md.j2 in ")


def test_a_default_template_that_does_not_compile_stops_setup(tmp_path: Path):
    (tmp_path / "release-notes.md.j2").write_text("{% for x in %}\n")
    with pytest.raises(ConfigError, match=r"notes config: template release-notes.md.j2 line 1: "):
        Notes().setup({"templates_dir": str(tmp_path)})


def test_the_notes_are_written_inside_the_output_dir_and_a_rerun_rewrites_the_same_file(repos: Path, tmp_path: Path):
    out = tmp_path / "notes"
    first = notes(repos, repos=["acme/web"], to="main", output_file="2026/12.md", field="release_text",
                  config={"output_dir": str(out)})
    written = out / "2026" / "12.md"
    assert first.result["file"] == str(written)
    assert written.read_text() == first.result["markdown"]
    assert first.changed == {"release_text": first.result["markdown"]}
    again = notes(repos, repos=["acme/web"], to="main", output_file="2026/12.md", config={"output_dir": str(out)})
    assert written.read_text() == again.result["markdown"] == first.result["markdown"]
    assert sorted(p.name for p in written.parent.iterdir()) == ["12.md"]  # no temporary file left behind


def test_a_file_without_an_output_dir_or_outside_it_is_refused(repos: Path, tmp_path: Path):
    unconfigured = error_of(notes(repos, repos=["acme/web"], to="main", output_file="notes.md"))
    assert unconfigured.type == "OutputRefused" and "output_file needs output_dir" in unconfigured.message
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(tmp_path)
    escaping = error_of(notes(repos, repos=["acme/web"], to="main", output_file="link/x.md",
                              config={"output_dir": str(tmp_path / "out")}))
    assert escaping.type == "OutputRefused" and "leaves the output directory" in escaping.message


def test_the_sample_config_is_valid_and_its_default_template_renders(repos: Path):
    config = yaml.safe_load(SAMPLE.read_text())
    outcome = notes(repos, repos=["acme/web"], to="main", config=config | {"workdir": str(repos)})
    assert outcome.ok and "## Fixes" in outcome.result["markdown"]


# ---- Jira -------------------------------------------------------------------------------------------------------
@pytest.fixture(params=["Server", "Cloud"])
def jira(request: pytest.FixtureRequest) -> Iterator[tuple[JiraState, dict[str, str]]]:
    """The Jira stand-in with version 2026.12 of REL holding five issues; the config to reach it."""
    state = JiraState(request.param, max_results=2)  # small pages: the client must page
    state.add_project("REL")
    state.add_project("OPS")
    for project in ("REL", "OPS"):
        state.add_version(project, "2026.12")
    state.add_version("REL", "2026.11")
    for number in range(5):
        state.add_issue("REL", f"Issue {number}", fix_version="2026.12", issuetype=("Bug", "Story")[number % 2],
                        status="Done")
    state.add_issue("REL", "Shipped before", fix_version="2026.11")
    state.add_issue("OPS", "Another project's", fix_version="2026.12")
    credentials = ({"jira_token": "t"} if request.param == "Server"
                   else {"jira_user": "boss@example.com", "jira_token": "api-token"})
    with serve(create_app(state)) as url:
        yield state, {"jira_url": url, **credentials}


def test_the_issues_of_the_jira_version_are_listed_from_every_page(repos: Path, jira):
    _, config = jira
    outcome = notes(repos, repos=["acme/web"], to="main", jira_project="REL", config=config)
    assert outcome.ok, outcome.error
    assert outcome.result["issues"] == 5
    listed = section(outcome.result["markdown"], "Jira issues in 2026.12")
    assert listed[0] == f"- [REL-1]({config['jira_url']}/browse/REL-1) Issue 0 (Bug, Done)"
    assert len(listed) == 5 and not any("Shipped before" in line or "OPS" in line for line in listed)
    assert {"message": "searching Jira", "jira_project": "REL", "jira_version": "2026.12"} in outcome.progress


def test_the_jira_version_may_differ_from_the_release_version(repos: Path, jira):
    _, config = jira
    outcome = notes(repos, repos=["acme/web"], to="main", jira_version="2026.11",
                    config={**config, "jira_project": "REL"})
    assert outcome.result["issues"] == 1 and "Shipped before" in outcome.result["markdown"]


def test_an_unknown_jira_version_is_a_permanent_error_quoting_jira(repos: Path, jira):
    _, config = jira
    error = error_of(notes(repos, repos=["acme/web"], to="main", jira_project="REL", jira_version="2099.01",
                           config=config))
    assert (error.type, error.retryable) == ("JiraRefused", False)
    assert error.message == "Jira answered 400: The value '2099.01' does not exist for the field 'fixVersion'."


def test_a_bad_jira_token_is_a_permanent_error_with_jiras_message(repos: Path, jira):
    state, config = jira
    error = error_of(notes(repos, repos=["acme/web"], to="main", jira_project="REL",
                           config={**config, "jira_token": "wrong"}))
    assert (error.type, error.retryable) == ("JiraRefused", False)
    expected = ("You are not authenticated." if state.deployment == "Server"
                else "Client must be authenticated to access this resource.")
    assert error.message.startswith("Jira answered 401: ") and expected in error.message


def test_jira_5xx_and_429_are_retryable_and_429_waits_its_retry_after(repos: Path, jira):
    state, config = jira
    state.fail_next(503, times=1, path="*search*")
    unavailable = error_of(notes(repos, repos=["acme/web"], to="main", jira_project="REL", config=config))
    assert (unavailable.type, unavailable.retryable) == ("JiraUnavailable", True)
    assert unavailable.message == "Jira answered 503: Service Unavailable"
    state.fail_next(429, times=1, path="*search*", retry_after=1)
    started = time.monotonic()
    limited = error_of(notes(repos, repos=["acme/web"], to="main", jira_project="REL", config=config))
    assert (limited.type, limited.retryable) == ("JiraUnavailable", True)
    assert time.monotonic() - started >= 1
    assert notes(repos, repos=["acme/web"], to="main", jira_project="REL", config=config).result["issues"] == 5


def test_an_unreachable_jira_is_retryable(repos: Path):
    from standins.server import free_port
    error = error_of(notes(repos, repos=["acme/web"], to="main", jira_project="REL",
                           config={"jira_url": f"http://127.0.0.1:{free_port()}", "jira_token": "t"}))
    assert (error.type, error.retryable) == ("JiraUnavailable", True)
    assert "is unreachable: ConnectionError" in error.message


# ---- helpers -----------------------------------------------------------------------------------------------------
def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()


def sha(workdir: Path, repo: str, ref: str) -> str:
    return git("-C", str(workdir / repo), "rev-parse", f"{ref}^{{commit}}")


def lines(markdown: str) -> list[str]:
    return markdown.splitlines()


def section(markdown: str, title: str) -> list[str]:
    """The list items under the heading ``## title``."""
    found, inside = [], False
    for line in lines(markdown):
        if line.startswith("## "):
            inside = line == f"## {title}"
        elif inside and line.startswith("- "):
            found.append(line)
    return found
