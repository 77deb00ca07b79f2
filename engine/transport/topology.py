"""The AMQP topology every boss component agrees on (names, types, arguments).

``boss.launch``, ``boss.commands`` and ``boss.replies`` are durable queues the engine consumes; each
participant has a durable queue ``participant.<name>``. Undeliverable or invalid messages go to the
``boss.dead`` exchange and are kept in the ``boss.dead`` queue with the reason in their headers. Events
(process records, participant registrations and heartbeats, pool states) are published on the ``boss.events``
topic exchange; control messages (cancel a workitem) on the ``boss.control`` topic exchange, routed to one
instance (``instance.<id>``) or to every instance of a participant (``participant.<name>``).
"""

from __future__ import annotations

from typing import Any

LAUNCH_QUEUE = "boss.launch"
COMMANDS_QUEUE = "boss.commands"
REPLIES_QUEUE = "boss.replies"
DEAD_EXCHANGE = "boss.dead"
DEAD_QUEUE = "boss.dead"
EVENTS_EXCHANGE = "boss.events"
CONTROL_EXCHANGE = "boss.control"
REGISTRY_QUEUE = "boss.engine.registry"  # the engine's view of participant announcements
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"

ENGINE_QUEUES = (LAUNCH_QUEUE, COMMANDS_QUEUE, REPLIES_QUEUE)
DEAD_LETTERED = {"x-dead-letter-exchange": DEAD_EXCHANGE}


def participant_queue(name: str) -> str:
    """The work queue of a participant."""
    return f"participant.{name}"


def instance_route(instance: str) -> str:
    """Routing key of control messages for one participant instance."""
    return f"instance.{instance}"


def participant_route(name: str) -> str:
    """Routing key of control messages for every instance of a participant."""
    return f"participant.{name}"


def announcement_route(participant: str, kind: str) -> str:
    """Routing key of a participant's register / heartbeat / goodbye on ``boss.events``."""
    return f"participant.{participant}.{kind}"


def record_route(process_name: str, kind: str) -> str:
    """Routing key of a process record on ``boss.events`` (``process.<name>.step.done``)."""
    return f"process.{process_name}.{kind}"


def declare_common(channel: Any) -> None:
    """Declare the exchanges and dead-letter queue everyone uses (idempotent) on a blocking channel."""
    channel.exchange_declare(exchange=DEAD_EXCHANGE, exchange_type="fanout", durable=True)
    channel.queue_declare(queue=DEAD_QUEUE, durable=True)
    channel.queue_bind(queue=DEAD_QUEUE, exchange=DEAD_EXCHANGE, routing_key="")
    channel.exchange_declare(exchange=EVENTS_EXCHANGE, exchange_type="topic", durable=True)
    channel.exchange_declare(exchange=CONTROL_EXCHANGE, exchange_type="topic", durable=True)


def declare_engine(channel: Any) -> None:
    """Declare the engine's queues on a blocking channel."""
    declare_common(channel)
    for queue in ENGINE_QUEUES:
        channel.queue_declare(queue=queue, durable=True, arguments=DEAD_LETTERED)
    channel.queue_declare(queue=REGISTRY_QUEUE, durable=True, arguments=DEAD_LETTERED)
    channel.queue_bind(queue=REGISTRY_QUEUE, exchange=EVENTS_EXCHANGE, routing_key="participant.#")


def declare_participant(channel: Any, name: str) -> None:
    """Declare a participant's work queue on a blocking channel."""
    declare_common(channel)
    channel.queue_declare(queue=participant_queue(name), durable=True, arguments=DEAD_LETTERED)
