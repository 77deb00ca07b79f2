"""Operators steer live processes: approve, retry with corrected fields, skip, pause/resume, cancel."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import wait_for
from tests.integration.conftest import Deployment


def test_approve_then_retry_with_a_corrected_field_then_skip_bring_a_process_to_done(local: Deployment) -> None:
    local.start_engine()
    local.participant("Flaky")
    local.participant("Slow")
    process_id = local.launch("gated", target="bad", seconds=0.1)
    local.wait_step(process_id, "gate", "waiting")

    approved = local.boss("approve", process_id, "-m", "ship it")
    assert "approved" in approved.stdout
    local.wait(process_id, "error")
    assert local.process(process_id).error_step == "check"

    local.boss("retry", process_id, "-f", "target=good")
    wait_for(lambda: local.process(process_id).error_step == "optional", 20, "the next step to fail")
    assert "optional" in local.boss("errors").stdout

    local.boss("skip", process_id)
    row = local.wait(process_id, "done")

    assert row.state.fields["target"] == "good"
    assert row.state.fields["finished"] is True
    assert row.state.fields["gate"]["approved"] is True
    assert {k: row.state.fields["gate"][k] for k in ("by", "comment")} == {"by": "tester", "comment": "ship it"}


def test_a_rejected_approval_is_the_answer_the_process_branches_on(local: Deployment) -> None:
    local.start_engine()
    process_id = local.launch("gated")
    local.wait_step(process_id, "gate", "waiting")

    local.boss("approve", process_id, "--reject", "-m", "not this month")

    row = local.wait(process_id, "error")
    assert row.error_message == "rejected by tester: not this month"
    assert row.state.fields["gate"]["approved"] is False


def test_pause_lets_the_running_step_finish_and_starts_nothing_until_resume(local: Deployment) -> None:
    local.start_engine()
    local.participant("Echo")
    process_id = local.launch("chain", steps=4, pause=0.5)
    local.wait_step(process_id, "link", "running")

    local.boss("pause", process_id)
    wait_for(lambda: local.process(process_id).status == "paused", 10, "the process to pause")
    time.sleep(1.5)  # the running link finishes; a new one would start within milliseconds if not paused
    links = len([s for s in local.store.steps(process_id) if s.step == "link"])
    assert links == 1
    assert local.process(process_id).status == "paused"

    local.boss("resume", process_id)
    row = local.wait(process_id, "done")
    assert row.state.fields["count"] == 4


def test_cancel_reaches_the_running_participants_cancel_hook_and_runs_on_cancel(local: Deployment,
                                                                                 tmp_path: Path) -> None:
    local.start_engine()
    local.participant("Flaky")
    local.participant("Slow")
    marker = tmp_path / "cancelled"
    process_id = local.launch("gated", target="good", seconds=120, marker=str(marker))
    local.wait_step(process_id, "gate", "waiting")
    local.boss("approve", process_id)
    local.wait(process_id, "error")  # the 'optional' step always fails
    local.boss("skip", process_id)
    local.wait_step(process_id, "work", "running")
    wait_for(lambda: any(r.step == "work" for r in local.records(process_id, "step.accepted")), 10,
             "the slow participant to accept the work")

    local.boss("cancel", process_id, "-m", "release called off")

    row = local.wait(process_id, "cancelled")
    wait_for(marker.exists, 10, "the participant's cancel hook to run")
    assert "cancelled" in marker.read_text()
    assert row.state.fields["cleaned"] is True


def test_commands_on_unknown_or_finished_processes_are_refused_with_one_line(local: Deployment) -> None:
    local.start_engine()
    local.participant("Echo")
    process_id = local.launch("chain", steps=1)
    local.wait(process_id)

    unknown = local.boss("cancel", "nope-123", expect=2)
    assert unknown.output.strip().count("\n") == 0
    assert "no process" in unknown.output
    refused = local.boss("skip", process_id, expect=2)
    assert refused.output.startswith("boss: skip refused:")
    assert refused.output.strip().count("\n") == 0
