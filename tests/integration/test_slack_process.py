"""The slack participant in real process runs: engine + ``skynet run slack`` daemon + the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from standins.server import serve
from standins.slack import TOKEN, SlackState, create_app
from tests.conftest import wait_for
from tests.integration.conftest import Daemon, Deployment

FREEZE = "Feature freeze for 2026.12"
DONE = "2026.12 release: ✅ branches cut · ✅ load tests passed"


@pytest.fixture
def slack() -> Iterator[tuple[SlackState, str]]:
    """The stand-in's state and its Web API URL (the daemon's BOSS_SLACK_BASE_URL)."""
    state = SlackState()
    with serve(create_app(state)) as url:
        yield state, f"{url}/api/"
        state.release()  # a stalled answer must not hold the server's shutdown


def start(local: Deployment, url: str, token: str = TOKEN) -> Daemon:
    local.start_engine()
    return local.builtin("slack", BOSS_SLACK_BASE_URL=url, BOSS_SLACK_TOKEN=token)


def texts(state: SlackState) -> list[str]:
    return [m["text"] for m in state.messages("releases")]


def test_a_release_posts_replies_in_the_thread_and_keeps_one_progress_message_up_to_date(
        local: Deployment, slack: tuple[SlackState, str]) -> None:
    state, url = slack
    start(local, url)

    row = local.wait(local.launch("slack-release"), "done")

    announcement, progress = state.messages("releases")
    assert (announcement["text"], progress["text"]) == (FREEZE, DONE)
    assert "edited" in progress, "posted by the first progress step, updated by the next two"
    assert [m["text"] for m in state.thread("releases", announcement["ts"])][1:] == [
        "integration2026.12 cut in 3 repositories"]
    fields = row.state.fields
    channel = state.channel_id("releases")
    assert fields["announce"] == {"channel": channel, "ts": announcement["ts"], "posted": True}
    assert fields["branches"]["thread_ts"] == announcement["ts"]
    assert fields["slack_progress"] == {channel: progress["ts"]}
    assert [fields[step]["updated"] for step in ("cut", "testing", "tested")] == [False, True, True]
    assert state.count("chat.postMessage") == 3 and state.count("chat.update") == 2


def test_a_bad_token_fails_the_step_for_good_with_slacks_invalid_auth(
        local: Deployment, slack: tuple[SlackState, str]) -> None:
    state, url = slack
    start(local, url, token="xoxb-revoked")

    row = local.wait(local.launch("slack-release"), "error")

    assert row.error_step == "announce"
    assert "invalid_auth" in (row.error_message or "")
    assert len(local.records(row.id, "step.failed")) == 1, "a permanent error is not retried"
    assert texts(state) == []


def test_a_rate_limit_is_honoured_inside_the_call_and_the_message_is_posted_once(
        local: Deployment, slack: tuple[SlackState, str]) -> None:
    state, url = slack
    start(local, url)
    state.rate_limit_next(1, retry_after=1, method="chat.postMessage")

    row = local.wait(local.launch("slack-release"), "done")

    assert texts(state) == [FREEZE, DONE]
    assert state.count("chat.postMessage") == 4, "the 429, then the post, the reply and the progress message"
    assert local.records(row.id, "step.failed") == [], "the wait happened inside the call"


def test_a_5xx_after_slack_posted_is_retried_without_posting_twice(
        local: Deployment, slack: tuple[SlackState, str]) -> None:
    state, url = slack
    start(local, url)
    state.fail_next(502, method="chat.postMessage", applied=True)

    row = local.wait(local.launch("slack-release"), "done")

    (failed,) = local.records(row.id, "step.failed")
    assert failed.step == "announce"
    assert texts(state) == [FREEZE, DONE]
    assert row.state.fields["announce"]["posted"] is False, "the retry found the message of the first attempt"


def test_a_daemon_killed_while_posting_does_not_post_twice_when_the_step_runs_again(
        local: Deployment, slack: tuple[SlackState, str]) -> None:
    state, url = slack
    daemon = start(local, url)
    state.stall_next("chat.postMessage", seconds=20)
    process_id = local.launch("slack-release")
    wait_for(lambda: texts(state) == [FREEZE], 20, "the announcement to be posted")
    wait_for(lambda: local.records(process_id, "step.accepted"), 20, "the daemon to accept the step")

    daemon.kill()  # Slack has the message; the daemon never heard so, and its heartbeats stop
    local.builtin("slack", BOSS_SLACK_BASE_URL=url, BOSS_SLACK_TOKEN=TOKEN)
    row = local.wait(process_id, "done", timeout=40)

    attempts = [r for r in local.records(process_id, "step.dispatched") if r.step == "announce"]
    assert len(attempts) == 2, "the engine found the work lost and dispatched it again"
    assert texts(state) == [FREEZE, DONE]
    assert row.state.fields["announce"]["posted"] is False
    assert len(state.thread("releases", row.state.fields["announce"]["ts"])) == 2
