"""Set the notes as the body of a GitHub release (``publish: {repo, tag}`` in a step).

Idempotent by checking before acting: the release of the tag is looked up first (drafts too, which
``releases/tags/{tag}`` does not return), its body is only changed when it differs, and a release is
only created when the tag has none, so a re-run after a crash never makes a second release. A release
is never created for a tag that does not exist: GitHub would tag the default branch's head, which is
rarely the commit being released.
"""

from __future__ import annotations

from github import Github, GithubException
from github.GitRelease import GitRelease
from github.Repository import Repository

from participants.notes.config import NotesConfig
from participants.notes.gh import GitHubRefused, answers, client
from participants.notes.params import Publish
from skynet import Workitem


class Publisher:
    """Writes release bodies; one client serves all workitems."""

    def __init__(self, settings: NotesConfig) -> None:
        self.github: Github = client(settings)

    def publish(self, wi: Workitem, target: Publish, title: str, markdown: str) -> str:
        """The release page after making its body ``markdown``."""
        what = f"publish to {target.repo} {target.tag}"
        with answers(what, wi):
            repo = self.github.get_repo(target.repo)
            release = self._release(repo, target.tag)
            if release is not None:
                if (release.body or "").strip() == markdown.strip():
                    wi.log.info("%s: the release body is already these notes", what)
                else:
                    release = release.update_release(name=release.name or title, message=markdown,
                                                     draft=release.draft, prerelease=release.prerelease)
                    wi.log.info("%s: release body updated", what)
                return str(release.html_url)
            if not target.create:
                raise GitHubRefused(f"{what}: no release for tag {target.tag} (and create is false)")
            self._check_tag(repo, target.tag, what)
            created = repo.create_git_release(target.tag, name=title, message=markdown)
            wi.log.info("%s: release created", what)
            return str(created.html_url)

    @staticmethod
    def _release(repo: Repository, tag: str) -> GitRelease | None:
        try:
            return repo.get_release(tag)
        except GithubException as exc:
            if exc.status != 404:
                raise
        return next((r for r in repo.get_releases() if r.tag_name == tag), None)  # a draft, if any

    @staticmethod
    def _check_tag(repo: Repository, tag: str, what: str) -> None:
        try:
            repo.get_git_ref(f"tags/{tag}")
        except GithubException as exc:
            if exc.status != 404:
                raise
            raise GitHubRefused(f"{what}: tag {tag} does not exist in {repo.full_name}: tag the release first") from exc
