"""Shared plumbing of the ``boss`` commands that talk to the engine or read the store."""

from __future__ import annotations

import getpass
import os
from typing import Any

import click

from engine.config import Settings, load_settings
from engine.errors import NotFoundError, RequestError
from engine.store import Store, open_store
from engine.transport.client import EngineClient, new_request_id
from engine.transport.messages import CommandMessage, ResponseMessage


def settings() -> Settings:
    """Settings from --config / $BOSS_CONFIG / ./etc/boss.yaml, the environment and defaults."""
    root = click.get_current_context().find_root()
    loaded = root.meta.get("boss.settings")
    if loaded is None:
        loaded = root.meta["boss.settings"] = load_settings(root.params.get("config"))
    return loaded


def store() -> Store:
    """The store, for reads (opened once per command)."""
    context = click.get_current_context().find_root()
    opened = context.meta.get("boss.store")
    if opened is None:
        opened = open_store(settings().store_url)
        context.meta["boss.store"] = opened
        context.call_on_close(opened.close)
    return opened


def resolve_process(prefix: str) -> str:
    """A full process id from an id or a unique prefix of one."""
    matches = store().resolve_id(prefix)
    if prefix in matches:
        return prefix
    if not matches:
        raise NotFoundError(f"no process {prefix!r} (see `boss ps`)")
    if len(matches) > 1:
        raise NotFoundError(f"{prefix!r} matches several processes ({', '.join(matches[:5])}): give more of the id")
    return matches[0]


def user() -> str:
    """Who is acting: $BOSS_USER, else the login name."""
    return os.environ.get("BOSS_USER") or getpass.getuser()


def client() -> EngineClient:
    """A connection for requests to the engine."""
    current = settings()
    return EngineClient(current.amqp_url, current.request_timeout, signing_key=current.signing_key)


def send_command(process_id: str, command: str, **extra: Any) -> ResponseMessage:
    """Send a command to the engine; a refusal is a RequestError with the engine's reason."""
    request = CommandMessage(request_id=new_request_id(), process_id=process_id, command=command,
                             by=user(), **extra)
    with client() as engine:
        answer = engine.command(request)
    if not answer.ok:
        raise RequestError(f"{command} refused: {answer.error}")
    return answer
