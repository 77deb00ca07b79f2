"""Jira: versions, JQL search, transitions, comments and issues for release processes.

A step names an action and its params (see :mod:`participants.jira.params` and docs/participants/jira.md)::

    - name: create-version
      jira: {action: create_version, project: REL, name: "${version}"}
      retry: {max: 3, delay: 1m, backoff: exponential}

Actions: ``create_version``, ``release_version``, ``search``, ``transition``, ``comment``,
``create_issue``. Each looks before it acts, so a rerun after a crash changes nothing twice (see
:mod:`participants.jira.actions`). Jira's client errors (400, 401, 403, 404...) are permanent
``JiraRefused`` errors quoting Jira's message; 5xx, 429 and network failures are retryable
``JiraUnavailable`` errors for the step's ``retry`` policy (see :mod:`participants.jira.client`).

Configuration (``etc/participants/jira.yaml``; the token only from ``BOSS_JIRA_TOKEN``)::

    url: https://jira.example.com     # or https://acme.atlassian.net
    auth: server                       # server: personal access token (bearer); cloud: BOSS_JIRA_USER + API token
    timeout: 30s
"""

from __future__ import annotations

from typing import Any, ClassVar

from participants.jira.actions import Context, run
from participants.jira.client import JiraConfig, connect, read_config
from participants.jira.params import JiraParams
from skynet import Participant, Workitem


class Jira(Participant):
    """Jira versions, JQL search, transitions, comments and issues (Cloud or Server/Data Center)."""

    name = "jira"
    version = "1"
    Params = JiraParams
    config_keys: ClassVar[tuple[str, ...]] = ("url", "auth", "user", "token", "timeout", "max_retry_after",
                                              "page_size", "verify", "ca_bundle")

    def setup(self, config: dict[str, Any]) -> None:
        """Check the configuration and build a client once, so a bad URL or option stops the daemon at start.

        No request is made: a daemon must start while Jira is down, and a bad token is reported by the
        first step that uses it, with Jira's own message.
        """
        self.config: JiraConfig = read_config(config)
        connect(self.config).close()  # type: ignore[no-untyped-call]  # untyped in jira 3.10

    def handle(self, wi: Workitem) -> dict[str, Any]:
        # A client per workitem: requests sessions are not promised thread-safe, and --concurrency runs
        # several handle() calls at once. Building one makes no request.
        client = connect(self.config)
        try:
            return run(Context(client, self.config, wi), wi.params.root)
        finally:
            client.close()  # type: ignore[no-untyped-call]
