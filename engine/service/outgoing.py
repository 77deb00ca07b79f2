"""Effects and answers -> AMQP messages (rows of the outbox, or transient events)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from engine.interpreter.effects import CancelWork, Dispatch, Record
from engine.store import Outgoing
from engine.transport import topology
from engine.transport.messages import ControlMessage, ResponseMessage, WorkitemMessage
from engine.transport.signing import signed_headers

JSON = "application/json"


def workitem(effect: Dispatch, signing_key: str | None = None) -> Outgoing:
    """A workitem for its participant's queue (through the default exchange); signed when a key is set."""
    wi = effect.workitem
    body = WorkitemMessage.of(wi).encode()
    return Outgoing(exchange="", routing_key=topology.participant_queue(wi.participant), body=body,
                    headers=signed_headers(signing_key, body, {"boss-type": "workitem"}),
                    message_id=f"{wi.id}#{wi.attempt}", content_type=JSON)


def control(effect: CancelWork, now: datetime, signing_key: str | None = None) -> Outgoing:
    """A cancel request for the instance holding a workitem (or every instance, when unknown); signed likewise."""
    route = (topology.instance_route(effect.instance) if effect.instance
             else topology.participant_route(effect.participant))
    body = ControlMessage(workitem=effect.workitem, attempt=effect.attempt, participant=effect.participant,
                          sent_at=now).encode()
    return Outgoing(exchange=topology.CONTROL_EXCHANGE, routing_key=route, body=body,
                    headers=signed_headers(signing_key, body, {"boss-type": "control"}), message_id=None,
                    content_type=JSON)


def response(reply_to: str, answer: ResponseMessage) -> Outgoing:
    """The engine's answer to a launch or command."""
    return Outgoing(exchange="", routing_key=reply_to, body=answer.encode(), headers={"boss-type": "response"},
                    message_id=answer.request_id, content_type=JSON)


def dead_letter(queue: str, body: bytes, reason: str, now: datetime) -> Outgoing:
    """A message the engine cannot use, kept in ``boss.dead`` with the reason."""
    headers = {"x-boss-reason": reason[:1000], "x-boss-queue": queue, "x-boss-at": now.isoformat()}
    return Outgoing(exchange=topology.DEAD_EXCHANGE, routing_key=queue, body=body, headers=headers,
                    message_id=None, content_type=JSON)


def process_event(process_id: str, name: str, status: str, records: Iterable[Record]) -> tuple[str, bytes]:
    """One transient ``boss.events`` message with a batch of a process's records: (routing key, body)."""
    from json import dumps

    data: dict[str, Any] = {"v": 1, "process_id": process_id, "name": name, "status": status,
                            "records": [r.model_dump(mode="json") for r in records]}
    return f"process.{name}.{process_id}", dumps(data).encode("utf-8")
