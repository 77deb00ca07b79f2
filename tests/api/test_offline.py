"""The API when the broker or the engine cannot be reached, and its errors in general: always the one JSON shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api.app import create_app
from engine.store import open_store
from engine.transport.client import EngineClient
from standins.server import start
from tests.api.conftest import Api, settings_for

NOWHERE = "amqp://guest:guest@127.0.0.1:1/%2F"  # nothing listens on port 1


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Api]:
    """The API on an empty store, with no broker to reach."""
    url = f"sqlite:///{tmp_path / 'boss.db'}"
    with open_store(url) as store:
        running = start(create_app(settings_for(NOWHERE, url), store))
        yield Api(running.url)
        running.stop()


def test_a_launch_without_a_broker_is_503_with_the_reason(offline: Api):
    answer = offline.post("/api/processes", {"definition": "api-count"})
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "broker_unavailable"
    assert error["message"].startswith("cannot reach the broker at amqp://guest:***@127.0.0.1:1/")


def test_metrics_say_the_broker_is_down_and_leave_dead_letters_out(offline: Api):
    text = offline.get("/metrics").text
    assert "boss_broker_up 0\n" in text and "boss_dead_letters" not in text
    assert 'boss_processes{state="running"} 0\n' in text


def test_an_empty_store_lists_nothing(offline: Api):
    assert offline.get("/api/processes").json() == {"items": [], "total": 0, "next": None, "next_cursor": None}
    assert offline.get("/api/participants").json() == {"items": [], "next": None, "next_cursor": None}
    assert offline.get("/api/approvals").json()["items"] == []


def test_unknown_paths_and_methods_answer_in_the_error_shape(offline: Api):
    missing = offline.get("/api/nosuch")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = offline.call("DELETE", "/api/processes")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_an_unexpected_failure_is_a_500_in_the_error_shape(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'boss.db'}"

    def broken() -> EngineClient:
        raise RuntimeError("boom")

    with open_store(url) as store:
        running = start(create_app(settings_for(NOWHERE, url), store, broken))
        try:
            answer = Api(running.url).post("/api/processes", {"definition": "api-count"})
        finally:
            running.stop()
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": "internal",
                                       "message": "internal error (RuntimeError); see the server's log"}}
