"""The params of the jira participant: one model per action, told apart by ``action``.

A step names its action and that action's params, e.g.
``jira: {action: create_version, project: REL, name: "${version}"}``. The union is discriminated on
``action``, so a bad step gets the errors of the action it names (not of all six), and the JSON Schema
published at registration lists each action with its own required params.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

ProjectKey = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=255,
                                  description="a project key, such as REL")]
IssueKey = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*-[0-9]+$", description="an issue key, such as REL-42")]
Label = Annotated[str, Field(pattern=r"^\S+$", max_length=255, description="a Jira label (no spaces)")]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateVersion(_Action):
    """Create a version (a release) in a project, unless one of that name exists: then report it."""

    action: Literal["create_version"]
    project: ProjectKey
    name: str = Field(min_length=1, max_length=255, description="the version name, such as 2026.12")
    description: str | None = None
    release_date: dt.date | None = Field(default=None, description="planned release date, YYYY-MM-DD")


class ReleaseVersion(_Action):
    """Mark a version released, with a release date; a version released already is left as it is."""

    action: Literal["release_version"]
    project: ProjectKey
    name: str = Field(min_length=1, max_length=255)
    date: dt.date | None = Field(default=None, description="the release date, YYYY-MM-DD (default: today)")


class Search(_Action):
    """Find issues with JQL, every page of them (or the first ``max``)."""

    action: Literal["search"]
    jql: str = Field(min_length=1, description='e.g. project = REL AND fixVersion = "2026.12" ORDER BY key')
    fields: list[str] = Field(default_factory=list,
                              description="more fields to return besides key, summary and status")
    max: int | None = Field(default=None, ge=1, description="stop after this many issues (default: all)")


class Transition(_Action):
    """Move issues (listed, or found by JQL) to a status; issues already there are left alone."""

    action: Literal["transition"]
    issues: list[IssueKey] | None = Field(default=None, min_length=1)
    jql: str | None = Field(default=None, min_length=1)
    to: str = Field(min_length=1, description="the target status (Done), or a transition's name")

    @model_validator(mode="after")
    def _one_selection(self) -> Transition:
        if (self.issues is None) == (self.jql is None):
            raise ValueError("give either issues (a list of keys) or jql, not both and not neither")
        return self


class Comment(_Action):
    """Comment on an issue, once: a rerun of the step finds its comment and does not add another."""

    action: Literal["comment"]
    issue: IssueKey
    body: str = Field(min_length=1, description="the comment, in Jira's wiki markup")


class CreateIssue(_Action):
    """Create an issue, once: it carries a label made from the step's idempotency key, looked for first."""

    action: Literal["create_issue"]
    project: ProjectKey
    summary: str = Field(min_length=1, max_length=255)
    type: str = Field(default="Task", min_length=1, description="the issue type's name: Task, Bug, Story...")
    description: str | None = None
    labels: list[Label] = Field(default_factory=list)


Action = Annotated[CreateVersion | ReleaseVersion | Search | Transition | Comment | CreateIssue,
                   Field(discriminator="action")]


class JiraParams(RootModel[Action]):
    """The params of a jira step: one of the actions, chosen by ``action``."""
