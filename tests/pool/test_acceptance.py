"""Issue #4's acceptance: a pool on a real supervisord serving a real engine over the real broker.

The instances are ``skynet install``-ed from a ``.py`` file; the engine is ``boss engine`` on a fresh vhost
(heartbeat timeout 3 s). Which instance did a step is the ``instance`` of its reply (``store.steps``),
the same id the pool shows in ``skynet status`` (from the instance's status file).
"""

from __future__ import annotations

import json
import os
import signal
import time

from tests.integration.conftest import Deployment
from tests.pool.conftest import POOL_NAME, WORKER, PoolHarness, wait_until


def step_instances(deployment: Deployment, process_ids: list[str]) -> list[str | None]:
    return [step.instance for pid in process_ids for step in deployment.store.steps(pid) if step.participant]


def test_three_instances_from_a_file_share_a_thirty_process_run(engine_pool: PoolHarness,
                                                                deployment: Deployment) -> None:
    result = engine_pool.skynet("install", str(WORKER), "--instances", "3")
    assert result.stdout.startswith("installed worker (worker.py:Worker, queue participant.worker): 3/3 running")
    assert "registered with the engine" in result.stdout and result.stderr == ""
    ours = {instance.instance for instance in engine_pool.wait_running("worker", 3).instances}
    processes = [deployment.launch("work", n=n, pause=0.1) for n in range(30)]
    for process_id in processes:
        deployment.wait(process_id, timeout=60)
    used = step_instances(deployment, processes)
    assert len(used) == 30 and set(used) == ours, f"instances used: {sorted(map(str, set(used)))}"
    listing = json.loads(deployment.boss("participants", "--json").stdout)
    worker = next(entry for entry in listing if entry["participant"] == "worker")
    assert POOL_NAME in worker["pools"] and worker["version"] == "2.1"
    assert set(worker["params_schema"]["properties"]) == {"n", "pause", "pause_first"}


def test_a_killed_instance_is_restarted_and_the_workitem_it_held_is_redispatched(engine_pool: PoolHarness,
                                                                                 deployment: Deployment) -> None:
    engine_pool.skynet("install", str(WORKER))
    victim = engine_pool.wait_running("worker", 1).instances[0]
    process_id = deployment.launch("work", pause_first=60)  # the first attempt would take a minute

    def working() -> object:
        return engine_pool.status("worker").instances[0].current

    current = wait_until(working, 10, "the instance to report its workitem")
    assert current.process_id == process_id and current.step == "job" and current.attempt == 1
    # Accepted (and acked): the broker no longer holds it, only the engine can re-dispatch it.
    wait_until(lambda: deployment.records(process_id, "step.accepted"), 10, "the workitem to be accepted")
    os.kill(victim.pid, signal.SIGKILL)
    deployment.wait(process_id, timeout=30)
    [job] = [step for step in deployment.store.steps(process_id) if step.step == "job"]
    assert job.attempt == 2 and job.status == "done"
    after = engine_pool.wait_running("worker", 1).instances[0]
    assert after.pid != victim.pid and after.restarts == 1 and after.instance == job.instance


def test_reload_during_a_run_loses_no_workitem(engine_pool: PoolHarness, deployment: Deployment) -> None:
    engine_pool.skynet("install", str(WORKER), "--instances", "2")
    before = {instance.instance for instance in engine_pool.wait_running("worker", 2).instances}
    processes = [deployment.launch("work3", pause=0.3) for _ in range(8)]
    wait_until(lambda: step_instances(deployment, processes[:1]), 10, "the run to be under way")
    progress = engine_pool.skynet("reload", "worker").stdout.splitlines()
    assert [line.split(" (")[0] for line in progress] == [  # one at a time, each back before the next stops
        "worker-0: stopping", "worker-0: restarted", "worker-1: stopping", "worker-1: restarted",
        "worker: 2/2 running"]
    for process_id in processes:
        deployment.wait(process_id, timeout=60)
    reloaded = engine_pool.wait_running("worker", 2).instances
    assert [instance.restarts for instance in reloaded] == [1, 1]
    after = {instance.instance for instance in reloaded}
    steps = [step for pid in processes for step in deployment.store.steps(pid) if step.participant]
    assert len(steps) == 24 and all(step.status == "done" for step in steps)
    assert all(step.attempt == 1 for step in steps), "a workitem was handed back or lost during the reload"
    used = {step.instance for step in steps}
    assert used & before and used & after and not before & after  # the run went on across the reload


def test_stopping_the_only_instance_leaves_processes_waiting_and_start_lets_them_finish(
        engine_pool: PoolHarness, deployment: Deployment) -> None:
    engine_pool.skynet("install", str(WORKER))
    engine_pool.wait_running("worker", 1)
    assert engine_pool.skynet("stop", "worker").stdout == "worker: 0/1 running, 1 stopped\n"
    processes = [deployment.launch("work", n=n) for n in range(3)]
    time.sleep(1.0)
    assert all(deployment.process(pid).status == "running" for pid in processes)
    assert engine_pool.skynet("start", "worker").stdout == "worker: 1/1 running\n"
    for process_id in processes:
        deployment.wait(process_id, timeout=20)


def test_uninstall_removes_the_program_from_supervisor_and_the_registry(engine_pool: PoolHarness,
                                                                        deployment: Deployment) -> None:
    engine_pool.skynet("install", str(WORKER), "--instances", "2")
    assert [r.participant for r in deployment.store.registrations()] == ["worker"]
    assert engine_pool.skynet("uninstall", "worker").stdout == "uninstalled worker (unregistered)\n"
    assert "worker" not in engine_pool.groups()
    assert engine_pool.files("installed") == [] and engine_pool.files("programs") == []
    assert deployment.store.registrations() == []
    wait_until(lambda: not any(i.participant == "worker" for i in deployment.store.instances()), 10,
               "the instances to say goodbye")


def test_register_and_unregister_are_confirmed_by_the_engine(engine_pool: PoolHarness,
                                                             deployment: Deployment) -> None:
    engine_pool.skynet("install", str(WORKER), "--no-start")
    assert engine_pool.skynet("unregister", "worker").stdout == "unregistered worker\n"
    assert deployment.store.registrations() == []
    assert json.loads(engine_pool.skynet("list", "--json").stdout)["programs"][0]["registered"] is False
    assert engine_pool.skynet("register", "worker").stdout == "registered worker (queue participant.worker)\n"
    [registration] = deployment.store.registrations()
    assert registration.pool == POOL_NAME and registration.queue == "participant.worker"
    assert json.loads(engine_pool.skynet("list", "--json").stdout)["programs"][0]["registered"] is True
