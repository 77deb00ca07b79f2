"""The webhook endpoint over real HTTP, launching through the real engine.

Acceptance: a forged or missing signature gets 401 and launches nothing; a good one launches one process
with fields from the payload, and GitHub's redelivery of the same delivery launches nothing more.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from launchers.client import Launched, Launcher
from launchers.webhook import WebhookConfig, create_app, sign
from standins import server
from tests.integration.conftest import Deployment
from tests.launchers.conftest import FakeEngine, engine_launcher, launched

pytestmark = pytest.mark.integration

SECRET = "webhook-test-secret"
RULES = [
    {"name": "release-published", "event": "release", "action": "published", "repositories": ["acme/*"],
     "process": "launched", "fields": {"version": "${payload.release.tag_name}", "origin": "${payload.origin}"}},
    {"name": "merged-to-main", "event": "pull_request", "action": "closed", "branches": ["main"],
     "when": "payload.pull_request.merged", "process": "launched",
     "fields": {"version": "pr-${payload.pull_request.number}", "origin": "${payload.origin}"}},
    {"name": "to-nowhere", "event": "deployment", "process": "no-such-process"},
    {"name": "needs-a-tag", "event": "push", "process": "launched", "fields": {"version": "${payload.tag}"}},
]


@dataclass
class Counting:
    """Passes launches to the engine and counts them: a refused request must not even reach the launcher."""

    inner: Launcher
    calls: int = 0

    def __call__(self, process: str, fields: Mapping[str, Any], *, request_id: str, by: str) -> Launched:
        self.calls += 1
        return self.inner(process, fields, request_id=request_id, by=by)


@dataclass
class Endpoint:
    url: str
    launcher: Counting

    def post(self, event: str, payload: Any, *, delivery: str | None = None, signature: str | None = "sign",
             body: bytes | None = None) -> requests.Response:
        data = body if body is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": event,
                   "X-GitHub-Delivery": delivery or str(uuid.uuid4())}
        if signature == "sign":
            headers["X-Hub-Signature-256"] = sign(SECRET, data)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return requests.post(f"{self.url}/hooks/github", data=data, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def endpoint(engine: Deployment) -> Iterator[Endpoint]:
    counting = Counting(engine_launcher(engine))
    config = WebhookConfig.model_validate({"secret": SECRET, "rules": RULES})
    running = server.start(create_app(config, counting))
    try:
        yield Endpoint(running.url, counting)
    finally:
        running.stop()


def release(origin: str, tag: str = "2026.12", repo: str = "acme/api") -> dict[str, Any]:
    return {"action": "published", "release": {"tag_name": tag, "target_commitish": "main"},
            "repository": {"full_name": repo}, "sender": {"login": "ann"}, "origin": origin}


def test_a_signed_event_launches_one_process_with_fields_from_the_payload(engine: Deployment,
                                                                         endpoint: Endpoint) -> None:
    answer = endpoint.post("release", release("signed"))

    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "launched"
    [launch] = body["launches"]
    assert (launch["rule"], launch["process"]) == ("release-published", "launched")
    row = engine.wait(launch["process_id"])
    assert row.state.fields == {"version": "2026.12", "origin": "signed", "recorded": "2026.12 from signed"}
    assert engine.records(row.id, "process.launched")[0].data["by"] == "github:ann"


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, sign("a guessed secret", b"{}"),
                                       sign(SECRET, b"another body")])
def test_a_missing_or_forged_signature_is_refused_with_401_and_launches_nothing(
        engine: Deployment, endpoint: Endpoint, signature: str | None) -> None:
    calls = endpoint.launcher.calls

    answer = endpoint.post("release", release("forged"), signature=signature)

    assert answer.status_code == 401
    assert answer.json() == {"error": "missing or invalid X-Hub-Signature-256 signature"}
    assert endpoint.launcher.calls == calls
    assert launched(engine, "forged") == []


def test_a_redelivery_of_the_same_delivery_launches_once(engine: Deployment, endpoint: Endpoint) -> None:
    delivery = str(uuid.uuid4())
    first = endpoint.post("release", release("redelivered"), delivery=delivery)
    again = endpoint.post("release", release("redelivered"), delivery=delivery)

    assert first.status_code == again.status_code == 202
    assert first.json()["launches"][0]["process_id"] == again.json()["launches"][0]["process_id"]
    assert len(launched(engine, "redelivered")) == 1


def test_events_no_rule_matches_are_ignored_with_the_reason(engine: Deployment, endpoint: Endpoint) -> None:
    wrong_branch = {"action": "closed", "pull_request": {"merged": True, "number": 1, "base": {"ref": "develop"}},
                    "repository": {"full_name": "acme/api"}, "origin": "ignored"}
    not_merged = {**wrong_branch, "pull_request": {"merged": False, "number": 2, "base": {"ref": "main"}}}

    for event, payload in (("pull_request", wrong_branch), ("pull_request", not_merged),
                           ("release", release("ignored", repo="elsewhere/api")), ("issues", {"action": "opened"})):
        answer = endpoint.post(event, payload)
        assert answer.status_code == 202, answer.text
        assert answer.json()["status"] == "ignored"
    assert answer.json()["reason"] == "no rule for issues opened"
    assert launched(engine, "ignored") == []


def test_a_merged_pull_request_into_main_launches(engine: Deployment, endpoint: Endpoint) -> None:
    payload = {"action": "closed", "pull_request": {"merged": True, "number": 12, "base": {"ref": "main"}},
               "repository": {"full_name": "acme/web"}, "origin": "merged"}

    answer = endpoint.post("pull_request", payload)

    assert answer.status_code == 202, answer.text
    assert engine.wait(answer.json()["launches"][0]["process_id"]).state.fields["version"] == "pr-12"


def test_a_refused_launch_or_a_field_missing_from_the_payload_is_422_with_the_reason(endpoint: Endpoint) -> None:
    refused = endpoint.post("deployment", {"deployment": {}})
    no_field = endpoint.post("push", {"ref": "refs/heads/main"})

    assert refused.status_code == 422
    assert "no-such-process" in refused.json()["launches"][0]["error"]
    assert no_field.status_code == 422
    assert "tag" in no_field.json()["launches"][0]["error"]


def test_a_signed_body_that_is_not_a_json_object_is_a_bad_request(endpoint: Endpoint) -> None:
    assert endpoint.post("release", None, body=b"{not json").status_code == 400
    assert endpoint.post("release", None, body=b"[1, 2]").json() == {"error": "the body must be a JSON object"}


def test_githubs_ping_is_answered(endpoint: Endpoint) -> None:
    answer = endpoint.post("ping", {"zen": "Keep it logically awesome.", "hook_id": 1})

    assert (answer.status_code, answer.json()) == (200, {"status": "pong"})


def test_an_unreachable_engine_is_503_so_that_a_redelivery_later_can_launch() -> None:
    config = WebhookConfig.model_validate({"secret": SECRET, "rules": RULES})
    down = FakeEngine(down=True)
    with server.serve(create_app(config, down)) as url:
        answer = Endpoint(url, Counting(down)).post("release", release("down"))

    assert answer.status_code == 503
    assert "cannot reach the broker" in answer.json()["error"]
    assert [s.request_id.startswith("github:") for s in down.sent] == [True]


def test_a_body_larger_than_the_limit_is_refused_unread() -> None:
    config = WebhookConfig.model_validate({"secret": SECRET, "rules": RULES, "max_body": 100})
    engine = FakeEngine()
    with server.serve(create_app(config, engine)) as url:
        answer = Endpoint(url, Counting(engine)).post("release", release("x" * 200))

    assert answer.status_code == 413
    assert engine.sent == []
