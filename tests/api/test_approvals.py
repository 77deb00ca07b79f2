"""Approvals: the waiting approve steps, answered (or rejected) as the token's name."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.integration


def test_a_waiting_approval_is_listed_then_approved_as_the_token(api: Api):
    pid = api.launch("api-gate", version="2.5")
    api.wait_step(pid, "gate", "waiting")
    pending = api.get("/api/approvals?name=api-gate").json()["items"]
    mine = next(a for a in pending if a["process_id"] == pid)
    assert mine["step"] == "gate" and mine["prompt"] == "ship 2.5?" and mine["by"] == []
    assert mine["process_name"] == "api-gate" and mine["since"]
    answer = api.post(f"/api/processes/{pid}/approve", {"comment": "looks good"})
    assert answer.status_code == 200
    assert answer.json()["command"] == "approve"
    done = api.wait(pid, "done")
    assert done["fields"]["gate"]["approved"] is True
    assert done["fields"]["gate"]["by"] == "api" and done["fields"]["gate"]["comment"] == "looks good"
    assert pid not in [a["process_id"] for a in api.get("/api/approvals").json()["items"]]


def test_a_rejection_is_an_approval_with_approved_false(api: Api):
    pid = api.launch("api-gate")
    api.wait_step(pid, "gate", "waiting")
    assert api.post(f"/api/processes/{pid}/approve", {"step": "gate", "approved": False}).status_code == 200
    failed = api.wait(pid, "error")
    assert failed["error_message"] == "rejected by api"


def test_approving_a_step_that_does_not_wait_is_409(api: Api):
    pid = api.launch("api-count")
    api.wait(pid, "done")
    answer = api.post(f"/api/processes/{pid}/approve", {})
    assert answer.status_code == 409 and answer.json()["error"]["message"].startswith("approve refused:")


def test_an_approval_with_a_bad_body_is_422(api: Api):
    answer = api.post("/api/processes/whatever/approve", {"approved": "maybe"})
    assert answer.status_code == 422 and answer.json()["error"]["detail"][0]["where"] == "body.approved"
