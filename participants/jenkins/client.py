"""A small client of Jenkins' remote API over one ``requests.Session``: auth, crumbs, and errors as ours.

Authentication is HTTP basic with the user's API token (recommended: Jenkins needs no CSRF crumb for
token requests) or password. With a password every POST carries a crumb from ``/crumbIssuer/api/json``
in the header that answer names; since Jenkins 2.176.2 a crumb is only valid for the web session it was
issued in, which is why one ``Session`` (keeping the ``JSESSIONID`` cookie) serves a whole step. A crumb
refused later (the session expired) is fetched again once.

Every failure becomes a :class:`JenkinsError` (permanent: 4xx, quoting Jenkins' own message from its
error page) or a :class:`JenkinsUnavailable` (retryable: no connection, 5xx, 429).
"""

from __future__ import annotations

import html
import re
import threading
from typing import Any

import requests

from participants.jenkins.config import JenkinsConfig
from participants.jenkins.errors import JenkinsError, JenkinsUnavailable

MESSAGE_CHARS = 300
MAX_RETRY_AFTER = 30.0  # seconds: a longer Retry-After is left to the step's retry policy
_JETTY_MESSAGE = re.compile(r"<th>MESSAGE:</th>\s*<td>(.*?)</td>", re.S | re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


class JenkinsClient:
    """Requests to one Jenkins for one step (not shared between threads).

    Args:
        config: Where Jenkins is and who we are.
        interrupt: Set when the step is cancelled: ends a wait for ``Retry-After`` early.
    """

    def __init__(self, config: JenkinsConfig, interrupt: threading.Event | None = None) -> None:
        self.config = config
        self.interrupt = interrupt or threading.Event()
        self.session = requests.Session()
        secret = config.token or config.password
        if config.user and secret:
            self.session.auth = (config.user, secret)
        self.session.headers["Accept"] = "application/json"
        self.session.verify = config.verify_tls
        self._crumb: dict[str, str] | None = None  # the crumb header; {} when CSRF protection is off

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()

    @property
    def who(self) -> str:
        """The user requests are made as, for messages."""
        return self.config.user or "anonymous"

    # ---- requests ----------------------------------------------------------------------------------
    def get(self, path: str, *, what: str, params: dict[str, str] | None = None, missing_ok: bool = False) -> Any:
        """The JSON at ``path`` (``/job/x/api/json``); None for a 404 when ``missing_ok``."""
        response = self._send("GET", path, what=what, params=params)
        if response.status_code == 404 and missing_ok:
            return None
        self._check(response, what)
        try:
            return response.json()
        except ValueError:
            raise JenkinsError(f"{what}: {response.url} answered {response.status_code} with no JSON "
                               f"({_short(response.text) or 'empty'}); is url the Jenkins root?") from None

    def post(self, path: str, *, what: str, data: dict[str, str] | None = None,
             params: dict[str, str] | None = None, missing_ok: bool = False) -> requests.Response:
        """POST to ``path`` with a crumb when one is needed; redirects are returned, not followed."""
        response = self._post(path, what, data, params)
        if response.status_code == 403 and self.config.password and "crumb" in service_message(response).lower():
            self._crumb = None  # the web session the crumb belonged to expired: start a new one
            self.session.cookies.clear()
            response = self._post(path, what, data, params)
        if response.status_code == 404 and missing_ok:
            return response
        self._check(response, what)
        return response

    def _post(self, path: str, what: str, data: dict[str, str] | None,
              params: dict[str, str] | None) -> requests.Response:
        headers = self._crumb_header() if self.config.password else {}
        return self._send("POST", path, what=what, data=data, params=params, headers=headers)

    def _crumb_header(self) -> dict[str, str]:
        if self._crumb is None:
            issued = self.get("/crumbIssuer/api/json", what="fetch a CSRF crumb", missing_ok=True)
            # 404: CSRF protection is off, POSTs need no crumb.
            self._crumb = {} if issued is None else {str(issued["crumbRequestField"]): str(issued["crumb"])}
        return self._crumb

    def _send(self, method: str, path: str, *, what: str, **options: Any) -> requests.Response:
        response = self._request(method, path, what, options)
        wait = retry_after(response)
        # Jenkins (or its proxy) said when to come back, and it is soon: do so, once, unless cancelled.
        if response.status_code in (429, 503) and wait is not None and wait <= MAX_RETRY_AFTER \
                and not self.interrupt.wait(wait):
            response = self._request(method, path, what, options)
        return response

    def _request(self, method: str, path: str, what: str, options: dict[str, Any]) -> requests.Response:
        try:
            return self.session.request(method, self.config.base + path, allow_redirects=method == "GET",
                                        timeout=self.config.request_timeout.total_seconds(), **options)
        except requests.RequestException as exc:
            raise JenkinsUnavailable(f"{what}: cannot reach Jenkins at {self.config.base}: "
                                     f"{type(exc).__name__}: {_short(str(exc))}") from exc

    def _check(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        message = service_message(response)
        detail = {"status": status, "url": response.url, "message": message}
        if status == 401:
            raise JenkinsError(f"{what}: Jenkins refused the credentials of user {self.who} (401 {message})",
                               detail=detail)
        if status == 403:
            raise JenkinsError(f"{what}: Jenkins denied it to {self.who} (403 {message})", detail=detail)
        if status == 404:
            raise JenkinsError(f"{what}: not found on Jenkins (404 {message})", detail=detail)
        if status == 429 or status >= 500:
            raise JenkinsUnavailable(f"{what}: Jenkins answered {status} {message}", detail=detail,
                                     retry_after=retry_after(response))
        raise JenkinsError(f"{what}: Jenkins answered {status} {message}", detail=detail)


def retry_after(response: requests.Response) -> float | None:
    """The ``Retry-After`` of a response in seconds (the delay form; a date is ignored)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def service_message(response: requests.Response) -> str:
    """Jenkins' own words about an error: the MESSAGE of its (Jetty) error page, a JSON message, or the text."""
    text = response.text or ""
    if "json" in response.headers.get("Content-Type", ""):
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("message", "error", "errorMessage"):
                if isinstance(data.get(key), str) and data[key]:
                    return _short(data[key])
    if "<" in text:
        found = _JETTY_MESSAGE.search(text)
        if found is None:
            title = _TITLE.search(text)
            words = title.group(1) if title else _TAG.sub(" ", _HIDDEN.sub(" ", text))
            words = re.sub(r"^\s*Error \d{3}\s*", "", html.unescape(words))
            return _short(words.replace(" [Jenkins]", "")) or response.reason or f"HTTP {response.status_code}"
        return _short(html.unescape(_TAG.sub("", found.group(1))))
    return _short(text) or response.reason or f"HTTP {response.status_code}"


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= MESSAGE_CHARS else one_line[: MESSAGE_CHARS - 3] + "..."
