"""The params of each git action: one pydantic model per ``action``, joined in a discriminated union.

Every action takes ``repos``, a list of repositories (``owner/name``), because one release step spans
all the services. Names of refs are checked here the way ``git check-ref-format`` would refuse them, and
never start with ``-``, so that no value from a process can turn into an option of a git command.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    model_validator,
)

REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*(/[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$")
REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(/|$)")


def _repo(value: str) -> str:
    if not REPO_PATTERN.match(value) or any(part in (".", "..") for part in value.split("/")):
        raise ValueError(f"{value!r} is not a repository name: use owner/name (letters, digits, '.', '-', '_')")
    return value


def _ref(value: str) -> str:
    if (not value or value.startswith(("-", "/", ".")) or value.endswith(("/", ".")) or value == "@"
            or REF_FORBIDDEN.search(value)):
        raise ValueError(f"{value!r} is not a valid git ref name")
    return value


def is_ref_name(value: str) -> bool:
    """Whether ``value`` can be the name of a branch or tag (``main~1`` cannot: it is an expression)."""
    try:
        _ref(value)
    except ValueError:
        return False
    return True


def _revision(value: str) -> str:
    # What names a commit may also be an expression (main~1, v1.0^): only what could be an option or a
    # range is refused.
    if not value or value.startswith("-") or ".." in value or re.search(r"[\x00-\x20\x7f]", value):
        raise ValueError(f"{value!r} is not a branch, tag or commit")
    return value


def _listed(value: Any) -> Any:
    # A step may name one repository as a plain string.
    return [value] if isinstance(value, str) else value


RepoName = Annotated[str, AfterValidator(_repo)]
RefName = Annotated[str, AfterValidator(_ref), Field(description="a branch or tag name")]
Revision = Annotated[str, AfterValidator(_revision), Field(description="a branch, tag or commit (main~1 too)")]
Repos = Annotated[list[RepoName], BeforeValidator(_listed),
                  Field(min_length=1, description="repositories, owner/name; one step spans them all")]


class Action(BaseModel):
    """What every action takes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    repos: Repos


# ---- local actions: the git CLI on clones in the workdir --------------------------------------------------
class Fetch(Action):
    """Make sure each repository has a clone in the workdir and fetch it (``fresh`` re-clones it)."""

    action: Literal["fetch", "clone"]
    fresh: bool = Field(False, description="delete the clone first: drops unpushed work of earlier runs")


class Branch(Action):
    """Create a local branch at what ``from`` names (a branch, tag or commit)."""

    action: Literal["branch"]
    branch: RefName
    from_: Revision = Field(alias="from")
    push: bool = Field(False, description="push the branch to the remote at once")


class Merge(Action):
    """Merge ``source`` into branch ``target`` with a merge commit (``--no-ff``)."""

    action: Literal["merge"]
    source: Revision
    target: RefName
    message: str | None = Field(None, description="default: Merge SOURCE into TARGET")
    push: bool = Field(False, description="push the target branch to the remote at once")


class Tag(Action):
    """Create an annotated tag at what ``ref`` names."""

    action: Literal["tag"]
    tag: RefName
    ref: Revision
    message: str | None = Field(None, description="the tag's message; default: the tag name")
    push: bool = Field(False, description="push the tag to the remote at once")


class Push(Action):
    """Push branches and tags (short names or ``refs/...``) to the remote, atomically per repository."""

    action: Literal["push"]
    refs: Annotated[list[RefName], BeforeValidator(_listed), Field(min_length=1)]


class Log(Action):
    """List the commits reachable from ``to`` but not from ``from`` (oldest first)."""

    action: Literal["log"]
    from_: Revision | None = Field(None, alias="from", description="exclusive; empty: the whole history")
    to: Revision
    limit: int = Field(1000, ge=1, description="at most this many commits (the newest ones)")

    @model_validator(mode="before")
    @classmethod
    def _empty_from_is_none(cls, data: Any) -> Any:
        # Processes template "from: ${previous_tag}" with an empty default.
        if isinstance(data, dict) and data.get("from") == "":
            return {**data, "from": None}
        return data


# ---- GitHub actions: PyGithub against github_url -----------------------------------------------------------
class GhBranch(Action):
    """Create a branch on GitHub at what ``from`` names."""

    action: Literal["gh_branch"]
    branch: RefName
    from_: Revision = Field(alias="from")


class GhMerge(Action):
    """Merge ``head`` into branch ``base`` on GitHub (the merges API: always a merge commit)."""

    action: Literal["gh_merge"]
    base: RefName
    head: Revision
    message: str | None = Field(None, description="default: GitHub's Merge HEAD into BASE")


class PullRequest(Action):
    """Open a pull request from ``head`` to ``base``, unless one is open already."""

    action: Literal["pull_request"]
    base: RefName
    head: str = Field(min_length=1, description="a branch, or owner:branch")
    title: str = Field(min_length=1)
    body: str = ""
    draft: bool = False


class Release(Action):
    """Create (or bring up to date) the GitHub release of ``tag`` with release notes."""

    action: Literal["release"]
    tag: RefName
    name: str | None = Field(None, description="default: the tag")
    notes: str | dict[str, str] = Field("", validation_alias=AliasChoices("notes", "body"),
                                        description="the release body; or a map of repository to its notes")
    target: Revision | None = Field(None, description="where a new tag points; default: the default branch")
    draft: bool = False
    prerelease: bool = False

    @model_validator(mode="after")
    def _notes_for_every_repo(self) -> Release:
        if isinstance(self.notes, dict):
            missing = [repo for repo in self.repos if repo not in self.notes]
            if missing:
                raise ValueError(f"notes has no entry for {', '.join(missing)}")
        return self

    def notes_for(self, repo: str) -> str:
        """The release body of one repository."""
        return self.notes[repo] if isinstance(self.notes, dict) else self.notes


class Compare(Action):
    """The commits of ``head`` that ``base`` lacks, with their pull request numbers, from GitHub."""

    action: Literal["compare"]
    base: Revision
    head: Revision
    limit: int = Field(1000, ge=1, description="at most this many commits (the oldest ones)")


AnyAction = Fetch | Branch | Merge | Tag | Push | Log | GhBranch | GhMerge | PullRequest | Release | Compare
LOCAL_ACTIONS = ("fetch", "clone", "branch", "merge", "tag", "push", "log")


class Params(RootModel[Annotated[AnyAction, Field(discriminator="action")]]):
    """The params of a git step: ``action`` selects the model."""
