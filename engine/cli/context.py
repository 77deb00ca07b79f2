"""Shared plumbing of the ``boss`` commands that talk to the engine or read the store."""

from __future__ import annotations

import getpass
import os
from typing import Any

import click

from engine.api import commands, reads
from engine.config import Settings, load_settings
from engine.store import Store, open_store
from engine.transport.client import EngineClient
from engine.transport.messages import ResponseMessage


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
    return reads.resolve_process(store(), prefix)


def user() -> str:
    """Who is acting: $BOSS_USER, else the login name."""
    return os.environ.get("BOSS_USER") or getpass.getuser()


def client() -> EngineClient:
    """A connection for requests to the engine."""
    current = settings()
    return EngineClient(current.amqp_url, current.request_timeout, signing_key=current.signing_key)


def send_command(process_id: str, command: str, **extra: Any) -> ResponseMessage:
    """Send a command to the engine; a refusal is a RequestError with the engine's reason."""
    with client() as engine:
        return commands.command(engine, process_id, command, by=user(), **extra)
