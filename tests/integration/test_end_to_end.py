"""Processes run end to end over the real broker, with the store on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

from tests.integration.conftest import Deployment


def test_parallel_foreach_if_and_retry_complete_with_the_expected_fields(deployment: Deployment) -> None:
    deployment.start_engine()
    deployment.participant("Echo")
    deployment.participant("Flaky")

    process_id = deployment.launch("mixed", repos=["api", "web", "db"])
    row = deployment.wait(process_id, "done", timeout=60)

    fields = row.state.fields
    assert fields["finished"] is True
    assert fields["left"]["side"] == "left"
    assert {fields[f"last_{repo}"] for repo in ("api", "web", "db")} == {True}
    assert fields["unstable"] == {"attempt": 3}
    assert fields["attempts"] == 3
    retries = [r for r in deployment.records(process_id, "step.failed") if r.step == "unstable"]
    assert len(retries) == 2, "the flaky step failed twice before it succeeded on its third attempt"


def test_a_launched_process_can_be_followed_to_done_from_the_cli(deployment: Deployment) -> None:
    deployment.start_engine()
    deployment.participant("Echo")

    result = deployment.boss("launch", "chain", "-f", "steps=3", "--follow")

    lines = result.stdout.splitlines()
    process_id = lines[0]
    assert lines[-1] == f"process {process_id} is done"
    assert sum("link" in line and "done" in line for line in lines) == 3


def test_ps_show_history_and_participants_print_text_and_json(deployment: Deployment) -> None:
    deployment.start_engine()
    deployment.participant("Echo")
    process_id = deployment.launch("chain", steps=2, tag="t1")
    deployment.wait(process_id)

    assert process_id in deployment.boss("ps").output
    assert json.loads(deployment.boss("ps", "--json", "--state", "done").output)[0]["id"] == process_id
    shown = json.loads(deployment.boss("show", process_id[:10], "--json").output)
    assert shown["status"] == "done"
    assert shown["fields"]["count"] == 2
    assert [s["step"] for s in shown["steps"] if s["participant"] == "echo"] == ["link", "link"]
    assert "link" in deployment.boss("show", process_id).output
    kinds = [r["kind"] for r in json.loads(deployment.boss("history", process_id, "--json").output)]
    assert kinds[0] == "process.launched"
    assert kinds[-1] == "process.done"
    (echo,) = json.loads(deployment.boss("participants", "--json").output)
    assert (echo["participant"], echo["queue"], echo["alive"]) == ("echo", "participant.echo", 1)
    assert [i["state"] for i in echo["instances"]] == ["alive"]
    assert "echo" in deployment.boss("participants").output


def test_launch_wait_exits_1_when_the_process_ends_in_error_and_errors_lists_it(local: Deployment) -> None:
    local.start_engine()
    local.participant("Flaky")

    result = local.boss("launch", "broken", "--wait", expect=1)

    process_id = result.stdout.splitlines()[0]
    listed = json.loads(local.boss("errors", "--json").stdout)
    assert [(p["id"], p["error_step"]) for p in listed] == [(process_id, "doomed")]
    assert "broken: by design" in listed[0]["error_message"]
    answer = json.loads(local.boss("cancel", process_id, "--json").stdout)
    assert answer["ok"] is True and answer["process_id"] == process_id
