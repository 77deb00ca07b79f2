"""Webhook signatures, the rules file, and which rules an event matches (no HTTP, no engine)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.config import ConfigError
from engine.errors import ExpressionError
from launchers.webhook.config import Rule, load_webhooks
from launchers.webhook.rules import Hook, branch_of, describe, fields_for, matches
from launchers.webhook.signature import sign, verify

ROOT = Path(__file__).parent.parent.parent
SECRET = "It's a Secret to Everybody"


def test_the_signature_is_githubs_hmac_sha256_of_the_body() -> None:
    # The example of GitHub's documentation ("Validating webhook deliveries").
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(SECRET, b"Hello, World!") == expected
    assert verify(SECRET, b"Hello, World!", expected)


@pytest.mark.parametrize("header", [None, "", "sha256=", "sha1=757107ea0eb2509fc211221cce984b8a37570b6d",
                                    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18",
                                    "sha256=ÿ", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"])
def test_a_missing_or_forged_signature_does_not_verify(header: str | None) -> None:
    assert not verify(SECRET, b"Hello, World!", header)


def test_a_signature_made_with_another_secret_or_body_does_not_verify() -> None:
    assert not verify(SECRET, b"Hello, World?", sign(SECRET, b"Hello, World!"))
    assert not verify("guess", b"Hello, World!", sign(SECRET, b"Hello, World!"))
    assert not verify("", b"", sign("", b""))  # no secret: nothing verifies


@pytest.mark.parametrize(("event", "payload", "branch"), [
    ("push", {"ref": "refs/heads/release/2026.12"}, "release/2026.12"),
    ("push", {"ref": "refs/tags/v1.0"}, None),
    ("pull_request", {"pull_request": {"base": {"ref": "main"}, "head": {"ref": "feature"}}}, "main"),
    ("pull_request_review", {"pull_request": {"base": {"ref": "stable"}}}, "stable"),
    ("create", {"ref": "integration2026.12", "ref_type": "branch"}, "integration2026.12"),
    ("create", {"ref": "v1.0", "ref_type": "tag"}, None),
    ("release", {"release": {"target_commitish": "main"}}, "main"),
    ("workflow_run", {"workflow_run": {"head_branch": "main"}}, "main"),
    ("issues", {"issue": {}}, None),
    ("push", {"ref": 42}, None),
])
def test_the_branch_is_taken_from_where_each_event_keeps_it(event: str, payload: dict[str, Any],
                                                            branch: str | None) -> None:
    assert branch_of(event, payload) == branch


def rule(**options: Any) -> Rule:
    return Rule.model_validate({"name": "r", "event": "pull_request", "process": "launched", **options})


def pull_request(action: str = "closed", base: str = "main", repo: str = "acme/api", merged: bool = True) -> Hook:
    return Hook("pull_request", "d-1", {"action": action, "repository": {"full_name": repo},
                                        "pull_request": {"base": {"ref": base}, "merged": merged, "number": 7},
                                        "sender": {"login": "ann"}})


def test_a_rule_matches_on_event_action_repository_branch_and_condition() -> None:
    strict = rule(action="closed", repositories=["acme/*"], branches=["main", "release/*"],
                  when="payload.pull_request.merged")

    assert matches(strict, pull_request())
    assert matches(strict, pull_request(base="release/2026.12"))
    assert not matches(strict, pull_request(action="opened"))
    assert not matches(strict, pull_request(base="feature/x"))
    assert not matches(strict, pull_request(repo="other/api"))
    assert not matches(strict, pull_request(merged=False))
    assert not matches(strict, Hook("push", "d-2", {"ref": "refs/heads/main", "repository": {"full_name": "acme/api"}}))
    assert not matches(rule(enabled=False), pull_request())
    assert matches(rule(), pull_request(action="anything", repo="any/repo"))


def test_a_branch_filter_never_matches_an_event_without_a_branch() -> None:
    assert not matches(rule(event="issues", branches=["*"]), Hook("issues", "d", {"action": "opened"}))


def test_fields_come_from_the_payload_by_templates() -> None:
    mapping = rule(fields={"number": "${payload.pull_request.number}", "who": "${sender}", "where": "${branch}",
                           "note": "PR #${payload.pull_request.number} in ${repository}", "id": "${delivery}"})

    assert fields_for(mapping, pull_request()) == {"number": 7, "who": "ann", "where": "main",
                                                   "note": "PR #7 in acme/api", "id": "d-1"}
    assert describe(pull_request()) == "pull_request closed in acme/api on branch main"


def test_a_field_the_payload_does_not_have_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="tag_name"):
        fields_for(rule(fields={"version": "${payload.release.tag_name}"}), pull_request())


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_shipped_rules_file_is_valid() -> None:
    config = load_webhooks(ROOT / "etc" / "webhooks.yaml", env={"BOSS_WEBHOOK_SECRET": SECRET})

    assert config.path == "/hooks/github"
    assert {r.process for r in config.rules} == {"monthly-release", "hello"}
    assert config.secret.get_secret_value() == SECRET


def test_the_secret_comes_from_the_environment_or_a_file_never_from_the_rules_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    os.chmod(secret_file, 0o600)
    from_file = write(tmp_path / "a.yaml", {"secret_file": "secret", "rules": []})
    inline = write(tmp_path / "b.yaml", {"secret": SECRET, "rules": []})
    none = write(tmp_path / "c.yaml", {"rules": []})

    assert load_webhooks(from_file, env={}).secret.get_secret_value() == SECRET
    assert load_webhooks(from_file, env={"BOSS_WEBHOOK_SECRET": "env"}).secret.get_secret_value() == "env"
    with pytest.raises(ConfigError, match="do not write the secret in the file"):
        load_webhooks(inline, env={"BOSS_WEBHOOK_SECRET": "env"})
    with pytest.raises(ConfigError, match="no webhook secret: set BOSS_WEBHOOK_SECRET"):
        load_webhooks(none, env={})


@pytest.mark.parametrize(("rules", "message"), [
    ([{"name": "a", "event": "push"}], "rules.0.process: Field required"),
    ([{"name": "a", "event": "push", "process": "p", "fields": {"v": "${x +}"}}], "syntax error in ${x +}"),
    ([{"name": "a", "event": "push", "process": "p", "when": "${x}"}], "conditions are written without ${ ... }"),
    ([{"name": "a", "event": "push", "process": "p"}] * 2, "rule names must be unique: a given more than once"),
])
def test_a_bad_rule_is_refused_when_the_file_is_read(tmp_path: Path, rules: list[dict[str, Any]],
                                                     message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_webhooks(write(tmp_path / "w.yaml", {"rules": rules}), env={"BOSS_WEBHOOK_SECRET": SECRET})
