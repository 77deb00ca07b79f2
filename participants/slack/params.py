"""The params of a slack step: one model per action, told apart by ``action``.

The union is published as JSON Schema (a ``oneOf`` with a discriminator on ``action``) when the daemon
registers, and validated before ``handle`` runs, so ``wi.params.root`` is one of :class:`Post`,
:class:`Reply`, :class:`Update` or :class:`Progress`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

CHANNEL = "a channel id (C0123ABCDE, preferred) or #name; default: `channel` of the participant's config"
BLOCKS = ("Block Kit blocks (https://docs.slack.dev/block-kit); give text too: Slack shows it in "
          "notifications and where blocks cannot be shown")


class Content(BaseModel):
    """What every action that writes a message takes: where, and the text and/or blocks."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(default=None, min_length=1, description=CHANNEL)
    text: str | None = Field(default=None, description="the message text (Slack mrkdwn)")
    blocks: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=50, description=BLOCKS)

    @model_validator(mode="after")
    def _has_content(self) -> Content:
        if not self.text and not self.blocks:
            raise ValueError("give text or blocks (or both: text is the notification fallback of blocks)")
        return self


class Post(Content):
    """Post a message to a channel, once per step run (a re-run finds the message it posted)."""

    action: Literal["post"]


class Reply(Content):
    """Reply in the thread of a message, once per step run."""

    action: Literal["reply"]
    thread_ts: str = Field(min_length=1, description="ts of the thread's parent message, e.g. ${announce.ts}")
    broadcast: bool = Field(default=False, description="also show the reply in the channel")


class Update(Content):
    """Replace the text and/or blocks of a message the app posted."""

    action: Literal["update"]
    ts: str = Field(min_length=1, description="ts of the message, e.g. ${announce.ts}")


class Progress(Content):
    """Keep one live message per process and channel: the first call posts it, later calls update it."""

    action: Literal["progress"]


Action = Annotated[Post | Reply | Update | Progress, Field(discriminator="action")]


class SlackParams(RootModel[Action]):
    """A slack step's params: ``action`` (post, reply, update or progress) and that action's fields."""

    @model_validator(mode="before")
    @classmethod
    def _names_an_action(cls, data: Any) -> Any:
        # pydantic's own words for a missing discriminator ("Unable to extract tag") help nobody.
        if isinstance(data, dict) and "action" not in data:
            raise ValueError("no action: give action: post, reply, update or progress")
        return data
