"""The reserved words of the process language and the YAML keys each step kind accepts."""

from __future__ import annotations

import difflib
import re

#: Keys that select a step's kind; they can never be participant names.
KINDS = (
    "participant", "sequence", "parallel", "foreach", "if", "switch", "loop", "call",
    "wait", "approve", "set", "fail", "end", "break", "continue",
)  # fmt: skip

#: Attributes any step may carry.
ATTRIBUTES = ("name", "when", "unless", "timeout", "retry", "on_error", "on_timeout", "save_as")

#: Options that belong to one kind, besides the kind key itself.
OPTIONS: dict[str, tuple[str, ...]] = {
    "participant": ("params",),
    "parallel": ("count", "remaining"),
    "foreach": ("as", "concurrency", "do"),
    "if": ("then", "else"),
    "switch": ("cases", "default"),
    "loop": ("until", "max"),
    "call": ("fields",),
    "approve": ("by",),
}

#: Keys of a definition's top level.
TOP_LEVEL = (
    "name", "version", "description", "fields", "timeout", "on_error", "on_cancel", "steps", "subprocesses",
)  # fmt: skip

#: Names expressions reserve; fields, ``save_as`` and ``as`` cannot use them.
RESERVED_NAMES = frozenset({"process", "now", "error", "loop"})

#: The YAML key each model field was read from, for error messages.
MODEL_KEYS = {
    "as_": "as", "else_": "else", "condition": "if", "expression": "switch", "body": "loop",
    "target": "call", "items": "foreach", "prompt": "approve", "values": "set", "branches": "parallel",
}  # fmt: skip

PROCESS_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
PARTICIPANT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def owner_of(option: str) -> str | None:
    """The kind an option key belongs to (``do`` -> ``foreach``), if any."""
    for kind, options in OPTIONS.items():
        if option in options:
            return kind
    return None


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """A ``did you mean`` hint for a misspelt key, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
