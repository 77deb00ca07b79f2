"""Slack: post release news to a channel, reply in its thread, update messages, keep a live progress message.

Built on slack-sdk's ``WebClient``, pointed at ``base_url`` (https://slack.com/api/ by default, a stand-in
in tests) with a bot token from ``BOSS_SLACK_TOKEN``::

    - name: announce
      slack: {action: post, channel: "#releases", text: "Feature freeze for ${version}"}
    - slack: {action: reply, channel: "#releases", thread_ts: "${announce.ts}", text: "branches cut"}
    - slack: {action: progress, channel: "#releases", text: "${version}: ✅ branches cut · ⏳ load tests"}

Actions (see :mod:`participants.slack.params`): ``post``, ``reply``, ``update`` and ``progress``; each
returns ``{channel, ts, ...}``. Why a re-run never posts twice: :mod:`participants.slack.actions`. Which
failures are retried: :mod:`participants.slack.errors` (rate limits are first honoured inside the call,
see :mod:`participants.slack.client`). User documentation: ``docs/participants/slack.md``.
"""

from __future__ import annotations

from typing import Any

from participants.slack import actions
from participants.slack.client import SlackClient, SlackConfig, log, read_config
from participants.slack.errors import SlackError
from participants.slack.params import Post, Progress, Reply, SlackParams, Update
from skynet import Participant, ParticipantError, Workitem


class Slack(Participant):
    """Posts, replies to and updates Slack messages; keeps one live progress message per process."""

    name = "slack"
    version = "1"
    config_keys = ("token", "base_url", "channel", "timeout", "rate_limit_retries", "max_retry_after", "lookback")
    Params = SlackParams

    config: SlackConfig
    client: SlackClient

    def setup(self, config: dict[str, Any]) -> None:
        """Read the configuration and say who the token is; a bad token is logged, not fatal.

        A daemon that refused to start over a revoked token would restart in a loop under the pool while
        steps wait unseen; running, it fails each step with Slack's ``invalid_auth`` where operators look.
        """
        self.config = read_config(config)
        self.client = SlackClient(self.config)
        try:
            who = self.client.identity()
        except ParticipantError as exc:
            log.warning("slack: checking the token failed (steps will fail the same way until it is "
                                "fixed): %s", exc.message)
        else:
            log.info("slack: Web API at %s, token of %s in team %s", self.client.web.base_url, who.get("user"),
                     who.get("team"))

    def handle(self, wi: Workitem) -> dict[str, Any]:
        """Run the step's action."""
        params = wi.params.root
        if isinstance(params, Post):
            return actions.post(self.client, wi, params)
        if isinstance(params, Reply):
            return actions.reply(self.client, wi, params)
        if isinstance(params, Update):
            return actions.update(self.client, wi, params)
        if isinstance(params, Progress):
            return actions.progress(self.client, wi, params)
        raise SlackError(f"unknown action {params!r}")  # unreachable: Params validated the action


__all__ = ["Slack", "SlackError"]
