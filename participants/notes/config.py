"""The configuration of the ``notes`` participant (``etc/participants/notes.yaml`` + ``BOSS_NOTES_*``).

Secrets (``github_token``, ``jira_token``) come only from the environment. The Jira keys are the notes
participant's own (``BOSS_NOTES_JIRA_URL``, ``BOSS_NOTES_JIRA_TOKEN``) rather than the ``jira``
participant's: release notes only read issues, so their daemon can hold a read-only token, and neither
daemon sees the other's secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from skynet import ParticipantError
from skynet.errors import ConfigError

DEFAULT_TEMPLATE = "release-notes.md.j2"


class NotConfigured(ParticipantError):
    """The step asks for something this daemon is not configured for (publishing without a GitHub token)."""


class Section(BaseModel):
    """A section of the notes and what belongs in it.

    A change goes to the first section listing one of its labels, else to the first listing its
    conventional-commit type, else to the catch-all section (the one that lists neither).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="the name in counts and templates")
    title: str = Field(min_length=1, description="the heading in the notes")
    types: list[str] = Field(default=[], description="conventional-commit types (feat, fix...)")
    labels: list[str] = Field(default=[], description="pull request labels")


DEFAULT_SECTIONS = (
    Section(key="features", title="Features", types=["feat", "feature"],
            labels=["feature", "enhancement", "type: feature"]),
    Section(key="fixes", title="Fixes", types=["fix", "bugfix", "hotfix", "perf"],
            labels=["bug", "fix", "bugfix", "type: bug"]),
    Section(key="other", title="Other changes"),
)


class NotesConfig(BaseModel):
    """Everything ``setup`` reads; see docs/participants/notes.md for each key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["local", "github"] = "local"
    workdir: str = "."
    fetch: bool = False
    git_timeout: float = Field(default=120.0, gt=0)
    tag_pattern: str = "v*"
    first_parent: bool = True
    max_commits: int = Field(default=10000, gt=0)
    templates_dir: str | None = None
    template: str = DEFAULT_TEMPLATE
    output_dir: str | None = None
    sections: list[Section] = Field(default=list(DEFAULT_SECTIONS), min_length=1)
    exclude_labels: list[str] = ["skip-changelog", "skip-release-notes", "no-release-notes"]
    exclude_types: list[str] = []
    breaking_labels: list[str] = ["breaking", "breaking-change"]
    github_url: str = "https://api.github.com"
    github_token: str | None = None
    jira_url: str | None = None
    jira_token: str | None = None
    jira_user: str | None = None
    jira_project: str | None = None
    http_timeout: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _one_catch_all(self) -> NotesConfig:
        keys = [section.key for section in self.sections]
        if len(set(keys)) != len(keys):
            raise ValueError(f"sections: keys must differ, got {', '.join(keys)}")
        catch_all = [section.key for section in self.sections if not section.types and not section.labels]
        if len(catch_all) != 1:
            raise ValueError("sections: exactly one section lists neither types nor labels (it takes the rest); "
                             f"found {len(catch_all)}")
        return self

    @property
    def catch_all(self) -> Section:
        """The section of changes no other section claims."""
        return next(section for section in self.sections if not section.types and not section.labels)

    def templates_path(self, env: Mapping[str, str] = os.environ) -> Path:
        """The templates directory: ``templates_dir``, else ``$BOSS_ETC/templates`` (``./etc/templates``)."""
        if self.templates_dir:
            return Path(self.templates_dir)
        return Path(env.get("BOSS_ETC", "./etc")) / "templates"


def read_config(config: Mapping[str, Any]) -> NotesConfig:
    """The validated configuration.

    Raises:
        ConfigError: one line naming every bad key, so a typo stops the daemon at start, not a release.
    """
    try:
        return NotesConfig.model_validate(dict(config))
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_context=False, include_input=False)
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in problems)
        raise ConfigError(f"notes config: {text}") from None
