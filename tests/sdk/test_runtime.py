"""The runtime against a real RabbitMQ: the delivery contract of architecture.md, seen from the engine's side."""

from __future__ import annotations

import secrets

import pytest

from engine.transport import topology
from tests.conftest import rabbitmqctl, wait_for
from tests.sdk.conftest import Bus
from tests.sdk.participants import CALLS, GATES, Echo, Gated, Stoppable, Typed
from tests.sdk.relay import Relay

pytestmark = pytest.mark.integration


def gate() -> str:
    return f"gate-{secrets.token_hex(4)}"


def unacked(vhost: str, queue: str) -> tuple[int, int]:
    """(ready, unacknowledged) messages of a queue, as the broker counts them."""
    out = rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "name", "messages_ready",
                      "messages_unacknowledged").stdout
    for line in out.splitlines():
        name, ready, pending = line.split()
        if name == queue:
            return int(ready), int(pending)
    raise AssertionError(f"no queue {queue} in {out!r}")


def test_a_short_job_replies_done_without_accepted_and_is_acked(bus: Bus, start_runtime):
    runtime = start_runtime(Echo)
    sent = bus.workitem("echo", params={"n": 1})
    replies = bus.final(sent.id)
    assert [r.kind for r in replies] == ["done"]
    done = replies[0]
    assert (done.process_id, done.step, done.attempt, done.instance) == (sent.process_id, "echo", 1, runtime.instance)
    assert done.result == {"echo": {"n": 1}, "attempt": 1}
    assert done.error is None
    runtime.stop()
    assert runtime.join(5)
    assert bus.pending("participant.echo") == 0  # an unacked delivery would be back in the queue now


def test_a_long_job_is_accepted_and_acked_then_heartbeats_until_done(bus: Bus, vhost: str, start_runtime):
    start_runtime(Gated, accept_after=0.1)
    name = gate()
    sent = bus.workitem("gated", params={"gate": name}, heartbeat_interval=0.2)
    replies = bus.replies_until(lambda got: sum(r.kind == "progress" for r in got) >= 2)
    assert [r.kind for r in replies] == ["accepted", "progress", "progress"]
    assert replies[1].progress == {}
    assert unacked(vhost, "participant.gated") == (0, 0)  # acked while handle still runs
    GATES[name].set()
    replies += bus.final(sent.id)
    assert replies[-1].kind == "done"
    assert replies[-1].result == {"passed": name}
    assert {r.kind for r in replies[:-1]} == {"accepted", "progress"}


def test_progress_before_acceptance_accepts_first_and_carries_its_data(bus: Bus, start_runtime):
    start_runtime(Gated, accept_after=30)
    name = gate()
    sent = bus.workitem("gated", params={"gate": name, "progress": True})
    replies = bus.replies_until(lambda got: len(got) >= 2)
    assert [r.kind for r in replies] == ["accepted", "progress"]
    assert replies[1].progress == {"message": "started", "url": f"https://ci.example/{sent.id}"}
    GATES[name].set()
    assert bus.final(sent.id)[-1].kind == "done"


def test_the_reply_carries_only_the_fields_that_changed(bus: Bus, start_runtime):
    start_runtime(Echo)
    fields = {"version": "1.0", "build": {"number": 7}, "same": "x"}
    changes = {"version": "1.1", "new": True, "same": "x", "build": {"number": 7}}
    sent = bus.workitem("echo", fields=fields, params={"set_fields": changes})
    done = bus.final(sent.id)[-1]
    assert done.fields == {"version": "1.1", "new": True}


def test_errors_say_whether_they_are_retryable_and_bugs_are_permanent(bus: Bus, start_runtime):
    start_runtime(Echo)
    errors = {}
    for failure in ("retryable", "permanent", "bug"):
        sent = bus.workitem("echo", params={"fail": failure})
        reply = bus.final(sent.id)[-1]
        assert reply.kind == "error" and reply.error is not None
        errors[failure] = reply.error
    retryable, permanent, bug = errors["retryable"], errors["permanent"], errors["bug"]
    assert (retryable.type, retryable.retryable, retryable.message) == ("RetryableError", True, "the service is busy")
    assert retryable.detail == {"retry_in": 5}
    assert (permanent.type, permanent.retryable, permanent.message) == (
        "ParticipantError", False, "the version already exists")
    assert (bug.type, bug.retryable, bug.message) == ("KeyError", False, "'missing'")


def test_params_that_do_not_fit_the_model_are_a_permanent_error(bus: Bus, start_runtime):
    runtime = start_runtime(Typed)
    sent = bus.workitem("typed", params={"count": "many"})
    error = bus.final(sent.id)[-1].error
    assert error is not None
    assert (error.type, error.retryable) == ("ParticipantError", False)
    assert error.message.startswith("invalid params: count:")
    assert sent.id not in CALLS["typed"]
    good = bus.workitem("typed", params={"count": 2})
    assert bus.final(good.id)[-1].result == {"count": 4, "who": "world"}
    runtime.stop()
    assert runtime.join(5)
    assert bus.pending("participant.typed") == 0


def test_garbage_is_dead_lettered_and_the_runtime_keeps_working(bus: Bus, start_runtime):
    start_runtime(Echo)
    bus.raw("participant.echo", b"not json at all")
    bus.raw("participant.echo", b'{"v": 1, "id": "x"}')
    dead = bus.dead_until(2)
    assert sorted(dead) == sorted([b"not json at all", b'{"v": 1, "id": "x"}'])
    sent = bus.workitem("echo", params={"after": "garbage"})
    assert bus.final(sent.id)[-1].kind == "done"


def test_a_cancel_reaches_the_cancel_hook_of_running_work(bus: Bus, start_runtime):
    runtime = start_runtime(Stoppable, accept_after=0.1)
    sent = bus.workitem("stoppable")
    bus.replies_until(lambda got: any(r.kind == "accepted" for r in got))
    bus.cancel("stoppable", sent.id, 1, instance=runtime.instance)
    wait_for(lambda: (sent.id, 1) in CALLS["stoppable-cancel"], what="the cancel hook")
    error = bus.final(sent.id)[-1].error
    assert error is not None and error.type == "Cancelled"


def test_a_cancel_for_another_attempt_leaves_the_work_alone(bus: Bus, start_runtime):
    runtime = start_runtime(Gated, accept_after=0.1)
    name = gate()
    sent = bus.workitem("gated", params={"gate": name}, attempt=2)
    bus.replies_until(lambda got: any(r.kind == "accepted" for r in got))
    bus.cancel("gated", sent.id, 1)
    wait_for(lambda: (sent.id, 1) in runtime.dispatcher.cancels, what="the cancel to arrive")
    GATES[name].set()
    assert bus.final(sent.id)[-1].kind == "done"
    assert (sent.id, 2) not in CALLS["cancel"]


def test_a_cancel_that_arrives_before_its_workitem_drops_it(bus: Bus, start_runtime):
    runtime = start_runtime(Echo)
    early = f"p-{secrets.token_hex(4)}/n1"
    bus.cancel("echo", early, 1)
    wait_for(lambda: (early, 1) in runtime.dispatcher.cancels, what="the cancel to arrive")
    bus.workitem("echo", id=early)
    later = bus.workitem("echo")
    replies = bus.replies_until(lambda got: any(r.id == later.id for r in got))
    assert [(r.id, r.kind) for r in replies] == [(later.id, "done")]
    assert early not in CALLS["echo"]
    runtime.stop()
    assert runtime.join(5)
    assert bus.pending("participant.echo") == 0
    assert bus.replies_now() == []


def test_stopping_during_accepted_work_hands_it_back_as_lost(bus: Bus, start_runtime):
    runtime = start_runtime(Gated, accept_after=0.1, grace=0.3)
    sent = bus.workitem("gated", params={"gate": gate()})
    bus.replies_until(lambda got: any(r.kind == "accepted" for r in got))
    runtime.stop()
    assert runtime.join(5)
    lost = bus.final(sent.id)[-1]
    assert lost.kind == "error" and lost.error is not None
    assert (lost.error.type, lost.error.retryable) == ("lost", True)
    assert lost.error.message == f"instance {runtime.instance} stopped before finishing; handed back"
    assert "gated" in CALLS["teardown"]


def test_stopping_before_acceptance_requeues_the_workitem(bus: Bus, start_runtime):
    runtime = start_runtime(Gated, accept_after=30, grace=0.3)
    sent = bus.workitem("gated", params={"gate": gate()})
    wait_for(lambda: sent.id in CALLS["gated"], what="handle to start")
    runtime.stop()
    assert runtime.join(5)
    assert bus.pending("participant.gated") == 1
    assert bus.replies_now() == []


def test_work_that_ends_within_the_grace_period_is_answered_normally(bus: Bus, start_runtime):
    runtime = start_runtime(Gated, accept_after=0.1, grace=10)
    name = gate()
    sent = bus.workitem("gated", params={"gate": name})
    bus.replies_until(lambda got: any(r.kind == "accepted" for r in got))
    runtime.stop()
    GATES[name].set()
    assert runtime.join(5)
    assert bus.final(sent.id)[-1].kind == "done"


def test_an_instance_announces_register_heartbeats_and_goodbye(bus: Bus, start_runtime, monkeypatch):
    monkeypatch.setenv("SKYNET_POOL", "build-hosts")
    runtime = start_runtime(Typed, announce_interval=0.2)
    register = bus.events_until(lambda got: len(got) >= 1)[0]
    assert register.kind == "register"
    assert (register.participant, register.instance, register.queue) == ("typed", runtime.instance, "participant.typed")
    assert register.pool == "build-hosts" and register.pid is not None and register.host
    assert register.params_schema is not None and set(register.params_schema["properties"]) == {"count", "who"}
    assert register.config_keys == ["token", "greeting"]
    assert register.description == "Declares params: a count and an optional name."
    sent = bus.workitem("typed", params={"count": 1})
    bus.final(sent.id)
    heartbeats = bus.events_until(lambda got: any(e.kind == "heartbeat" and e.handled == 1 for e in got))
    assert all(e.kind == "heartbeat" for e in heartbeats)
    runtime.stop()
    assert runtime.join(5)
    assert bus.events_until(lambda got: any(e.kind == "goodbye" for e in got))[-1].kind == "goodbye"


def test_heartbeat_announcements_name_the_current_work(bus: Bus, start_runtime):
    start_runtime(Gated, announce_interval=0.2, accept_after=0.1)
    name = gate()
    sent = bus.workitem("gated", params={"gate": name})
    events = bus.events_until(lambda got: any(e.current is not None for e in got))
    current = events[-1].current
    assert current is not None and (current.workitem, current.attempt, current.step) == (sent.id, 1, "gated")
    GATES[name].set()
    bus.final(sent.id)


def test_work_survives_a_dropped_connection(bus: Bus, vhost: str, start_runtime):
    runtime = start_runtime(Gated, accept_after=30, concurrency=2)
    accepted, unaccepted = gate(), gate()
    first = bus.workitem("gated", params={"gate": accepted, "progress": True})
    second = bus.workitem("gated", params={"gate": unaccepted})
    bus.replies_until(lambda got: any(r.kind == "accepted" for r in got))
    wait_for(lambda: second.id in CALLS["gated"], what="the second handle to start")
    rabbitmqctl("close_all_connections", "-p", vhost, "--limit", "100", "test: broker went away")
    bus.connect()
    wait_for(lambda: runtime.dispatcher.jobs[(second.id, 1)].delivery.epoch > 1, timeout=10,
             what="the unaccepted workitem to be redelivered and adopted")
    GATES[accepted].set()
    GATES[unaccepted].set()
    finals = {r.id: r for r in bus.replies_until(
        lambda got: {r.id for r in got if r.kind == "done"} >= {first.id, second.id}, timeout=10)
        if r.kind == "done"}
    assert finals[first.id].result == {"passed": accepted}
    assert CALLS["gated"].count(first.id) == 1 and CALLS["gated"].count(second.id) == 1
    runtime.stop()
    assert runtime.join(5)
    assert bus.pending(topology.participant_queue("gated")) == 0


def test_a_reply_made_while_the_broker_is_away_is_sent_after_the_reconnect(bus: Bus, vhost: str, start_runtime):
    relay = Relay(("127.0.0.1", 5672))
    try:
        runtime = start_runtime(Gated, amqp_url=relay.url(vhost), accept_after=0.1)
        name = gate()
        sent = bus.workitem("gated", params={"gate": name})
        bus.replies_until(lambda got: any(r.kind == "accepted" for r in got))
        relay.cut()
        GATES[name].set()
        wait_for(lambda: not runtime.dispatcher.jobs, what="handle to finish during the outage")
        assert len(runtime.outbox) >= 1  # the done reply waits for the broker
        wait_for(lambda: runtime._backoff >= 2.0, timeout=5, what="two failed reconnects")
        relay.restore()
        done = bus.final(sent.id, timeout=10)[-1]
        assert done.kind == "done" and done.result == {"passed": name}
        runtime.stop()
        assert runtime.join(5)
    finally:
        relay.close()
    assert bus.pending("participant.gated") == 0
