"""Which rules an event matches, and the launch fields each gives: pure functions of the rules and the event.

GitHub names the event in the ``X-GitHub-Event`` header and the kind of change in the payload's
``action``; the repository and the branch are where each event type keeps them (:func:`branch_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from engine.expressions import render, truthy
from launchers.webhook.config import Rule

_PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target", "pull_request_review",
                        "pull_request_review_comment", "pull_request_review_thread")  # fmt: skip


@dataclass(frozen=True)
class Hook:
    """One delivery: the event name, GitHub's delivery id, and the parsed payload (a JSON object)."""

    event: str
    delivery: str
    payload: dict[str, Any]

    @property
    def action(self) -> str | None:
        action = self.payload.get("action")
        return action if isinstance(action, str) else None

    @property
    def repository(self) -> str | None:
        """``owner/name`` of the repository the event is about."""
        name = _dig(self.payload, "repository", "full_name")
        return name if isinstance(name, str) else None

    @property
    def sender(self) -> str | None:
        login = _dig(self.payload, "sender", "login")
        return login if isinstance(login, str) else None

    @property
    def branch(self) -> str | None:
        return branch_of(self.event, self.payload)

    def scope(self) -> dict[str, Any]:
        """The names field templates and ``when`` conditions read."""
        return {"payload": self.payload, "event": self.event, "action": self.action, "delivery": self.delivery,
                "repository": self.repository, "branch": self.branch, "sender": self.sender}


def branch_of(event: str, payload: dict[str, Any]) -> str | None:
    """The branch an event is about, or None (a tag push, an issue comment...).

    ``push``: ``ref`` without ``refs/heads/``; pull request events: the base branch (where the change
    goes); ``create``/``delete`` of a branch: ``ref``; ``release``: ``target_commitish``;
    ``workflow_run``: ``head_branch``.
    """
    found: Any = None
    if event == "push":
        ref = payload.get("ref")
        found = ref.removeprefix("refs/heads/") if isinstance(ref, str) and ref.startswith("refs/heads/") else None
    elif event in _PULL_REQUEST_EVENTS:
        found = _dig(payload, "pull_request", "base", "ref")
    elif event in ("create", "delete"):
        found = payload.get("ref") if payload.get("ref_type") == "branch" else None
    elif event == "release":
        found = _dig(payload, "release", "target_commitish")
    elif event == "workflow_run":
        found = _dig(payload, "workflow_run", "head_branch")
    return found if isinstance(found, str) else None


def matches(rule: Rule, hook: Hook) -> bool:
    """Whether ``hook`` passes every filter of ``rule``.

    Raises:
        ExpressionError: the rule's ``when`` condition fails on this payload.
    """
    if not rule.enabled or rule.event != hook.event:
        return False
    if rule.actions and hook.action not in rule.actions:
        return False
    if rule.repositories and not _any_glob(hook.repository, rule.repositories):
        return False
    if rule.branches and not _any_glob(hook.branch, rule.branches):
        return False
    return rule.when is None or truthy(rule.when, hook.scope())


def fields_for(rule: Rule, hook: Hook) -> dict[str, Any]:
    """The launch fields of ``rule`` for ``hook``.

    Raises:
        ExpressionError: a template names something the payload does not have.
    """
    rendered: dict[str, Any] = render(rule.fields, hook.scope())
    return rendered


def describe(hook: Hook) -> str:
    """The event for messages: ``push to acme/api branch main``, ``pull_request closed in acme/api``."""
    text = hook.event + (f" {hook.action}" if hook.action else "")
    if hook.repository:
        text += f" in {hook.repository}"
    if hook.branch:
        text += f" on branch {hook.branch}"
    return text


def _any_glob(value: str | None, patterns: list[str]) -> bool:
    return value is not None and any(fnmatchcase(value, pattern) for pattern in patterns)


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
