"""Every dashboard page without a browser: what its HTML shows, who may see it, and who gets buttons."""

from __future__ import annotations

import re

import pytest

from engine.api.web.session import SESSION_COOKIE
from skynet.agent import MemoryBackend
from tests.conftest import wait_for
from tests.dashboard.conftest import ALICE, BOB, READER, Site

pytestmark = pytest.mark.integration

PAGES = ["/", "/approvals", "/participants", "/definitions", "/definitions/dash-work", "/calendar"]


def buttons(html: str) -> list[str]:
    """The API calls a page's buttons and forms would make."""
    return re.findall(r'data-post="([^"]+)"', html)


def test_every_page_answers_a_signed_in_user_with_html_and_a_strict_content_security_policy(site: Site):
    for path in PAGES:
        answer = site.page(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html")
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert '<script src="/static/boss.js' in answer.text and "<script>" not in answer.text


def test_the_processes_page_lists_processes_with_their_state_and_follows_live_events(site: Site):
    pid = site.launch("dash-work", who="list", seconds=0)
    site.deployment.wait(pid, "done")
    html = site.page("/").text
    row = re.search(rf'<tr id="p-{pid}" data-status="([a-z]+)">(.*?)</tr>', html, re.S)
    assert row is not None and row.group(1) == "done"
    assert f'href="/processes/{pid}"' in row.group(2) and 'class="badge st-done"' in row.group(2)
    assert 'data-events="/api/events"' in html and 'id="process-list" data-live' in html


def test_the_processes_page_filters_by_state_and_definition(site: Site):
    failing = site.launch("dash-fails")
    site.wait_step(failing, "deploy", "failed")
    html = site.page("/?state=error&name=dash-fails").text
    assert f'id="p-{failing}"' in html
    assert "dash-work" not in re.sub(r"<select.*?</select>", "", html, flags=re.S)
    assert 'data-events="/api/events?name=dash-fails"' in html
    assert 'value="error" checked' in html


def test_an_unknown_state_filter_is_a_422_page_that_names_the_states(site: Site):
    answer = site.page("/?state=sleeping")
    assert answer.status_code == 422 and "unknown state &#39;sleeping&#39;" in answer.text


def test_the_process_page_draws_the_flow_coloured_by_state_with_a_timeline_and_redacted_fields(site: Site):
    pid = site.launch("dash-work", who="page", seconds=0, password="hunter2")
    site.deployment.wait(pid, "done")
    html = site.page(f"/processes/{pid}").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="diagram"' in html
    assert re.search(r'<g class="node kind-participant st-done" id="d-steps-0" data-path="steps\[0\]">', html)
    assert re.search(r'<tr id="t-steps-1" class="depth-0" data-path="steps\[1\]" data-status="done">', html)
    assert "<strong>greet</strong>" in html and "<strong>set finished</strong>" in html  # names, or what it does
    assert "hunter2" not in html and "***" in html
    assert "What the colours mean" in html
    assert f'data-events="/api/events?process={pid}"' in html
    assert "Greets someone, then works for a few seconds." in html


def test_the_process_page_of_a_failed_step_shows_the_participant_message_with_retry_and_skip(site: Site):
    pid = site.launch("dash-fails")
    site.wait_step(pid, "deploy", "failed")
    html = site.page(f"/processes/{pid}").text
    assert "deploy failed" in html and "broken: True" in html and "from flaky" in html
    assert f"/api/processes/{pid}/retry" in buttons(html) and f"/api/processes/{pid}/skip" in buttons(html)
    assert f"/api/processes/{pid}/cancel" in buttons(html)
    assert 'data-original="bad"' in html  # the field to correct, with its current value
    assert re.search(r'class="node kind-participant st-failed"', html)


def test_a_read_only_token_sees_every_page_without_action_buttons(site: Site):
    pid = site.launch("dash-fails")
    site.wait_step(pid, "deploy", "failed")
    approval = site.launch("dash-approve")
    site.wait_step(approval, "go-no-go", "waiting")
    for path in [*PAGES, f"/processes/{pid}", f"/processes/{approval}"]:
        answer = site.page(path, READER)
        assert answer.status_code == 200, path
        assert buttons(answer.text) == [], path
    assert "(read-only)" in site.page("/", READER).text


def test_the_approvals_page_shows_what_waits_for_the_signed_in_user_by_name_or_group(site: Site):
    pid = site.launch("dash-approve", version="2027.01")
    site.wait_step(pid, "go-no-go", "waiting")
    mine, others = _sections(site.page("/approvals", ALICE).text)
    assert "Ship 2027.01?" in mine and f"/api/processes/{pid}/approve" in buttons(mine)
    assert 'data-step="steps[0]"' in mine
    mine, others = _sections(site.page("/approvals", BOB).text)
    assert "Ship 2027.01?" not in mine and "Ship 2027.01?" in others and buttons(others) == []
    assert "May answer: release-managers" in others


def _sections(html: str) -> tuple[str, str]:
    mine = html.split('id="mine-title"', 1)[1].split('id="others-title"', 1)[0]
    others = html.split('id="others-title"', 1)[1]
    return mine, others


def test_the_navigation_counts_the_approvals_waiting_for_the_user(site: Site):
    pid = site.launch("dash-approve")
    site.wait_step(pid, "go-no-go", "waiting")
    assert '<span class="count" title="waiting for you">' in site.page("/definitions", ALICE).text


def test_the_participants_page_lists_each_instance_with_its_last_heartbeat(site: Site):
    html = site.page("/participants").text
    for name in ("echo", "slow", "flaky"):
        assert f'id="participant-{name}"' in html
    echo = html.split('id="participant-echo"', 1)[1].split("</article>", 1)[0]
    assert '<span class="badge st-done">alive</span>' in echo and 'data-style="ago"' in echo
    assert 'data-fragment="/participants/pools"' in html and 'data-refresh="5000"' in html


def test_the_pools_part_lists_each_pool_program_with_start_stop_restart_for_operators(site: Site,
                                                                                        pool_ready: MemoryBackend):
    html = site.page("/participants/pools").text
    assert 'id="pool-build1"' in html and "build1.example.com" in html
    assert 'data-program="jira"' in html and 'data-program="slack"' in html
    assert {"/api/pools/build1/start", "/api/pools/build1/stop", "/api/pools/build1/restart"} <= set(buttons(html))
    assert buttons(site.page("/participants/pools", READER).text) == []


def test_the_definitions_page_lists_every_definition_with_its_description(site: Site):
    html = site.page("/definitions").text
    assert 'href="/definitions/monthly-release"' in html and 'href="/definitions/dash-work"' in html
    assert "Feature freeze on the second Friday" in html


def test_a_definition_page_draws_its_flow_and_builds_the_launch_form_from_its_fields(site: Site):
    html = site.page("/definitions/dash-work").text
    assert 'class="diagram"' in html and 'data-path="steps[1]"' in html
    form = html.split('data-kind="launch"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'name="who" type="text" data-type="string" value=""\s+required', form)
    assert 'name="seconds" type="number" data-type="number" value="2"' in form
    assert 'name="password" type="password" data-type="string"' in form
    assert 'name="tags" data-type="json"' in form and "[&#34;a&#34;, &#34;b&#34;]" in form
    assert 'name="loud" type="checkbox" data-type="boolean"' in form


def test_the_monthly_release_definition_page_shows_every_step_by_name(site: Site):
    html = site.page("/definitions/monthly-release").text
    for step in ("feature-freeze", "create-version", "cut-branches", "load-tests", "release-notes", "go-no-go",
                 "code-freeze", "merge-to-stable", "tag", "publish-release", "release-version", "announce"):
        assert f">{step}</text>" in html, step
    assert "When the process fails: notify-failure" in html
    assert 'pattern="^\\d{4}\\.\\d{2}$"' in html


def test_the_calendar_shows_scheduled_launches_and_the_timers_of_waiting_processes(site: Site):
    pid = site.launch("dash-waits")
    site.wait_step(pid, "cool-down", "waiting")
    html = site.page("/calendar").text
    assert "<strong>Launch of monthly-release</strong> by the schedule monthly" in html and "version=2" in html
    assert "cool-down waits until then" in html and f'href="/processes/{pid}"' in html
    assert "second Friday of each month at 09:00 in Europe/Helsinki" in html
    assert '<span class="badge st-skipped">disabled</span>' in html
    assert "Launch of dash-work" not in html  # a disabled schedule launches nothing


def test_an_unknown_process_is_a_404_page(site: Site):
    answer = site.page("/processes/nosuch")
    assert answer.status_code == 404 and "Not found" in answer.text and "no process" in answer.text


def test_text_from_processes_is_escaped(site: Site):
    pid = site.launch("dash-work", who="<script>alert(1)</script>", seconds=0)
    site.deployment.wait(pid, "done")
    html = site.page(f"/processes/{pid}").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_the_pages_script_finds_each_live_part_by_its_id(site: Site):
    pid = site.launch("dash-work", who="ids", seconds=0)
    html = site.page(f"/processes/{pid}").text
    live = re.findall(r'id="([^"]+)"[^>]*data-live', html)
    assert live == ["nav-approvals", "process-head", "process-problems", "diagram", "timeline", "fields"]
    assert SESSION_COOKIE not in html  # the session never appears in a page


def test_times_are_given_in_utc_for_the_script_to_show_in_the_viewers_zone(site: Site):
    pid = site.launch("dash-work", who="time", seconds=0)
    site.deployment.wait(pid, "done")
    html = site.page(f"/processes/{pid}").text
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00" data-style="datetime">', html)


def test_a_finished_step_shows_a_human_duration(site: Site):
    pid = site.launch("dash-work", who="slowly", seconds=1.2)
    site.deployment.wait(pid, "done")
    row = site.page(f"/processes/{pid}").text.split('id="t-steps-1"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"<td>1(\.\d+)?s</td>", row), row


def test_the_participant_instance_shows_the_workitem_it_is_working_on(site: Site):
    pid = site.launch("dash-work", who="busy", seconds=4)
    site.wait_step(pid, "work", "running")

    def shown() -> bool:
        html = site.page("/participants").text.split('id="participant-slow"', 1)[1].split("</article>", 1)[0]
        return f'href="/processes/{pid}"' in html

    wait_for(shown, 10, "the slow instance to report its workitem")


def test_the_monthly_release_can_be_followed_step_by_step(site: Site):
    pid = site.launch("monthly-release", version="2026.12", feature_freeze="1s")  # jira is not running here
    try:
        site.wait_step(pid, "create-version", "running")
        html = site.page(f"/processes/{pid}").text
        assert re.search(r'class="node kind-wait st-done" id="d-steps-0"', html)
        assert re.search(r'class="node kind-participant st-running" id="d-steps-1"', html)
        assert re.search(r'class="node kind-approve st-pending" id="d-steps-6"', html)
        assert "<strong>feature-freeze</strong>" in html and "<strong>create-version</strong>" in html
        assert "Feature freeze on the second Friday" in html
    finally:
        site.api("POST", f"/api/processes/{pid}/cancel", json={})
