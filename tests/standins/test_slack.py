"""The Slack stand-in speaks the Web API as slack-sdk's WebClient expects it: answers, errors, pages, faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standins.server import serve
from standins.slack import TOKEN, SlackState, create_app


@pytest.fixture
def state() -> SlackState:
    return SlackState()


@pytest.fixture
def url(state: SlackState) -> Iterator[str]:
    with serve(create_app(state)) as base:
        yield f"{base}/api/"


def client(url: str, token: str | None = TOKEN) -> WebClient:
    return WebClient(token=token, base_url=url, retry_handlers=[])  # no retries: see each answer as sent


def failure(call: object) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_auth_test_names_the_bot_and_a_bad_or_missing_token_is_refused_with_http_200(url: str) -> None:
    assert client(url).auth_test()["user_id"] == "U0B0SSB0T"

    bad = failure(lambda: client(url, "xoxb-nope").auth_test())
    missing = failure(lambda: client(url, None).auth_test())

    assert (bad.response.status_code, bad.response["error"]) == (200, "invalid_auth")
    assert (missing.response.status_code, missing.response["error"]) == (200, "not_authed")


def test_a_message_posted_by_name_lands_in_the_channel_with_its_metadata(url: str, state: SlackState) -> None:
    metadata = {"event_type": "boss_message", "event_payload": {"boss_key": "k"}}

    answer = client(url).chat_postMessage(channel="#releases", text="hi", metadata=metadata)
    client(url).chat_postMessage(channel="releases", text="again")

    assert answer["channel"] == state.channel_id("releases")
    assert [m["text"] for m in state.messages("releases")] == ["hi", "again"]
    assert state.messages("releases")[0]["metadata"] == metadata


def test_history_pages_newest_first_with_a_cursor_and_shows_metadata_only_when_asked(
        url: str, state: SlackState) -> None:
    channel = state.channel_id("releases")
    web = client(url)
    for n in range(5):
        web.chat_postMessage(channel=channel, text=f"m{n}", metadata={"event_type": "t", "event_payload": {"n": n}})

    # slack-sdk's pages are one response object refilled by each step of the iteration: keep each page's data.
    pages = [dict(page.data) for page in web.conversations_history(channel=channel, limit=2,
                                                                    include_all_metadata=True)]
    plain = web.conversations_history(channel=channel)

    assert [[m["text"] for m in page["messages"]] for page in pages] == [["m4", "m3"], ["m2", "m1"], ["m0"]]
    assert [page["has_more"] for page in pages] == [True, True, False]
    assert pages[0]["messages"][0]["metadata"]["event_payload"] == {"n": 4}
    assert all("metadata" not in m for m in plain["messages"])


def test_history_and_update_want_a_channel_id_not_a_name(url: str) -> None:
    web = client(url)
    posted = web.chat_postMessage(channel="#releases", text="hi")

    assert failure(lambda: web.conversations_history(channel="#releases")).response["error"] == "channel_not_found"
    assert failure(lambda: web.chat_update(channel="#releases", ts=posted["ts"], text="x")).response["error"] == \
        "channel_not_found"
    assert web.chat_update(channel=posted["channel"], ts=posted["ts"], text="edited")["text"] == "edited"


def test_replies_list_the_parent_then_its_replies_and_stay_out_of_the_history(url: str, state: SlackState) -> None:
    web = client(url)
    parent = web.chat_postMessage(channel="#releases", text="parent")
    web.chat_postMessage(channel="#releases", text="reply", thread_ts=parent["ts"])

    thread = web.conversations_replies(channel=parent["channel"], ts=parent["ts"])
    history = web.conversations_history(channel=parent["channel"])

    assert [m["text"] for m in thread["messages"]] == ["parent", "reply"]
    assert [m["text"] for m in history["messages"]] == ["parent"]
    assert history["messages"][0]["reply_count"] == 1


def test_a_rate_limited_call_is_a_429_with_retry_after_and_does_nothing(url: str, state: SlackState) -> None:
    state.rate_limit_next(1, retry_after=7)

    error = failure(lambda: client(url).chat_postMessage(channel="#releases", text="hi"))

    assert (error.response.status_code, error.response["error"]) == (429, "ratelimited")
    assert error.response.headers["Retry-After"] == "7"
    assert state.messages("releases") == []


def test_a_failure_before_or_after_the_work_is_a_5xx(url: str, state: SlackState) -> None:
    state.fail_next(503, method="chat.postMessage")
    state.fail_next(502, method="chat.postMessage", applied=True)
    web = client(url)

    before = failure(lambda: web.chat_postMessage(channel="#releases", text="one"))
    after = failure(lambda: web.chat_postMessage(channel="#releases", text="two"))

    assert (before.response.status_code, after.response.status_code) == (503, 502)
    assert [m["text"] for m in state.messages("releases")] == ["two"]


def test_a_stalled_answer_comes_after_the_work_is_done_and_release_lets_it_go(url: str, state: SlackState) -> None:
    state.stall_next("chat.postMessage", seconds=30)
    answers: list[str] = []
    thread = threading.Thread(target=lambda: answers.append(
        client(url).chat_postMessage(channel="#releases", text="hi")["ts"]))
    thread.start()

    deadline = time.monotonic() + 5
    while not state.messages("releases") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert state.messages("releases") and not answers, "posted, but the answer is held back"
    state.release()
    thread.join(5)

    assert answers == [state.messages("releases")[0]["ts"]]
