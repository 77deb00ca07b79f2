"""Launching a process from another program: one call, answered only once the engine has stored the process.

Only the engine writes process state, so a launch is a request on ``boss.launch`` that the engine confirms
with the new process id (or refuses with its reason). This module is the supported way to send one from
Python; the calendar and webhook launchers use it too.

Exactly once: the engine remembers the answer to every ``request_id`` and answers a repeated request with
its first answer, never launching twice. A caller that may send the same launch again (after a crash, a
timeout, a webhook redelivery) passes a request id derived from what it is launching for, and gets the same
process id back every time.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from engine.config import Settings, load_settings
from engine.errors import RequestError
from engine.transport.client import EngineClient, new_request_id
from engine.transport.messages import LaunchMessage

__all__ = ["EngineLauncher", "LaunchRefused", "Launched", "Launcher", "default_user", "launch"]


class Launched(BaseModel):
    """The engine's confirmation: the process exists and runs (or waits) under ``process_id``."""

    model_config = ConfigDict(frozen=True)

    process_id: str
    request_id: str
    warnings: tuple[str, ...] = ()  # e.g. a participant the process uses has no running instance


class LaunchRefused(RequestError):
    """The engine refused a launch (unknown process, invalid fields, unsigned request); ``reason`` is its answer."""

    def __init__(self, process: str, reason: str) -> None:
        self.process = process
        self.reason = reason
        super().__init__(f"launch of {process!r} refused: {reason}")


def default_user() -> str:
    """Who launches, for the audit trail: ``$BOSS_USER``, else the login name."""
    return os.environ.get("BOSS_USER") or getpass.getuser()


def launch(process: str, fields: Mapping[str, Any] | None = None, *, request_id: str | None = None,
           amqp_url: str | None = None, signing_key: str | None = None, timeout: float | None = None,
           by: str | None = None) -> Launched:
    """Start a process and return once the engine has confirmed it.

    Settings not given come from :func:`engine.config.load_settings` (``$BOSS_CONFIG`` or ``./etc/boss.yaml``,
    then ``BOSS_AMQP_URL``, ``BOSS_SIGNING_KEY``, ``BOSS_REQUEST_TIMEOUT``), as for the ``boss`` command.

    Args:
        process: a definition name the engine finds on its ``BOSS_PROCESS_PATH`` (e.g. ``monthly-release``).
        fields: the launch fields; the engine checks them against the definition's declarations.
        request_id: makes the launch idempotent: sending the same id again returns the first process
            instead of starting another. Default: a fresh random id (every call launches).
        amqp_url: the broker (its vhost is the installation).
        signing_key: the HMAC key when the engine requires signed requests; ``""`` sends unsigned.
        timeout: seconds to wait for the engine's answer.
        by: who launches, recorded in the process history (default :func:`default_user`).

    Returns:
        The process id and the engine's warnings.

    Raises:
        LaunchRefused: the engine refused (the reason says why: unknown process, a field missing...).
        TransportError: the broker cannot be reached, or the engine did not answer in time (the request
            stays queued: retry with the same ``request_id`` to learn its fate without launching twice).
    """
    if amqp_url is None or signing_key is None or timeout is None:
        settings = load_settings()
        amqp_url = settings.amqp_url if amqp_url is None else amqp_url
        signing_key = settings.signing_key if signing_key is None else signing_key
        timeout = settings.request_timeout if timeout is None else timeout
    request = LaunchMessage(definition=process, fields=dict(fields or {}), request_id=request_id or new_request_id(),
                            by=by or default_user())
    with EngineClient(amqp_url, timeout, signing_key=signing_key or None) as engine:
        answer = engine.launch(request)
    if not answer.ok or answer.process_id is None:
        raise LaunchRefused(process, answer.error or "no reason given")
    return Launched(process_id=answer.process_id, request_id=request.request_id, warnings=tuple(answer.warnings))


class Launcher(Protocol):
    """What the calendar and the webhook launch through: the engine, or a stand-in in unit tests."""

    def __call__(self, process: str, fields: Mapping[str, Any], *, request_id: str, by: str) -> Launched:
        """Launch ``process`` once per ``request_id``; raises :class:`LaunchRefused` or ``TransportError``."""
        ...


@dataclass(frozen=True)
class EngineLauncher:
    """A :class:`Launcher` that sends to the engine of ``settings`` (one short connection per launch)."""

    settings: Settings

    def __call__(self, process: str, fields: Mapping[str, Any], *, request_id: str, by: str) -> Launched:
        return launch(process, fields, request_id=request_id, by=by, amqp_url=self.settings.amqp_url,
                      signing_key=self.settings.signing_key or "", timeout=self.settings.request_timeout)
