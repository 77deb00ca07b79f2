"""The params of a ``notes`` step: which repositories, between which refs, for which version, and where to.

There is one action, ``generate``. ``action`` may be left out (the monthly release writes
``notes: {repos: ..., from: ..., to: ..., version: ...}``), so Params is one model rather than a
discriminated union: a union would make ``action`` required in the published JSON Schema and
``boss validate`` would then refuse steps that omit it. A later action becomes a union member then.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RefText = Annotated[str, Field(max_length=250, description="a branch, tag or commit; empty: see the field")]


class RepoRef(BaseModel):
    """One repository, with what the step knows better than the repository itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str = Field(min_length=1, description="a local path, a name under the configured workdir, or owner/name")
    name: str | None = Field(default=None, description="the name shown in the notes (default: repo)")
    url: str | None = Field(default=None, description="the repository's web page, for links "
                                                       "(default: from its origin remote or the GitHub URL)")
    from_: str | None = Field(default=None, alias="from", description="this repository's own from ref")
    to: str | None = Field(default=None, description="this repository's own to ref")

    @property
    def label(self) -> str:
        """How the repository is named in the notes and the result."""
        return self.name or self.repo


class Publish(BaseModel):
    """Put the notes into a GitHub release (the body of the release for ``tag`` in ``repo``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="owner/name on GitHub")
    tag: str = Field(min_length=1, description="the release's tag")
    create: bool = Field(default=True, description="create the release when the tag has none yet")


class GenerateParams(BaseModel):
    """Release notes for ``version`` from what changed between ``from`` and ``to`` in each repository."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    action: Literal["generate"] = "generate"
    repos: list[str | RepoRef] = Field(min_length=1, max_length=100,
                                       description="local paths, names under the workdir, or owner/name")
    from_: RefText = Field(default="", alias="from",
                           description="the previous release's ref; empty: the latest tag matching "
                                       "tag_pattern that is reachable from `to` (and not on `to` itself)")
    to: RefText = Field(default="HEAD", min_length=1, description="the new release's ref")
    version: str = Field(min_length=1, max_length=100, description="the version the notes are for")
    title: str | None = Field(default=None, max_length=300, description="default: 'Release <version>'")
    date: str | None = Field(default=None, max_length=40, description="shown in the notes; default: today (UTC)")
    tag_pattern: str | None = Field(default=None, max_length=100,
                                    description="glob of release tags for an empty `from` (default: config, v*)")
    first_parent: bool | None = Field(default=None, description="follow only the first parent, so a merged pull "
                                                                 "request is one entry (default: config, true)")
    template: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                                 description="a template file in the templates directory (default: config)")
    jira_project: str | None = Field(default=None, max_length=100, description="Jira project of the version")
    jira_version: str | None = Field(default=None, max_length=100, description="default: `version`")
    output_file: str | None = Field(default=None, max_length=500,
                                    description="write the notes to this file, relative to the configured "
                                                "output_dir")
    field: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                              description="also store the markdown (a string) in this process field")
    publish: Publish | None = Field(default=None, description="set the notes as a GitHub release body")

    @field_validator("output_file")
    @classmethod
    def _stays_inside(cls, value: str | None) -> str | None:
        # A process definition must not make the daemon overwrite files outside its output directory.
        if value is None:
            return value
        parts = value.replace("\\", "/").split("/")
        if value.startswith("/") or ".." in parts or not value.strip():
            raise ValueError("output_file is a relative path inside the output directory, without '..'")
        return value

    @field_validator("repos")
    @classmethod
    def _distinct(cls, repos: list[str | RepoRef]) -> list[str | RepoRef]:
        # The result maps each repository's name to its range: two of one name would hide one.
        names = [item if isinstance(item, str) else item.label for item in repos]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"repository listed twice: {', '.join(twice)} (give one a `name`)")
        return repos

    def repo_refs(self) -> list[RepoRef]:
        """Every repository as a :class:`RepoRef` (plain strings become ``RepoRef(repo=...)``)."""
        return [RepoRef(repo=item) if isinstance(item, str) else item for item in self.repos]
