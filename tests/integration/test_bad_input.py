"""Bad input and bad weather: garbage messages, a lost broker connection, downtime across a timer, CLI errors."""

from __future__ import annotations

import sys
import time

import pika  # type: ignore[import-untyped, unused-ignore]
import pytest

from engine.transport import topology
from tests.conftest import rabbitmqctl, wait_for
from tests.integration.conftest import Deployment

GARBAGE = [
    (topology.REPLIES_QUEUE, b"\x00\xff not json"),
    (topology.REPLIES_QUEUE, b'{"v": 1, "kind": "done"}'),
    (topology.LAUNCH_QUEUE, b"[1, 2, 3]"),
    (topology.LAUNCH_QUEUE, b'{"v": 1, "definition": "no-such-process", "fields": {}, "request_id": "r1"}'),
    (topology.COMMANDS_QUEUE, b'{"v": 1, "command": "explode"}'),
    (topology.COMMANDS_QUEUE, b'{"v": 1, "request_id": "r2", "process_id": "p-404", "command": "cancel"}'),
]


def dead_letters(url: str, count: int) -> list[tuple[str, str]]:
    """(queue, reason) of the first ``count`` messages in boss.dead."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    found: list[tuple[str, str]] = []

    def collect() -> bool:
        method, properties, _body = channel.basic_get(topology.DEAD_QUEUE, auto_ack=True)
        if method is not None:
            headers = properties.headers or {}
            found.append((str(headers.get("x-boss-queue")), str(headers.get("x-boss-reason"))))
        return len(found) >= count

    try:
        wait_for(collect, 15, f"{count} dead letters")
    finally:
        connection.close()
    return found


def test_garbage_on_the_engines_queues_is_dead_lettered_with_a_reason_and_the_engine_goes_on(
        local: Deployment) -> None:
    local.start_engine()
    local.participant("Echo")
    connection = pika.BlockingConnection(pika.URLParameters(local.amqp_url))
    channel = connection.channel()
    for queue, body in GARBAGE:
        channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2))
    connection.close()

    found = dead_letters(local.amqp_url, len(GARBAGE))

    assert sorted(q for q, _ in found) == sorted(q for q, _ in GARBAGE)
    reasons = dict(zip([b for _, b in GARBAGE], [r for _, r in found], strict=True))
    assert all(reason and reason != "None" for reason in reasons.values())
    assert any("no-such-process" in r for r in reasons.values())
    assert any("p-404" in r for r in reasons.values())
    assert local.engine is not None and local.engine.alive()
    local.wait(local.launch("chain", steps=2))


def test_the_engine_and_participants_reconnect_when_the_broker_drops_them(local: Deployment) -> None:
    local.start_engine()
    local.participant("Echo")
    process_id = local.launch("chain", steps=30, pause=0.1)
    local.wait_step(process_id, "link", "done")

    rabbitmqctl("close_all_connections", "-p", local.amqp_url.rsplit("/", 1)[1], "boss test: broker went away")

    row = local.wait(process_id, "done", timeout=60)
    assert row.state.fields["count"] == 30
    assert "reconnecting" in local.engine.text()  # type: ignore[union-attr]


def test_a_two_hour_wait_fires_after_the_engine_was_down_across_its_due_time(local: Deployment) -> None:
    local.start_engine()
    local.participant("Echo")
    process_id = local.launch("waiter")
    local.wait_step(process_id, "nap", "waiting")
    local.engine.stop()  # type: ignore[union-attr]

    local.start_engine(BOSS_CLOCK_OFFSET="3600")  # an hour later: not yet due
    time.sleep(1.5)
    assert local.process(process_id).status == "running"
    local.engine.kill()  # type: ignore[union-attr]

    local.start_engine(BOSS_CLOCK_OFFSET=str(2 * 3600 + 600))  # restarted 10 minutes after the due time
    row = local.wait(process_id, "done")

    launched = local.records(process_id, "process.launched")[0].at
    woke = next(r.at for r in local.records(process_id, "step.done") if r.step == "nap")
    assert (woke - launched).total_seconds() >= 2 * 3600
    assert row.state.fields


@pytest.mark.parametrize(("args", "message"), [
    (["launch", "no-such-process"], "unknown process 'no-such-process'"),
    (["launch", "needs"], "version"),
    (["launch", "chain", "-f", "steps=many"], "steps"),
])
def test_launch_mistakes_are_one_line_errors_with_exit_code_2(local: Deployment, args: list[str],
                                                               message: str) -> None:
    result = local.boss(*args, expect=2)

    assert message in result.output
    assert result.output.startswith("boss: ")
    assert result.output.strip().count("\n") == 0


def test_an_unreachable_broker_is_a_one_line_error_with_exit_code_2(local: Deployment) -> None:
    local.env["BOSS_AMQP_URL"] = "amqp://guest:guest@127.0.0.1:1/%2F"

    for args in (["launch", "chain"], ["cancel", "x"]):
        result = local.boss(*args, expect=2)
        assert result.output.strip().count("\n") == 0, result.output
        assert "broker" in result.output or "no process" in result.output


def test_the_engine_refuses_to_start_without_a_broker_in_one_line(local: Deployment) -> None:
    local.env["BOSS_AMQP_URL"] = "amqp://guest:guest@127.0.0.1:1/%2F"
    engine = local._spawn("engine", [sys.executable, "-m", "engine.cli", "engine"], {})
    assert engine.popen.wait(30) == 2
    lines = [line for line in engine.text().splitlines() if line.startswith("boss:")]
    assert len(lines) == 1 and "cannot reach the broker" in lines[0]
