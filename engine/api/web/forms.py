"""Form inputs built from JSON Schemas: the launch form (from a definition's fields schema) and the
field corrections offered with a retry.

The launch form is generated from the same ``fields_schema`` that ``GET /api/definitions/{name}``
publishes, so the form and the API can never disagree about the fields. Each input says how the page
script must read it (``data-type``): text, a number, a checkbox, or JSON for lists and objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INPUT_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
               "array": "json", "object": "json"}


@dataclass(frozen=True)
class Input:
    """One input of a form."""

    name: str
    type: str  # how the script reads it: string, integer, number, boolean, json
    required: bool = False
    value: str = ""  # the text the input starts with (the default, or the current value)
    checked: bool = False  # for a boolean
    description: str = ""
    choices: tuple[str, ...] = ()  # an enum: a drop-down
    pattern: str | None = None
    secret: bool = False

    @property
    def control(self) -> str:
        """The HTML control to draw: text, password, number, checkbox, select or textarea."""
        if self.choices:
            return "select"
        if self.secret:
            return "password"
        return {"integer": "number", "number": "number", "boolean": "checkbox", "json": "textarea"}.get(
            self.type, "text")


def launch_inputs(schema: Mapping[str, Any]) -> list[Input]:
    """The inputs of a launch form, required fields first, from a definition's fields schema."""
    required = set(schema.get("required", ()))
    inputs = []
    for name, prop in schema.get("properties", {}).items():
        kind = INPUT_TYPES.get(str(prop.get("type")), "string")
        default = prop.get("default")
        inputs.append(Input(name=name, type=kind, required=name in required, value=_text(default, kind),
                            checked=default is True, description=str(prop.get("description") or ""),
                            choices=tuple(str(c) for c in prop.get("enum") or ()), pattern=prop.get("pattern"),
                            secret=bool(prop.get("writeOnly"))))
    return sorted(inputs, key=lambda i: not i.required)


def correction_inputs(fields: Mapping[str, Any], secret: frozenset[str]) -> list[Input]:
    """Inputs to correct a process's fields before a retry, holding their current values.

    Secret fields start empty (their values are never sent to the browser); the script sends only what
    was changed.
    """
    inputs = []
    for name, value in fields.items():
        kind = "string" if isinstance(value, str) else "json"
        hidden = name in secret
        inputs.append(Input(name=name, type=kind, value="" if hidden else _text(value, kind), secret=hidden))
    return inputs


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "string":
        return str(value)
    if kind == "boolean":
        return ""
    return json.dumps(value, ensure_ascii=False)
