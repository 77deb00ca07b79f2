"""The delivery contract under crashes: ``kill -9`` of the engine or of a participant loses nothing."""

from __future__ import annotations

import time
from collections import Counter

from engine.transport.client import EngineClient, new_request_id
from engine.transport.messages import LaunchMessage
from tests.conftest import wait_for
from tests.integration.conftest import Deployment

PROCESSES, STEPS = 50, 8


def test_a_killed_engine_restarts_and_every_process_completes_with_each_step_recorded_once(
        deployment: Deployment) -> None:
    deployment.start_engine()
    deployment.participant("Echo")
    deployment.participant("Echo")
    with EngineClient(deployment.amqp_url) as engine:
        ids = [engine.launch(LaunchMessage(definition="chain", fields={"steps": STEPS, "pause": 0.02},
                                           request_id=new_request_id(), by="tester")).process_id
               for _ in range(PROCESSES)]
    wait_for(lambda: len(deployment.records(ids[-1], "step.done")) >= 2, 30, "the run to be under way")

    deployment.engine.kill()  # type: ignore[union-attr]
    unfinished = [pid for pid in ids if deployment.process(pid).status != "done"]
    time.sleep(1.0)  # participants keep replying into boss.replies while the engine is down
    deployment.start_engine()

    assert unfinished, "the engine was killed after the run ended: the test proves nothing"
    for pid in ids:
        row = deployment.wait(pid, "done", timeout=90)
        assert row.state.fields["count"] == STEPS
        done = Counter(r.node for r in deployment.records(pid, "step.done"))
        assert set(done.values()) == {1}, f"{pid}: a step's result was recorded twice: {done}"
        links = [r for r in deployment.records(pid, "step.done") if r.step == "link"]
        assert [r.data["result"]["n"] for r in links] == list(range(1, STEPS + 1))


def test_a_killed_participant_loses_its_step_to_another_instance_and_the_process_completes(
        local: Deployment) -> None:
    local.start_engine()
    local.participant("Echo")
    first = local.participant("Slow")
    process_id = local.launch("slowpoke", seconds=4)
    local.wait_step(process_id, "work", "running")
    wait_for(lambda: local.records(process_id, "step.accepted"), 10, "the slow participant to accept the step")

    first.kill()
    second = local.participant("Slow")
    row = local.wait(process_id, "done", timeout=60)

    failures = [r for r in local.records(process_id, "step.failed") if r.step == "work"]
    assert len(failures) == 1
    assert "lost" in str(failures[0].data)
    finished = [r for r in local.records(process_id, "step.done") if r.step == "work"]
    assert len(finished) == 1
    assert finished[0].data["result"]["pid"] == second.popen.pid
    assert row.state.fields["tail"]["after"] is True
