"""The four actions, each safe to run again: a re-run finds what an earlier attempt did instead of redoing it.

Slack has no idempotency key, so every message the participant writes carries Slack *message metadata*
(``event_type: boss_message``) naming the step run that wrote it::

    {"event_type": "boss_message",
     "event_payload": {"boss_key": "<idempotency key>", "boss_process_id": "<process id>",
                       "boss_step": "<step>", "boss_kind": "post" | "reply" | "progress"}}

- ``post`` first looks through the channel's recent history (``conversations.history``, the last
  ``lookback`` messages) for a message whose ``boss_key`` is the workitem's idempotency key; a re-run after a
  crash, a lost answer or ``boss retry`` finds it and returns it instead of posting again.
- ``reply`` does the same inside the thread (``conversations.replies``).
- ``update`` is idempotent by nature (the same content again).
- ``progress`` keeps one message per process and channel: its ts is saved in the field ``slack_progress``
  (``{channel id: ts}``) and updated by later calls; when the field does not have it (the step that posted
  it crashed before replying, or ran in a parallel branch that has not joined yet) the channel's history is
  searched for the process's ``boss_kind: progress`` message; only when neither finds one is a new one posted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from participants.slack.client import Message, SlackClient
from participants.slack.errors import SlackError
from participants.slack.params import Content, Post, Progress, Reply, Update
from skynet import Workitem

EVENT_TYPE = "boss_message"
PROGRESS_FIELD = "slack_progress"


def metadata(wi: Workitem, kind: str) -> Message:
    """The message metadata that marks a message as written by this step run."""
    return {"event_type": EVENT_TYPE,
            "event_payload": {"boss_key": wi.idempotency_key, "boss_process_id": wi.process_id,
                              "boss_step": wi.step, "boss_kind": kind}}


def _payload(message: Message) -> dict[str, Any]:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") if meta.get("event_type") == EVENT_TYPE else None
    return payload if isinstance(payload, dict) else {}


def written_by(key: str) -> Callable[[Message], bool]:
    """Matches the message a step run with idempotency key ``key`` wrote."""
    return lambda message: _payload(message).get("boss_key") == key


def progress_of(process_id: str) -> Callable[[Message], bool]:
    """Matches the live progress message of a process."""
    return lambda message: (_payload(message).get("boss_process_id") == process_id
                            and _payload(message).get("boss_kind") == "progress")


def _channel(client: SlackClient, params: Content) -> str:
    channel = params.channel or client.config.channel
    if not channel:
        raise SlackError("no channel: give params.channel, or set channel in etc/participants/slack.yaml "
                         "(BOSS_SLACK_CHANNEL)")
    return client.channel_id(channel)


def _result(channel_id: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {"channel": channel_id, "ts": ts, **extra}


def post(client: SlackClient, wi: Workitem, params: Post) -> dict[str, Any]:
    """Post to a channel unless an earlier attempt of this step run already did."""
    channel_id = _channel(client, params)
    earlier = client.find(channel_id, written_by(wi.idempotency_key))
    if earlier is not None:
        wi.log.info("message %s in %s was posted by an earlier attempt: not posting again", earlier["ts"],
                    channel_id)
        wi.progress("found the message posted by an earlier attempt", channel=channel_id, ts=earlier["ts"])
        return _result(channel_id, str(earlier["ts"]), posted=False)
    answer = client.post(channel_id, text=params.text, blocks=params.blocks, metadata=metadata(wi, "post"))
    wi.progress("posted", channel=answer["channel"], ts=answer["ts"])
    return _result(str(answer["channel"]), str(answer["ts"]), posted=True)


def reply(client: SlackClient, wi: Workitem, params: Reply) -> dict[str, Any]:
    """Reply in a thread unless an earlier attempt of this step run already did."""
    channel_id = _channel(client, params)
    earlier = client.find(channel_id, written_by(wi.idempotency_key), thread_ts=params.thread_ts)
    if earlier is not None:
        wi.log.info("reply %s in thread %s was posted by an earlier attempt: not posting again", earlier["ts"],
                    params.thread_ts)
        wi.progress("found the reply posted by an earlier attempt", channel=channel_id, ts=earlier["ts"])
        return _result(channel_id, str(earlier["ts"]), thread_ts=params.thread_ts, posted=False)
    answer = client.post(channel_id, text=params.text, blocks=params.blocks, metadata=metadata(wi, "reply"),
                         thread_ts=params.thread_ts, broadcast=params.broadcast)
    wi.progress("replied", channel=answer["channel"], ts=answer["ts"], thread_ts=params.thread_ts)
    return _result(str(answer["channel"]), str(answer["ts"]), thread_ts=params.thread_ts, posted=True)


def update(client: SlackClient, wi: Workitem, params: Update) -> dict[str, Any]:
    """Replace a message's text and/or blocks (its metadata stays)."""
    channel_id = _channel(client, params)
    answer = client.update(channel_id, params.ts, text=params.text, blocks=params.blocks)
    wi.progress("updated", channel=answer["channel"], ts=answer["ts"])
    return _result(str(answer["channel"]), str(answer["ts"]), updated=True)


def progress(client: SlackClient, wi: Workitem, params: Progress) -> dict[str, Any]:
    """Update the process's progress message in the channel, posting it the first time."""
    channel_id = _channel(client, params)
    known = wi.fields.get(PROGRESS_FIELD)
    known = dict(known) if isinstance(known, dict) else {}
    ts = known.get(channel_id)
    if not ts:
        found = client.find(channel_id, progress_of(wi.process_id))
        ts = str(found["ts"]) if found is not None else None
    posted = not (ts and _updated(client, wi, channel_id, str(ts), params))
    if posted:
        answer = client.post(channel_id, text=params.text, blocks=params.blocks, metadata=metadata(wi, "progress"))
        ts = str(answer["ts"])
        wi.progress("posted the progress message", channel=channel_id, ts=ts)
    wi.fields[PROGRESS_FIELD] = {**known, channel_id: ts}
    return _result(channel_id, str(ts), posted=posted, updated=not posted)


def _updated(client: SlackClient, wi: Workitem, channel_id: str, ts: str, params: Progress) -> bool:
    """Update the progress message; False when it is gone (someone deleted it), so a new one is posted."""
    try:
        client.update(channel_id, ts, text=params.text, blocks=params.blocks)
    except SlackError as exc:
        if exc.code != "message_not_found":
            raise
        wi.log.warning("the progress message %s in %s is gone: posting a new one", ts, channel_id)
        return False
    wi.progress("updated the progress message", channel=channel_id, ts=ts)
    return True
