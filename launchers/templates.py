"""Field templates in the launchers' configuration files, checked when the file is read.

Schedules and webhook rules give launch fields as ``${...}`` templates (the process language's sandboxed
expressions, :mod:`engine.expressions`). Their syntax is checked when the file is loaded, so a typo is
reported at start-up, not when the release is due; names are only known when an occurrence or an event
comes, so those are checked then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from engine.errors import BossError
from engine.expressions import check_template

T = TypeVar("T")


def check_templates(value: Any) -> None:
    """Check every template in a JSON-like value (mapping keys are not templates).

    Raises:
        ExpressionError: a template does not parse or uses what the sandbox does not offer.
    """
    if isinstance(value, str):
        check_template(value)
    elif isinstance(value, dict):
        for item in value.values():
            check_templates(item)
    elif isinstance(value, list):
        for item in value:
            check_templates(item)


def as_value_error(check: Callable[[], T]) -> T:
    """Run a check of boss's own inside a pydantic validator: its error becomes a ``ValueError``.

    pydantic reports only ``ValueError`` (and ``AssertionError``) with the location of the bad value;
    any other exception would escape validation without saying which entry is wrong.
    """
    try:
        return check()
    except BossError as exc:
        raise ValueError(str(exc)) from exc
