"""Registering participants with the engine, confirmed: ``skynet install / register / uninstall / unregister``.

MeeGo's SkyNET announced participants fire-and-forget; here a registration is a request to the engine's
registry queue that the engine answers once the registry row is committed. An engine that does not answer
in time is reported, so the caller can say "installed, but not registered yet" instead of pretending.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

from engine.errors import RequestError
from engine.transport.client import EngineClient, new_request_id
from engine.transport.messages import Registration
from skynet.participant import Participant


def registration(participant_cls: type[Participant], name: str, queue: str, pool: str | None,
                 host: str) -> Registration:
    """The registration of a participant class under ``name`` (with its params JSON Schema)."""
    params = getattr(participant_cls, "Params", None)
    schema = params.model_json_schema() if params is not None and hasattr(params, "model_json_schema") else None
    return Registration(kind="register", request_id=new_request_id(), participant=name, pool=pool or "", host=host,
                        queue=queue, version=_text(getattr(participant_cls, "version", None)),
                        description=_description(participant_cls), params_schema=schema,
                        config_keys=list(getattr(participant_cls, "config_keys", ()) or ()), by=getpass.getuser(),
                        sent_at=datetime.now(UTC))


def register(amqp_url: str, participant_cls: type[Participant], name: str, queue: str, pool: str | None,
             host: str, signing_key: str | None = None, timeout: float = 10.0) -> None:
    """Register a participant and wait for the engine's confirmation.

    Raises:
        TransportError: the broker is unreachable, or the engine did not answer within ``timeout``.
        RequestError: the engine refused the registration (the reason is in the message).
    """
    _send(amqp_url, registration(participant_cls, name, queue, pool, host), signing_key, timeout)


def unregister(amqp_url: str, name: str, pool: str | None, host: str, signing_key: str | None = None,
               timeout: float = 10.0) -> None:
    """Remove a participant's registration in ``pool`` (and that pool's instances of it), confirmed."""
    request = Registration(kind="unregister", request_id=new_request_id(), participant=name, pool=pool or "",
                           host=host, by=getpass.getuser(), sent_at=datetime.now(UTC))
    _send(amqp_url, request, signing_key, timeout)


def _send(amqp_url: str, request: Registration, signing_key: str | None, timeout: float) -> None:
    with EngineClient(amqp_url, timeout, signing_key=signing_key) as engine:
        answer = engine.register(request)
    if not answer.ok:
        raise RequestError(f"the engine refused to {request.kind} {request.participant!r}: {answer.error}")


def _description(cls: type[Participant]) -> str | None:
    text = getattr(cls, "description", None) or (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.split()) or None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


__all__ = ["register", "registration", "unregister"]
