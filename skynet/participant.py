"""The base class every participant subclasses: what it is called, what it takes, and its hooks.

A participant is a class, not a function, because it has a lifecycle: ``setup`` once per daemon (open
clients, read secrets), ``handle`` for each workitem, ``cancel`` from another thread when the engine stops
the work, ``teardown`` when the daemon ends. The class attributes describe it to the engine: they are
published when an instance registers, so ``boss validate`` can check process params before launch.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from skynet.errors import SpecError

if TYPE_CHECKING:
    from skynet.workitem import Workitem

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class Participant:
    """Subclass this and implement ``handle``.

    Attributes:
        name: The participant's name and queue (``participant.<name>``); defaults to the class name
            lower-cased. Letters, digits, ``-`` and ``_`` only, because it becomes part of routing keys and
            environment variable names.
        description: One line for ``boss participants``; defaults to the first line of the docstring.
        version: The participant's own version, reported on registration (default ``"0"``).
        Params: Optional pydantic model of the step's ``params``. The runtime validates params against it
            before ``handle`` runs, so ``wi.params`` is an instance of it; its JSON Schema is published.
        config_keys: The configuration keys ``setup`` reads (documentation for ``skynet info``).
    """

    name: ClassVar[str] = "participant"
    description: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    Params: ClassVar[type[BaseModel] | None] = None
    config_keys: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Defaults come from the subclass itself, not its parent: a subclass is a different participant.
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()
        if "description" not in cls.__dict__:
            cls.description = first_line(cls.__dict__.get("__doc__"))

    def setup(self, config: dict[str, Any]) -> None:
        """Prepare once per daemon, before the first workitem (config: the YAML file plus environment)."""

    def handle(self, wi: Workitem) -> Any:
        """Do the work of one workitem and return the result (stored by the engine at the step's ``save_as``).

        Raise :class:`~skynet.RetryableError` for transient failures and :class:`~skynet.ParticipantError`
        for permanent ones. Changes to ``wi.fields`` are sent back with the reply.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement handle()")

    def cancel(self, wi: Workitem) -> None:
        """Stop the work in progress on ``wi`` (called from another thread; ``wi.cancelled`` is already set)."""

    def teardown(self) -> None:
        """Release what ``setup`` acquired; called once when the daemon stops."""

    @classmethod
    def params_schema(cls) -> dict[str, Any] | None:
        """The JSON Schema of ``Params``, or None when the participant takes any params."""
        return cls.Params.model_json_schema() if cls.Params is not None else None


def first_line(text: str | None) -> str:
    """The first non-blank line of a docstring, stripped."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def check_name(name: str) -> str:
    """Return ``name`` when it can be a participant name, else raise :class:`SpecError` saying why."""
    if not NAME_PATTERN.match(name):
        raise SpecError(f"invalid participant name {name!r}: use letters, digits, '-' and '_' "
                        "(it becomes a queue name, routing keys and BOSS_<NAME>_<KEY> variables)")
    return name
