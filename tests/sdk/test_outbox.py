"""The outbox keeps order, survives a lost connection, and never acks a tag of an earlier connection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.transport.messages import ReplyMessage
from engine.urls import mask_url
from skynet.runtime.connection import Delivery, Link, NotDelivered, Settlement
from skynet.runtime.outbox import Outbox
from skynet.runtime.worker import ReplyKind


class FakeLink(Link):
    """Records what would go to the broker; can refuse or drop."""

    def __init__(self, epoch: int = 1) -> None:
        super().__init__(connection=None, channel=None, epoch=epoch)
        self.sent: list[str] = []
        self.refuse = False
        self.drop = False

    def publish(self, exchange: str, routing_key: str, body: bytes, *, mandatory: bool) -> None:
        if self.drop:
            raise ConnectionResetError("gone")
        if self.refuse:
            raise NotDelivered("no queue")
        self.sent.append(f"publish {routing_key}")

    def settle(self, delivery: Delivery, how: Settlement) -> bool:
        if delivery.epoch != self.epoch:
            return False
        self.sent.append(f"{how} {delivery.tag}")
        return True


def reply(kind: ReplyKind = "done") -> ReplyMessage:
    return ReplyMessage(id="w", process_id="p", attempt=1, kind=kind, sent_at=datetime.now(UTC))


def test_items_go_out_in_order():
    outbox, link = Outbox(), FakeLink()
    outbox.reply(reply("accepted"))
    outbox.settle(Delivery(1, 7), "ack", "w")
    outbox.event("boss.events", "participant.x.heartbeat", b"{}")
    outbox.flush(link)
    assert link.sent == ["publish boss.replies", "ack 7", "publish participant.x.heartbeat"]
    assert len(outbox) == 0


def test_a_refused_reply_holds_back_its_ack_until_it_is_delivered():
    outbox, link = Outbox(), FakeLink()
    link.refuse = True
    outbox.reply(reply())
    outbox.settle(Delivery(1, 7), "ack", "w")
    outbox.flush(link)
    assert link.sent == [] and len(outbox) == 2
    link.refuse = False
    outbox.retry_at = 0
    outbox.flush(link)
    assert link.sent == ["publish boss.replies", "ack 7"]


def test_a_lost_connection_keeps_the_items_for_the_next_one():
    outbox, link = Outbox(), FakeLink()
    link.drop = True
    outbox.reply(reply())
    outbox.settle(Delivery(1, 7), "ack", "w")
    with pytest.raises(ConnectionResetError):
        outbox.flush(link)
    later = FakeLink(epoch=2)
    outbox.flush(later)
    assert later.sent == ["publish boss.replies"]  # the stale ack is dropped: the broker redelivers instead
    assert len(outbox) == 0


def test_urls_are_logged_without_their_password():
    assert mask_url("amqp://boss:s3cret@mq:5672/prod") == "amqp://boss:***@mq:5672/prod"
    assert mask_url("amqp://mq/") == "amqp://mq/"
