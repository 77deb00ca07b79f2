"""Notes: release notes in Markdown from what changed between two refs of one or more repositories.

A step names the repositories, the refs and the version::

    - name: release-notes
      notes: {repos: [acme/api, acme/web], from: v2026.11, to: integration2026.12, version: "2026.12",
              jira_project: REL, output_file: "2026.12.md"}
      save_as: release_notes        # ${release_notes.markdown} for the GitHub release

The participant collects the merged pull requests and commits of each range (``collect``: local clones
through the git CLI; ``github_source``: the GitHub API), sorts them into sections by conventional-commit
type and label (``classify``), adds the Jira issues of the version when Jira is configured (``issues``),
renders a Jinja2 template from ``etc/templates/`` (``render``), and optionally writes a file
(``output``) and sets a GitHub release's body (``publish``). Its result::

    {markdown, counts: {features, fixes, other}, breaking, issues, repos: {name: {from, to, commits, ...}},
     file?, release?}

The notes are a pure function of the refs (and the date shown), so a re-run after a crash produces the
same text, rewrites the same file and leaves an already published release body alone.
See docs/participants/notes.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from participants.notes.classify import Classifier, Entry
from participants.notes.collect import LocalGit
from participants.notes.config import NotConfigured, NotesConfig, read_config
from participants.notes.github_source import GitHubSource
from participants.notes.issues import JiraIssues
from participants.notes.model import RepoRange
from participants.notes.output import target, write_atomically
from participants.notes.params import GenerateParams, RepoRef
from participants.notes.publish import Publisher
from participants.notes.render import Renderer, TemplateProblem, context
from skynet import Participant, Workitem
from skynet.errors import ConfigError


class Source(Protocol):
    """Where changes come from: local clones or the GitHub API."""

    def collect(self, wi: Workitem, ref: RepoRef, from_ref: str, to_ref: str, *, tag_pattern: str,
                first_parent: bool) -> RepoRange:
        """The changes of one repository between two refs."""


class Notes(Participant):
    """Release notes in Markdown from the changes between two refs, plus the Jira issues of the version."""

    name = "notes"
    version = "1"
    config_keys = tuple(NotesConfig.model_fields)
    Params = GenerateParams

    config: NotesConfig
    renderer: Renderer
    classifier: Classifier
    source: Source
    jira: JiraIssues | None
    publisher: Publisher | None

    def setup(self, config: dict[str, Any]) -> None:
        """Validate the config and compile the default template, so mistakes stop the daemon at start."""
        self.config = settings = read_config(config)
        self.renderer = Renderer(settings.templates_path())
        try:
            self.renderer.check(settings.template)
        except TemplateProblem as exc:
            raise ConfigError(f"notes config: {exc}") from exc
        self.classifier = Classifier(settings)
        self.source = self._source(settings)
        self.jira = (JiraIssues(settings.jira_url, settings.jira_token, settings.jira_user, settings.http_timeout)
                     if settings.jira_url else None)
        self.publisher = Publisher(settings) if settings.github_token else None

    @staticmethod
    def _source(settings: NotesConfig) -> Source:
        if settings.source == "github":
            if not settings.github_token:
                raise ConfigError("notes config: source: github needs github_token (BOSS_NOTES_GITHUB_TOKEN)")
            return GitHubSource(settings)
        return LocalGit(settings.workdir, fetch=settings.fetch, timeout=settings.git_timeout,
                        max_commits=settings.max_commits)

    def handle(self, wi: Workitem) -> dict[str, Any]:
        """Collect, classify, render; then write and publish when the step asks."""
        params: GenerateParams = wi.params
        ranges = self._collect(wi, params)
        entries = [entry for r in ranges for change in reversed(r.changes)
                   if (entry := self.classifier.classify(change)) is not None]
        issues, jira = self._issues(wi, params)
        wi.check_cancelled()
        template = params.template or self.config.template
        title = params.title or f"Release {params.version}"
        markdown = self.renderer.render(template, context(
            version=params.version, title=title,
            date=params.date or datetime.now(UTC).date().isoformat(), sections=self.config.sections,
            entries=entries, ranges=ranges, issues=issues, jira=jira))
        result = self._result(markdown, ranges, entries, issues)
        if params.output_file:
            path = target(self.config.output_dir, params.output_file)
            write_atomically(path, markdown)
            wi.log.info("release notes written to %s", path)
            result["file"] = str(path)
        if params.publish is not None:
            result["release"] = self._publish(wi, params, title, markdown)
        if params.field:
            wi.fields[params.field] = markdown
        return result

    def _collect(self, wi: Workitem, params: GenerateParams) -> list[RepoRange]:
        refs = params.repo_refs()
        ranges = []
        for done, ref in enumerate(refs):
            wi.check_cancelled()
            wi.progress(f"collecting {ref.label}", repo=ref.label, done=done, total=len(refs))
            from_ref = ref.from_ if ref.from_ is not None else params.from_
            found = self.source.collect(wi, ref, from_ref, ref.to or params.to,
                                        tag_pattern=params.tag_pattern or self.config.tag_pattern,
                                        first_parent=(self.config.first_parent if params.first_parent is None
                                                      else params.first_parent))
            wi.log.info("%s: %s..%s, %d commits, %d changes", found.name, found.from_ref or "(first commit)",
                        found.to_ref, found.commits, len(found.changes))
            ranges.append(found)
        return ranges

    def _issues(self, wi: Workitem, params: GenerateParams) -> tuple[list[dict[str, Any]] | None,
                                                                     dict[str, Any] | None]:
        project = params.jira_project or self.config.jira_project
        version = params.jira_version or params.version
        if self.jira is None:
            if params.jira_project or params.jira_version:
                wi.log.warning("the step names a Jira version, but no jira_url is configured: no issues listed")
            return None, None
        wi.check_cancelled()
        wi.progress("searching Jira", jira_project=project, jira_version=version)
        issues = self.jira.fetch(wi, project, version)
        return issues, {"project": project, "version": version, "url": self.jira.url}

    def _publish(self, wi: Workitem, params: GenerateParams, title: str, markdown: str) -> str:
        assert params.publish is not None
        if self.publisher is None:
            raise NotConfigured("publish needs github_token in the notes config (BOSS_NOTES_GITHUB_TOKEN)")
        wi.check_cancelled()
        wi.progress("publishing", repo=params.publish.repo, tag=params.publish.tag)
        return self.publisher.publish(wi, params.publish, title, markdown)

    def _result(self, markdown: str, ranges: list[RepoRange], entries: list[Entry],
                issues: list[dict[str, Any]] | None) -> dict[str, Any]:
        counts = {section.key: sum(1 for e in entries if e.section == section.key) for section in self.config.sections}
        repos = {r.name: {"from": r.from_ref, "to": r.to_ref, "from_sha": r.from_sha, "to_sha": r.to_sha,
                          "commits": r.commits, "changes": sum(1 for e in entries if e.change.repo == r.name)}
                 for r in ranges}
        return {"markdown": markdown, "counts": counts, "breaking": sum(1 for e in entries if e.breaking),
                "issues": None if issues is None else len(issues), "repos": repos}
