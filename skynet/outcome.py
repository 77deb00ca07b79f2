"""Running ``handle`` once and turning what happened into a reply's result, changed fields or error.

The runtime and :mod:`skynet.testing` share this module so that a participant behaves the same under test
as in a daemon: the same params validation, the same classification of exceptions, the same JSON check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from engine.transport.messages import ErrorBody
from skynet.errors import ParticipantError

if TYPE_CHECKING:
    from skynet.participant import Participant
    from skynet.workitem import Workitem

log = logging.getLogger("skynet.runtime")


@dataclass(frozen=True)
class Outcome:
    """What one ``handle`` call produced: a result and changed fields, or an error."""

    result: Any = None
    changed: dict[str, Any] = field(default_factory=dict)
    error: ErrorBody | None = None

    @property
    def kind(self) -> Literal["done", "error"]:
        """The reply kind this outcome becomes: ``done`` or ``error``."""
        return "done" if self.error is None else "error"


def error_body(exc: BaseException) -> ErrorBody:
    """The wire form of an exception: ParticipantErrors say whether they are retryable; others are bugs."""
    if isinstance(exc, ParticipantError):
        return ErrorBody(type=type(exc).__name__, message=exc.message, retryable=exc.retryable,
                         detail=_jsonable_or_repr(exc.detail), retry_after=getattr(exc, "retry_after", None))
    return ErrorBody(type=type(exc).__name__, message=str(exc), retryable=False, detail=None)


def validate_params(participant_cls: type[Participant], params: dict[str, Any]) -> Any:
    """The params as ``handle`` sees them: a ``Params`` instance when the participant declares one.

    Raises:
        ParticipantError: the params do not fit ``Params``; the message names each bad field (permanent,
            because the same params would fail again; the operator fixes the process and retries).
    """
    model = participant_cls.Params
    if model is None:
        return dict(params)
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_context=False, include_input=False)
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in problems)
        raise ParticipantError(f"invalid params: {text}", detail=_jsonable_or_repr(problems)) from exc


def execute(participant: Participant, wi: Workitem) -> Outcome:
    """Call ``handle`` and classify the result; never raises (an unexpected exception is a reported bug)."""
    try:
        result = participant.handle(wi)
    except ParticipantError as exc:
        wi.log.warning("%s: %s", type(exc).__name__, exc.message)
        return Outcome(changed=_changed(wi), error=error_body(exc))
    except (Exception, SystemExit) as exc:  # SystemExit too: sys.exit() in a worker must not hang the job
        wi.log.exception("handle raised %s (a bug in the participant): %s", type(exc).__name__, exc)
        return Outcome(changed=_changed(wi), error=error_body(exc))
    try:
        return Outcome(result=to_jsonable_python(result), changed=to_jsonable_python(wi.changed_fields()))
    except PydanticSerializationError as exc:
        message = f"handle returned a result or fields that cannot be sent as JSON: {exc}"
        wi.log.error("%s", message)
        return Outcome(error=ErrorBody(type="ParticipantError", message=message, retryable=False))


def _changed(wi: Workitem) -> dict[str, Any]:
    # Fields changed before a failure go back too: the engine ignores them today, but they help debugging.
    try:
        changed: dict[str, Any] = to_jsonable_python(wi.changed_fields())
    except PydanticSerializationError:
        return {}
    return changed


def _jsonable_or_repr(value: Any) -> Any:
    try:
        return to_jsonable_python(value)
    except PydanticSerializationError:
        return repr(value)
