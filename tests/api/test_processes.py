"""``/api/processes``: launch, list with filters and pages, show, history, and the process commands."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, now_iso

pytestmark = pytest.mark.integration


def test_launch_answers_201_with_the_process_id_once_the_engine_stored_it(api: Api):
    answer = api.post("/api/processes", {"definition": "api-hello", "fields": {"who": "world"}})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["Location"] == body["url"] == f"/api/processes/{body['process_id']}"
    assert body["status"] == "running" and body["warnings"] == []
    done = api.wait(body["process_id"], "done")
    assert done["fields"]["greeting"]["text"] == "hello world"
    assert done["steps"][0]["participant"] == "echo" and done["steps"][0]["status"] == "done"


def test_the_launching_token_is_recorded_as_who_launched(api: Api):
    pid = api.launch("api-count")
    api.wait(pid, "done")
    launched = api.get(f"/api/processes/{pid}/history").json()["items"][0]
    assert launched["kind"] == "process.launched" and launched["data"]["by"] == "api"


def test_launch_refuses_an_unknown_field_with_422_and_sends_nothing(api: Api):
    before = api.get("/api/processes?name=api-hello").json()["total"]
    answer = api.post("/api/processes", {"definition": "api-hello", "fields": {"who": "x", "whom": "y"}})
    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "bad_fields",
        "message": "api-hello: unknown field 'whom' (declared fields: who, password, times)"}
    assert api.get("/api/processes?name=api-hello").json()["total"] == before


@pytest.mark.parametrize(("body", "where"), [
    ({"definition": "api-hello", "fields": {"who": "x"}, "feilds": {}}, "body.feilds"),
    ({"fields": {"who": "x"}}, "body"),
    ({"definition": "api-hello", "source": "name: x", "fields": {}}, "body"),
    ({"definition": "../etc/passwd"}, "body.definition"),
    ({"definition": "api-hello.yaml"}, "body.definition"),
    ({"definition": "api-hello", "fields": []}, "body.fields"),
])  # fmt: skip
def test_launch_refuses_a_malformed_body_with_422_naming_the_problem(api: Api, body: dict[str, object], where: str):
    answer = api.post("/api/processes", body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith(f"{where}:")
    assert error["detail"][0]["where"] == where


def test_launch_refuses_a_field_of_the_wrong_type_and_a_missing_one(api: Api):
    wrong = api.post("/api/processes", {"definition": "api-hello", "fields": {"who": "x", "times": "two"}})
    assert wrong.status_code == 422 and "field 'times': expected integer" in wrong.json()["error"]["message"]
    missing = api.post("/api/processes", {"definition": "api-hello"})
    assert missing.status_code == 422 and "missing required field 'who'" in missing.json()["error"]["message"]


def test_launch_of_an_unknown_definition_is_404(api: Api):
    answer = api.post("/api/processes", {"definition": "nosuch"})
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert "unknown process 'nosuch'" in answer.json()["error"]["message"]


def test_launch_of_inline_yaml_runs_it(api: Api):
    source = "name: api-inline\nsteps:\n  - set: {inline: true}\n"
    answer = api.post("/api/processes", {"source": source})
    assert answer.status_code == 201, answer.text
    assert api.wait(answer.json()["process_id"], "done")["fields"] == {"inline": True}


def test_launch_of_invalid_inline_yaml_is_422_with_its_problems(api: Api):
    answer = api.post("/api/processes", {"source": "name: broken\nsteps:\n  - set: {a: 1}\n  - wait: banana\n"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "bad_definition"
    assert error["message"].startswith("<inline>:4 steps[1]: wait: cannot read duration 'banana'")
    assert error["detail"][0]["line"] == 4 and error["detail"][0]["path"] == "steps[1]"


def test_launching_twice_with_one_request_id_launches_once(api: Api):
    body = {"definition": "api-count", "request_id": f"api-test-{now_iso()}-once"}
    first = api.post("/api/processes", body)
    second = api.post("/api/processes", body)
    assert first.status_code == second.status_code == 201
    assert first.json()["process_id"] == second.json()["process_id"]


def test_show_returns_the_step_tree_and_redacts_secret_fields(api: Api):
    pid = api.launch("api-hello", who="ops", password="hunter2")
    shown = api.wait(pid, "done")
    assert shown["id"] == pid and shown["name"] == "api-hello" and shown["version"] == 2
    assert shown["fields"]["password"] == "***"
    assert shown["fields"]["who"] == "ops"
    greet = next(s for s in shown["steps"] if s["step"] == "greet")
    assert greet["attempt"] == 1 and greet["started_at"] and greet["ended_at"] and greet["instance"]
    assert "hunter2" not in api.get(f"/api/processes/{pid}/history").text


def test_show_accepts_a_unique_prefix_of_an_id(api: Api):
    pid = api.launch("api-count")
    assert api.get(f"/api/processes/{pid[:-2]}").json()["id"] == pid


def test_an_unknown_process_is_404_everywhere(api: Api):
    for answer in (api.get("/api/processes/nosuch"), api.get("/api/processes/nosuch/history"),
                   api.post("/api/processes/nosuch/cancel"), api.post("/api/processes/nosuch/retry", {})):
        assert answer.status_code == 404
        assert answer.json()["error"] == {"code": "not_found", "message": "no process 'nosuch' (see `boss ps`)"}


def test_history_pages_through_every_record_in_order(api: Api):
    pid = api.launch("api-hello", who="pages")
    api.wait(pid, "done")
    everything = api.get(f"/api/processes/{pid}/history").json()
    assert everything["next"] is None
    seqs = [r["seq"] for r in everything["items"]]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 4
    assert everything["items"][-1]["kind"] == "process.done"
    paged: list[int] = []
    link = f"/api/processes/{pid}/history?limit=2"
    while link:
        page = api.get(link).json()
        assert len(page["items"]) <= 2
        paged.extend(r["seq"] for r in page["items"])
        link = page["next"]
    assert paged == seqs
    assert [r["seq"] for r in api.get(f"/api/processes/{pid}/history?after=3").json()["items"]] == seqs[3:]


def test_the_list_pages_through_every_process_exactly_once_newest_first(api: Api):
    launched = [api.launch("api-count", n=n) for n in range(5)]
    first = api.get("/api/processes?name=api-count&limit=2").json()
    assert first["total"] >= 5 and len(first["items"]) == 2
    assert first["next"].startswith("/api/processes?name=api-count&limit=2&cursor=")
    seen: list[str] = []
    link = "/api/processes?name=api-count&limit=2"
    while link:
        page = api.get(link).json()
        seen.extend(p["id"] for p in page["items"])
        assert page["next_cursor"] is None or page["next"].endswith(page["next_cursor"])
        link = page["next"]
    assert len(seen) == len(set(seen)) == first["total"]
    assert seen[:5] == launched[::-1]


def test_the_list_filters_by_state_name_and_launch_time(api: Api):
    failed = api.launch("api-fails")
    api.wait(failed, "error")
    in_error = api.get("/api/processes?state=error&name=api-fails").json()["items"]
    assert failed in [p["id"] for p in in_error]
    assert all(p["status"] == "error" and p["name"] == "api-fails" for p in in_error)
    summary = next(p for p in in_error if p["id"] == failed)
    assert summary["error_step"] == "doomed" and summary["error_message"] == "by design"
    assert api.get("/api/processes?state=done,cancelled&name=api-fails").json()["items"] == []
    assert api.get(f"/api/processes?name=api-fails&since={now_iso(3600)}").json()["total"] == 0
    assert api.get(f"/api/processes?name=api-fails&until={now_iso(-3600)}").json()["total"] == 0
    assert api.get(f"/api/processes?name=api-fails&since={now_iso(-3600)}").json()["total"] >= 1


@pytest.mark.parametrize("query", ["state=sleeping", "limit=0", "limit=501", "since=yesterday", "cursor=@@@",
                                   "cursor=e30"])
def test_the_list_refuses_a_bad_filter_or_cursor_with_422(api: Api, query: str):
    answer = api.get(f"/api/processes?{query}")
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid"


def test_pause_resume_and_cancel_a_waiting_process(api: Api):
    pid = api.launch("api-gate")
    api.wait_step(pid, "gate", "waiting")
    paused = api.post(f"/api/processes/{pid}/pause")
    assert paused.status_code == 200
    assert paused.json() == {"process_id": pid, "command": "pause", "status": "paused"}
    assert api.post(f"/api/processes/{pid}/resume", {"comment": "go on"}).json()["status"] == "running"
    assert api.post(f"/api/processes/{pid}/cancel", {"comment": "not today"}).json()["status"] == "cancelled"
    kinds = [r["kind"] for r in api.get(f"/api/processes/{pid}/history").json()["items"]]
    assert {"process.paused", "process.resumed"} <= set(kinds)


def test_a_command_the_engine_refuses_is_409_with_its_reason(api: Api):
    pid = api.launch("api-gate")
    answer = api.post(f"/api/processes/{pid}/resume")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "refused"
    assert answer.json()["error"]["message"].startswith("resume refused:")
    api.post(f"/api/processes/{pid}/cancel")


def test_a_command_with_an_unknown_key_is_422(api: Api):
    pid = api.launch("api-gate")
    answer = api.post(f"/api/processes/{pid}/pause", {"reason": "typo"})
    assert answer.status_code == 422 and answer.json()["error"]["detail"][0]["where"] == "body.reason"
    api.post(f"/api/processes/{pid}/cancel")


def test_retry_and_then_skip_a_failed_step(api: Api):
    pid = api.launch("api-fails")
    api.wait(pid, "error")
    retried = api.post(f"/api/processes/{pid}/retry", {"step": "doomed"})
    assert retried.status_code == 200 and retried.json()["command"] == "retry"
    api.wait(pid, "error")
    assert api.post(f"/api/processes/{pid}/skip").json()["command"] == "skip"
    assert api.wait(pid, "done")["fields"] == {"after": True}
