"""The built-in slack participant against the Slack stand-in, through slack-sdk: actions, re-runs, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from participants.slack import Slack
from participants.slack.client import read_config
from skynet.errors import ConfigError
from skynet.loader import load_participant
from skynet.testing import RunResult, run
from standins.server import free_port, serve
from standins.slack import TOKEN, SlackState, create_app

ETC = Path(__file__).resolve().parents[2] / "etc" / "participants" / "slack.yaml"


@pytest.fixture
def state() -> SlackState:
    return SlackState()


@pytest.fixture
def config(state: SlackState) -> Iterator[dict[str, Any]]:
    """The participant's config, pointed at a fresh stand-in."""
    with serve(create_app(state)) as url:
        yield {"token": TOKEN, "base_url": f"{url}/api/", "channel": "#releases"}


def slack(config: dict[str, Any], params: dict[str, Any], *, key: str = "p1/n1", process_id: str = "p1",
          fields: dict[str, Any] | None = None, attempt: int = 1) -> RunResult:
    """One step of process ``process_id`` whose idempotency key is ``key``."""
    return run(Slack, params, fields=fields, config=config, process_id=process_id, workitem_id=key,
               idempotency_key=key, attempt=attempt, step="notify")


def ok(outcome: RunResult) -> Any:
    assert outcome.error is None, outcome.error
    return outcome.result


def texts(state: SlackState, channel: str = "releases") -> list[str]:
    return [m["text"] for m in state.messages(channel)]


# ---- post -----------------------------------------------------------------------------------------------
def test_a_post_returns_the_channel_id_and_ts_and_marks_the_message_with_the_step_run(
        state: SlackState, config: dict[str, Any]) -> None:
    outcome = slack(config, {"action": "post", "text": "Feature freeze for 2026.12"})

    result = ok(outcome)
    (message,) = state.messages("releases")
    assert result == {"channel": state.channel_id("releases"), "ts": message["ts"], "posted": True}
    assert message["text"] == "Feature freeze for 2026.12"
    assert message["metadata"] == {"event_type": "boss_message", "event_payload": {
        "boss_key": "p1/n1", "boss_process_id": "p1", "boss_step": "notify", "boss_kind": "post"}}
    assert outcome.progress[-1] == {"message": "posted", "channel": result["channel"], "ts": result["ts"]}


def test_a_post_run_again_by_the_same_step_run_finds_its_message_instead_of_posting_twice(
        state: SlackState, config: dict[str, Any]) -> None:
    first = ok(slack(config, {"action": "post", "text": "hello"}))
    slack(config, {"action": "post", "text": "chatter"}, key="p2/n1", process_id="p2")

    again = ok(slack(config, {"action": "post", "text": "hello"}, attempt=2))

    assert again == {**first, "posted": False}
    assert texts(state) == ["hello", "chatter"]
    assert state.count("chat.postMessage") == 2


def test_a_post_whose_answer_was_lost_is_retryable_and_its_retry_does_not_post_twice(
        state: SlackState, config: dict[str, Any]) -> None:
    state.fail_next(502, method="chat.postMessage", applied=True)

    lost = slack(config, {"action": "post", "text": "hello"})
    retried = ok(slack(config, {"action": "post", "text": "hello"}, attempt=2))

    assert lost.error is not None and lost.error.retryable and lost.error.type == "SlackUnavailable"
    assert retried["posted"] is False
    assert texts(state) == ["hello"]


def test_posts_of_different_step_runs_are_different_messages(state: SlackState, config: dict[str, Any]) -> None:
    ok(slack(config, {"action": "post", "text": "same words"}, key="p1/n1"))
    ok(slack(config, {"action": "post", "text": "same words"}, key="p1/n7"))

    assert texts(state) == ["same words", "same words"]


def test_blocks_are_posted_with_their_text_fallback_to_the_channel_given_by_id(
        state: SlackState, config: dict[str, Any]) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*2026.12* is out"}}]
    channel = state.channel_id("general")

    ok(slack(config, {"action": "post", "channel": channel, "text": "2026.12 is out", "blocks": blocks}))

    (message,) = state.messages("general")
    assert (message["text"], message["blocks"]) == ("2026.12 is out", blocks)
    assert state.count("conversations.list") == 0, "an id needs no lookup"


def test_the_re_run_search_pages_back_through_the_history_up_to_lookback(
        state: SlackState, config: dict[str, Any]) -> None:
    ok(slack(config, {"action": "post", "text": "mine"}))
    for n in range(250):  # later chatter pushes it to the second page of history
        state.chat_post_message({"channel": "#releases", "text": f"chatter {n}"})

    before = len(state.calls)

    again = ok(slack({**config, "lookback": 300}, {"action": "post", "text": "mine"}))

    history = [args for method, args in state.calls[before:] if method == "conversations.history"]

    assert again["posted"] is False
    assert len(history) == 2 and history[1]["cursor"]


def test_a_message_older_than_lookback_is_not_found_and_lookback_0_never_searches(
        state: SlackState, config: dict[str, Any]) -> None:
    ok(slack(config, {"action": "post", "text": "mine"}))
    for n in range(5):
        state.chat_post_message({"channel": "#releases", "text": f"chatter {n}"})

    assert ok(slack({**config, "lookback": 3}, {"action": "post", "text": "mine"}))["posted"] is True
    assert ok(slack({**config, "lookback": 0}, {"action": "post", "text": "mine"}))["posted"] is True
    assert texts(state).count("mine") == 3


# ---- reply and update ----------------------------------------------------------------------------------
def test_a_reply_goes_into_the_thread_once(state: SlackState, config: dict[str, Any]) -> None:
    parent = ok(slack(config, {"action": "post", "text": "Feature freeze"}))
    params = {"action": "reply", "thread_ts": parent["ts"], "text": "integration2026.12 cut"}

    first = ok(slack(config, params, key="p1/n2"))
    again = ok(slack(config, params, key="p1/n2", attempt=2))

    thread = state.thread("releases", parent["ts"])
    assert [m["text"] for m in thread] == ["Feature freeze", "integration2026.12 cut"]
    assert thread[1]["thread_ts"] == parent["ts"]
    assert first == {"channel": parent["channel"], "ts": thread[1]["ts"], "thread_ts": parent["ts"], "posted": True}
    assert again == {**first, "posted": False}
    assert texts(state) == ["Feature freeze"], "a reply stays in its thread"


def test_a_broadcast_reply_also_shows_in_the_channel(state: SlackState, config: dict[str, Any]) -> None:
    parent = ok(slack(config, {"action": "post", "text": "Feature freeze"}))

    ok(slack(config, {"action": "reply", "thread_ts": parent["ts"], "text": "done", "broadcast": True}, key="k2"))

    assert texts(state) == ["Feature freeze", "done"]


def test_a_reply_to_a_missing_thread_is_a_permanent_error(config: dict[str, Any]) -> None:
    outcome = slack(config, {"action": "reply", "thread_ts": "1700000000.000001", "text": "hi"})

    assert outcome.error is not None and not outcome.error.retryable
    assert "thread_not_found" in outcome.error.message


def test_update_replaces_the_text_and_blocks_of_a_message(state: SlackState, config: dict[str, Any]) -> None:
    posted = ok(slack(config, {"action": "post", "text": "load tests running"}))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "load tests *passed*"}}]

    result = ok(slack(config, {"action": "update", "channel": posted["channel"], "ts": posted["ts"],
                               "text": "load tests passed", "blocks": blocks}, key="p1/n2"))

    (message,) = state.messages("releases")
    assert result == {"channel": posted["channel"], "ts": posted["ts"], "updated": True}
    assert (message["text"], message["blocks"]) == ("load tests passed", blocks)
    assert message["metadata"]["event_payload"]["boss_key"] == "p1/n1", "the metadata stays"


def test_updating_a_missing_message_is_a_permanent_error_naming_message_not_found(config: dict[str, Any]) -> None:
    outcome = slack(config, {"action": "update", "ts": "1700000000.000001", "text": "x"})

    assert outcome.error is not None and not outcome.error.retryable
    assert outcome.error.message == ("Slack chat.update: message_not_found (no message with that ts in the "
                                     "channel)")


# ---- progress -----------------------------------------------------------------------------------------
def test_progress_posts_one_message_then_updates_it_through_the_saved_field(
        state: SlackState, config: dict[str, Any]) -> None:
    first = slack(config, {"action": "progress", "text": "2026.12 release: ⏳ cutting branches"}, key="p1/n1")
    second = slack(config, {"action": "progress", "text": "2026.12 release: ✅ branches cut · ⏳ load tests"},
                   key="p1/n2", fields=first.fields)

    (message,) = state.messages("releases")
    channel = state.channel_id("releases")
    assert ok(first) == {"channel": channel, "ts": message["ts"], "posted": True, "updated": False}
    assert ok(second) == {"channel": channel, "ts": message["ts"], "posted": False, "updated": True}
    assert first.changed == {"slack_progress": {channel: message["ts"]}}
    assert message["text"] == "2026.12 release: ✅ branches cut · ⏳ load tests"
    assert state.count("conversations.history") == 1, "the second call knew the ts from the field"


def test_progress_without_the_field_finds_the_process_message_in_the_history(
        state: SlackState, config: dict[str, Any]) -> None:
    ok(slack(config, {"action": "progress", "text": "one"}, key="p1/n1"))
    ok(slack(config, {"action": "post", "text": "chatter"}, key="p1/n2"))

    again = slack(config, {"action": "progress", "text": "two"}, key="p1/n3")

    assert ok(again)["updated"] is True
    assert texts(state) == ["two", "chatter"]
    assert again.changed == {"slack_progress": {state.channel_id("releases"): ok(again)["ts"]}}


def test_each_process_has_its_own_progress_message(state: SlackState, config: dict[str, Any]) -> None:
    ok(slack(config, {"action": "progress", "text": "release A"}, process_id="pa", key="pa/n1"))
    ok(slack(config, {"action": "progress", "text": "release B"}, process_id="pb", key="pb/n1"))
    ok(slack(config, {"action": "progress", "text": "release A, later"}, process_id="pa", key="pa/n2"))

    assert texts(state) == ["release A, later", "release B"]


def test_progress_posts_a_new_message_when_someone_deleted_the_old_one(
        state: SlackState, config: dict[str, Any]) -> None:
    first = slack(config, {"action": "progress", "text": "one"}, key="p1/n1")
    state.delete("releases", ok(first)["ts"])

    again = ok(slack(config, {"action": "progress", "text": "two"}, key="p1/n2", fields=first.fields))

    assert again["posted"] is True and again["ts"] != ok(first)["ts"]
    assert texts(state) == ["two"]


# ---- rate limits and errors ---------------------------------------------------------------------------
def test_a_rate_limit_is_honoured_inside_the_call_and_the_message_is_posted_once(
        state: SlackState, config: dict[str, Any]) -> None:
    state.rate_limit_next(1, retry_after=1, method="chat.postMessage")
    started = time.monotonic()

    result = ok(slack(config, {"action": "post", "text": "hello"}))

    assert time.monotonic() - started >= 1.0, "Retry-After: 1 was waited for"
    assert result["posted"] is True
    assert state.count("chat.postMessage") == 2
    assert texts(state) == ["hello"]


def test_a_rate_limit_that_outlasts_the_retries_is_retryable_with_slacks_retry_after(
        state: SlackState, config: dict[str, Any]) -> None:
    state.rate_limit_next(5, retry_after=1, method="chat.postMessage")

    outcome = slack({**config, "rate_limit_retries": "1"}, {"action": "post", "text": "hello"})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("SlackRateLimited", True)
    assert outcome.error.message == ("Slack chat.postMessage: ratelimited (HTTP 429): Slack asks to retry "
                                     "after 1s")
    assert outcome.error.detail["retry_after"] == 1
    assert state.count("chat.postMessage") == 2 and texts(state) == []


def test_a_retry_after_longer_than_max_retry_after_is_not_slept_in_the_call(
        state: SlackState, config: dict[str, Any]) -> None:
    state.rate_limit_next(1, retry_after=120, method="chat.postMessage")
    started = time.monotonic()

    outcome = slack({**config, "max_retry_after": "30s"}, {"action": "post", "text": "hello"})

    assert time.monotonic() - started < 5
    assert outcome.error is not None and outcome.error.retryable and outcome.error.detail["retry_after"] == 120


def test_a_bad_token_is_a_permanent_error_quoting_invalid_auth(config: dict[str, Any]) -> None:
    outcome = slack({**config, "token": "xoxb-revoked"}, {"action": "post", "channel": "C00000001", "text": "x"})

    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("SlackError", False)
    assert outcome.error.message == ("Slack conversations.history: invalid_auth (the token is not valid: check "
                                     "BOSS_SLACK_TOKEN)")
    assert outcome.error.detail == {"method": "conversations.history", "error": "invalid_auth", "status": 200}


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_from_slack_is_retryable(state: SlackState, config: dict[str, Any], status: int) -> None:
    state.fail_next(status, method="chat.postMessage")

    outcome = slack(config, {"action": "post", "text": "hello"})

    assert outcome.error is not None and outcome.error.retryable
    assert outcome.error.message == f"Slack chat.postMessage: service_unavailable (HTTP {status})"
    assert texts(state) == []


def test_an_unreachable_slack_is_retryable() -> None:
    config = {"token": TOKEN, "base_url": f"http://127.0.0.1:{free_port()}/api/", "timeout": "2s"}

    outcome = slack(config, {"action": "post", "channel": "C00000001", "text": "hello"})

    assert outcome.error is not None and outcome.error.retryable
    assert outcome.error.message.startswith("Slack conversations.history: cannot reach Slack:")


@pytest.mark.parametrize(("channel", "message"), [
    ("#nope", "Slack conversations.list: no channel #nope the app can see (check the name, or give the channel id)"),
    ("C99999999", "Slack conversations.history: channel_not_found (no such channel, or the app cannot see it)"),
    ("#outsiders", "Slack conversations.history: not_in_channel (invite the app to the channel first)"),
])
def test_a_channel_the_app_cannot_use_is_a_permanent_error(
        state: SlackState, config: dict[str, Any], channel: str, message: str) -> None:
    state.add_channel("outsiders", member=False)

    outcome = slack(config, {"action": "post", "channel": channel, "text": "hello"})

    assert outcome.error is not None and not outcome.error.retryable
    assert outcome.error.message == message


def test_text_too_long_for_slack_is_a_permanent_error_naming_msg_too_long(
        state: SlackState, config: dict[str, Any]) -> None:
    outcome = slack(config, {"action": "post", "text": "x" * 40_001})

    assert outcome.error is not None and not outcome.error.retryable
    assert outcome.error.message.startswith("Slack chat.postMessage: msg_too_long")


def test_a_channel_is_needed_from_the_params_or_the_config(config: dict[str, Any]) -> None:
    outcome = slack({**config, "channel": None}, {"action": "post", "text": "hello"})

    assert outcome.error is not None and not outcome.error.retryable
    assert outcome.error.message.startswith("no channel: give params.channel")


def test_channel_names_are_found_through_the_pages_of_conversations_list(
        state: SlackState, config: dict[str, Any]) -> None:
    for n in range(250):
        state.add_channel(f"team-{n}")
    state.add_channel("secret-releases", private=True)

    ok(slack(config, {"action": "post", "channel": "#secret-releases", "text": "psst"}))

    assert texts(state, "secret-releases") == ["psst"]
    assert state.count("conversations.list") == 2


# ---- params, config, loading --------------------------------------------------------------------------
@pytest.mark.parametrize(("params", "expected"), [
    ({"action": "post"}, "give text or blocks"),
    ({"text": "hi"}, "no action: give action: post, reply, update or progress"),
    ({"action": "shout", "text": "hi"}, "does not match any of the expected tags"),
    ({"action": "reply", "text": "hi"}, "reply.thread_ts: Field required"),
    ({"action": "post", "text": "hi", "chanel": "#x"}, "post.chanel: Extra inputs are not permitted"),
    ({"action": "update", "ts": 1700000000.0001, "text": "hi"}, "update.ts: Input should be a valid string"),
])
def test_params_that_do_not_fit_an_action_are_a_permanent_error(params: dict[str, Any], expected: str) -> None:
    outcome = run(Slack, params, config={"token": TOKEN, "base_url": f"http://127.0.0.1:{free_port()}/api/"})

    assert outcome.error is not None and not outcome.error.retryable
    assert expected in outcome.error.message


def test_the_params_schema_is_one_model_per_action_told_apart_by_action() -> None:
    schema = Slack.params_schema()

    assert schema is not None
    assert sorted(schema["discriminator"]["mapping"]) == ["post", "progress", "reply", "update"]
    assert sorted(schema["$defs"]["Reply"]["required"]) == ["action", "thread_ts"]
    assert schema["$defs"]["Post"]["additionalProperties"] is False


def test_a_missing_token_stops_the_daemon_at_setup() -> None:
    with pytest.raises(ConfigError, match="no token: set BOSS_SLACK_TOKEN"):
        run(Slack, {"action": "post", "text": "hi"}, config={"channel": "#releases"})


def test_a_bad_config_value_stops_the_daemon_at_setup() -> None:
    with pytest.raises(ConfigError, match="lookback"):
        read_config({"token": TOKEN, "lookback": "many"})


def test_the_sample_config_is_valid_and_holds_no_token() -> None:
    sample = yaml.safe_load(ETC.read_text())

    assert "token" not in sample
    config = read_config({**sample, "token": TOKEN})
    assert (config.base_url, config.channel, config.rate_limit_retries) == ("https://slack.com/api/", "#releases", 2)


def test_skynet_finds_the_built_in_participant_by_name() -> None:
    assert load_participant("slack") is Slack
