"""Bearer tokens: 401 without or with a wrong token, 403 for a read-only token on writes, public health and docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.api.auth import Principal, load_tokens
from engine.config import ApiToken, ConfigError, Settings
from tests.api.conftest import OPERATOR, READER, Api

pytestmark = pytest.mark.integration

READS = [
    "/api/processes", "/api/processes/nosuch", "/api/processes/nosuch/history", "/api/approvals",
    "/api/definitions", "/api/definitions/api-hello", "/api/participants", "/api/participants/echo",
    "/api/pools", "/api/events", "/api/me", "/metrics", "/api/nosuch",
]  # fmt: skip
WRITES = [
    ("/api/processes", {"definition": "api-hello", "fields": {"who": "x"}}),
    *((f"/api/processes/nosuch/{command}", {}) for command in ("cancel", "pause", "resume", "retry", "skip")),
    ("/api/processes/nosuch/approve", {"approved": True}),
    ("/api/pools/alpha/restart", {"programs": ["echo"]}),
]  # fmt: skip


def test_health_answers_without_a_token(api: Api):
    answer = api.get("/api/health", token=None)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "store": "ok"}


def test_the_openapi_document_is_public_and_describes_every_endpoint(api: Api):
    document = api.get("/api/openapi.json", token=None).json()
    paths = document["paths"]
    for path in ("/api/processes", "/api/processes/{process_id}", "/api/processes/{process_id}/history",
                 "/api/processes/{process_id}/cancel", "/api/processes/{process_id}/approve", "/api/definitions",
                 "/api/participants", "/api/pools", "/api/pools/{pool}/{action}", "/api/events", "/metrics"):
        assert path in paths, path
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert api.get("/api/docs", token=None).status_code == 200


@pytest.mark.parametrize("path", READS)
def test_every_read_without_a_token_is_401_with_a_bearer_challenge(api: Api, path: str):
    answer = api.get(path, token=None)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_every_write_without_a_token_is_401_and_with_a_wrong_one_too(api: Api, path: str, body: dict[str, object]):
    assert api.post(path, body, token=None).status_code == 401
    wrong = api.post(path, body, token="not-a-token")
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    assert wrong.json() == {"error": {"code": "unauthorized", "message": "invalid token"}}


def test_a_request_without_a_token_is_refused_before_its_body_is_read(api: Api):
    answer = api.call("POST", "/api/processes", token=None, data=b"{not json",
                      headers={"Content-Type": "application/json"})
    assert answer.status_code == 401


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_every_write_with_a_read_only_token_is_403(api: Api, path: str, body: dict[str, object]):
    answer = api.post(path, body, token=READER)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert "read-only" in answer.json()["error"]["message"]


def test_a_read_only_token_may_read(api: Api):
    assert api.get("/api/processes", token=READER).status_code == 200
    assert api.get("/api/me", token=READER).json() == {"name": "reader", "role": "read"}
    assert api.get("/api/me", token=OPERATOR).json() == {"name": "api", "role": "operate"}


def test_named_tokens_are_read_from_their_variable_or_file_and_act_under_their_name(tmp_path: Path):
    (tmp_path / "bob.token").write_text("bob-secret\n")
    settings = Settings(api_tokens={"alice": ApiToken(token_env="ALICE_TOKEN", role="operate"),
                                    "bob": ApiToken(token_file=str(tmp_path / "bob.token"))})
    tokens = load_tokens(settings, env={"ALICE_TOKEN": "alice-secret"})
    assert tokens.identify("alice-secret") == Principal("alice", "operate")
    assert tokens.identify("bob-secret") == Principal("bob", "read")
    assert tokens.identify("bob-secret\n") is None
    assert tokens.identify("") is None


def test_a_named_token_whose_variable_is_unset_is_a_configuration_error():
    settings = Settings(api_tokens={"alice": ApiToken(token_env="ALICE_TOKEN")})
    with pytest.raises(ConfigError, match=r"api_tokens\.alice: environment variable ALICE_TOKEN is empty or unset"):
        load_tokens(settings, env={})


def test_two_callers_cannot_share_a_token():
    with pytest.raises(ConfigError, match="same value"):
        load_tokens(Settings(api_token="same", api_read_token="same"))


def test_a_named_token_needs_exactly_one_source():
    with pytest.raises(ValueError, match="exactly one of token_env and token_file"):
        ApiToken(role="read")
