"""``GET /api/events``: server-sent events with the records of every commit, live, resumable per process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, EventReader

pytestmark = pytest.mark.integration

Open = Callable[..., EventReader]


def kinds(events: list[dict[str, Any]], pid: str) -> list[str]:
    return [r["kind"] for e in events if e["data"]["process_id"] == pid for r in e["data"]["records"]]


def test_a_launch_streams_its_step_events_as_they_are_committed(api: Api, stream: Open):
    reader = stream()
    pid = api.launch("api-hello", who="stream")
    events = reader.wait(lambda e: e["data"]["process_id"] == pid and e["data"]["status"] == "done")
    seen = kinds(events, pid)
    assert seen[0] == "process.launched" and seen[-1] == "process.done"
    assert {"step.dispatched", "step.done"} <= set(seen)
    seqs = [r["seq"] for e in events if e["data"]["process_id"] == pid for r in e["data"]["records"]]
    assert seqs == list(range(1, len(seqs) + 1))
    streamed = [r for e in events if e["data"]["process_id"] == pid for r in e["data"]["records"]]
    assert streamed == api.get(f"/api/processes/{pid}/history").json()["items"]  # the same records, the same JSON
    last = next(e for e in reversed(events) if e["data"]["process_id"] == pid)
    assert last["id"] == f"{pid}:{seqs[-1]}"
    assert last["data"]["name"] == "api-hello"


def test_a_stream_of_one_definition_shows_no_other(api: Api, stream: Open):
    reader = stream("?name=api-count")
    other = api.launch("api-fails")
    mine = api.launch("api-count")
    events = reader.wait(lambda e: e["data"]["process_id"] == mine and e["data"]["status"] == "done")
    assert {e["data"]["name"] for e in events} == {"api-count"}
    assert kinds(events, other) == []


def test_a_stream_starts_with_what_happens_after_it_opened(api: Api, stream: Open):
    before = api.launch("api-count")
    api.wait(before, "done")
    reader = stream()
    after = api.launch("api-count")
    events = reader.wait(lambda e: e["data"]["process_id"] == after and e["data"]["status"] == "done")
    assert kinds(events, before) == []


def test_following_one_process_resumes_after_the_last_event_id(api: Api, stream: Open):
    pid = api.launch("api-gate")
    api.wait_step(pid, "gate", "waiting")
    history = api.get(f"/api/processes/{pid}/history").json()["items"]
    resumed = stream(f"?process={pid[:-1]}", headers={"Last-Event-ID": f"{pid}:2"})
    replayed = resumed.wait(lambda e: True)
    assert [r["seq"] for r in replayed[0]["data"]["records"]] == [r["seq"] for r in history][2:]
    api.post(f"/api/processes/{pid}/approve")
    events = resumed.wait(lambda e: e["data"]["status"] == "done")
    assert "approval.answered" in kinds(events, pid)
    assert {e["data"]["process_id"] for e in events} == {pid}


def test_following_an_unknown_process_is_404(api: Api):
    answer = api.get("/api/events?process=nosuch")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_a_quiet_stream_sends_keepalive_comments(api: Api, stream: Open):
    reader = stream("?name=nothing-runs-this")
    from tests.conftest import wait_for

    wait_for(lambda: "keepalive" in reader.comments, 5, "a keepalive comment")
