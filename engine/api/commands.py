"""What the ``boss`` commands and the REST API send to the engine alike: launch requests and commands.

Only the engine writes process state: a launch or a command is a message to the engine, answered with a
confirmation. Both front ends check what they can before sending (the definition loads, the launch fields
fit it), so that bad input is refused at once with a precise message instead of by the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import RequestError
from engine.language import Library, Program, launch_fields, load_text
from engine.transport.client import EngineClient, new_request_id
from engine.transport.messages import CommandMessage, LaunchMessage, ResponseMessage


def program_from_source(library: Library, text: str, file: str = "<inline>") -> Program:
    """A program from inline YAML: the definition, plus the definitions it calls by name from ``library``.

    Raises:
        DefinitionError: the YAML is not a valid definition.
        NotFoundError: it calls a definition the library does not have.
    """
    definition = load_text(text, file, library.exists)
    return Program(main=definition.name, definitions={definition.name: definition,
                                                      **library.program_calls(definition)})


def launch_request(program: Program, fields: Mapping[str, Any], *, name: str | None, by: str | None,
                   request_id: str | None = None) -> LaunchMessage:
    """The launch request of ``program``, after checking ``fields`` against its declarations.

    Args:
        program: the program to run.
        fields: the launch fields as given (the engine fills in defaults).
        name: the definition name to launch by; None sends the definition inline, with the YAML of the
            definitions it calls (a file, or YAML posted to the API, that the engine's path may not have).
        by: who launches (kept in the history).
        request_id: the request's id; the engine answers a repeated id with its first answer, so a client
            that retries with the same id never launches twice. A fresh id when None.

    Raises:
        LaunchError: a field is missing, unknown or of the wrong type.
    """
    launch_fields(program.definition, fields)
    bundle = None
    if name is None:
        bundle = {other: d.source for other, d in program.definitions.items() if other != program.main}
    return LaunchMessage(definition=name if name is not None else program.definition.source, bundle=bundle,
                         fields=dict(fields), request_id=request_id or new_request_id(), by=by)


def launch(client: EngineClient, request: LaunchMessage) -> ResponseMessage:
    """Send a launch request; the engine's answer once it accepted it.

    Raises:
        RequestError: the engine refused the launch (its reason is the message).
        TransportError: the broker or the engine cannot be reached.
    """
    answer = client.launch(request)
    if not answer.ok:
        raise RequestError(f"launch refused: {answer.error}")
    return answer


def command(client: EngineClient, process_id: str, name: str, *, by: str | None, **extra: Any) -> ResponseMessage:
    """Send a command (cancel, pause, resume, retry, skip, approve) about a process; the engine's answer.

    Raises:
        RequestError: the engine refused the command (its reason is the message).
        TransportError: the broker or the engine cannot be reached.
    """
    request = CommandMessage(request_id=new_request_id(), process_id=process_id, command=name, by=by, **extra)
    answer = client.command(request)
    if not answer.ok:
        raise RequestError(f"{name} refused: {answer.error}")
    return answer
