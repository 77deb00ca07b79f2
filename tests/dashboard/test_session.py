"""Signing in and out, the session cookie, and the CSRF header its API calls need."""

from __future__ import annotations

import re

import pytest
import requests

from engine.api.web.session import SESSION_COOKIE, csrf_token, safe_next
from tests.dashboard.conftest import OPERATOR, READER, Site, csrf_of

pytestmark = pytest.mark.integration


def test_a_page_without_a_session_is_a_401_that_sends_the_browser_to_the_login_page(site: Site):
    answer = requests.get(site.url + "/processes/abc?x=1", allow_redirects=False, timeout=10)
    assert answer.status_code == 401
    assert '<meta http-equiv="refresh" content="0;url=/login?next=%2Fprocesses%2Fabc%3Fx%3D1">' in answer.text


def test_the_json_api_still_answers_401_in_json_without_a_token(site: Site):
    answer = requests.get(site.url + "/api/processes", timeout=10)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"


def test_signing_in_sets_an_httponly_samesite_strict_cookie_and_returns_to_the_page(site: Site):
    answer = requests.post(site.url + "/login", data={"token": OPERATOR, "next": "/calendar"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/calendar"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie


def test_a_token_that_is_not_accepted_gets_the_login_page_again_with_a_message(site: Site):
    answer = requests.post(site.url + "/login", data={"token": "guess", "next": "/"}, timeout=10)
    assert answer.status_code == 401 and "This token is not accepted" in answer.text
    assert "set-cookie" not in answer.headers


def test_a_login_form_posted_from_another_site_is_refused(site: Site):
    answer = requests.post(site.url + "/login", data={"token": OPERATOR}, headers={"Origin": "https://evil.example"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_the_login_page_sends_a_signed_in_browser_straight_back_where_it_was_going(site: Site):
    session = site.session()
    answer = session.get(site.url + "/login?next=/approvals", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/approvals"


@pytest.mark.parametrize(("given", "kept"), [
    ("/processes/x?state=error", "/processes/x?state=error"), ("//evil.example/", "/"),
    ("https://evil.example/", "/"), ("/\\evil", "/"), (None, "/"), ("", "/"),
])  # fmt: skip
def test_after_signing_in_the_browser_only_goes_to_a_page_of_this_site(given: str | None, kept: str):
    assert safe_next(given) == kept


def test_signing_out_clears_the_cookie(site: Site):
    session = site.session()
    answer = session.post(site.url + "/logout", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
    assert session.get(site.url + "/", allow_redirects=False, timeout=10).status_code == 401


def test_the_session_reads_the_api_as_its_token_would(site: Site):
    assert site.session(READER).get(site.url + "/api/me", timeout=10).json() == {"name": "reader", "role": "read"}


def test_a_write_through_the_session_needs_the_pages_csrf_header(site: Site):
    session = site.session()
    refused = session.post(site.url + "/api/processes", json={"definition": "dash-work", "fields": {"who": "x"}},
                           timeout=10)
    assert refused.status_code == 403 and "X-Boss-CSRF" in refused.json()["error"]["message"]
    wrong = session.post(site.url + "/api/processes/nosuch/pause", json={}, headers={"X-Boss-CSRF": "0" * 64},
                         timeout=10)
    assert wrong.status_code == 403
    token = csrf_of(session.get(site.url + "/", timeout=10).text)
    assert token == csrf_token(OPERATOR)
    passed = session.post(site.url + "/api/processes/nosuch/pause", json={}, headers={"X-Boss-CSRF": token},
                          timeout=10)
    assert passed.status_code == 404  # authenticated and allowed through: the process does not exist


def test_the_csrf_token_depends_on_the_session_and_does_not_reveal_it():
    assert csrf_token("a") == csrf_token("a") != csrf_token("b")
    assert re.fullmatch(r"[0-9a-f]{64}", csrf_token(OPERATOR)) and OPERATOR not in csrf_token(OPERATOR)


def test_a_bearer_token_needs_no_csrf_header_even_on_pages(site: Site):
    answer = requests.get(site.url + "/definitions", headers={"Authorization": f"Bearer {READER}"}, timeout=10)
    assert answer.status_code == 200 and 'content=""' in answer.text  # no session: no CSRF token to give


def test_static_files_are_served_without_a_session(site: Site):
    for name in ("boss.css", "boss.js", "favicon.svg"):
        assert requests.get(f"{site.url}/static/{name}", timeout=10).status_code == 200
