"""Launch fields: checking declarations, applying defaults, and reading ``-f key=value`` text.

A launch is refused before anything runs when a required field is missing or a value does not fit its
declaration; the message names the field, so a release engineer fixes the command, not the process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from engine.errors import LaunchError
from engine.language.model import Definition, FieldSpec, FieldType

_PY_TYPES: dict[FieldType, tuple[type, ...]] = {
    FieldType.STRING: (str,),
    FieldType.INTEGER: (int,),
    FieldType.NUMBER: (int, float),
    FieldType.BOOLEAN: (bool,),
    FieldType.LIST: (list,),
    FieldType.OBJECT: (dict,),
}


def type_problem(spec: FieldSpec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec``, or None when it fits."""
    if value is None:
        return None
    wanted = _PY_TYPES[spec.type]
    is_bool = isinstance(value, bool)
    if not isinstance(value, wanted) or (is_bool and spec.type is not FieldType.BOOLEAN):
        return f"expected {spec.type.value}, got {_type_name(value)} {_short(value)}"
    if spec.pattern is not None and isinstance(value, str) and not re.search(spec.pattern, value):
        return f"{_short(value)} does not match the pattern {spec.pattern!r}"
    if spec.enum is not None and value not in spec.enum:
        return f"{_short(value)} is not one of {', '.join(map(str, spec.enum))}"
    return None


def check_field_spec(spec: FieldSpec) -> list[str]:
    """Problems of one field declaration (a bad pattern, a default that does not fit)."""
    problems = []
    if spec.pattern is not None:
        try:
            re.compile(spec.pattern)
        except re.error as exc:
            problems.append(f"pattern is not a valid regular expression: {exc}")
            return problems
    if spec.default is not None:
        problem = type_problem(spec, spec.default)
        if problem:
            problems.append(f"default: {problem}")
    if spec.required and spec.default is not None:
        problems.append("a required field cannot have a default")
    return problems


def launch_fields(definition: Definition, given: Mapping[str, Any]) -> dict[str, Any]:
    """The process's initial fields: ``given`` checked against the declarations, defaults filled in.

    When a definition declares fields, unknown launch fields are refused (a misspelt ``-f verison=`` must
    not launch a release without its version); a definition that declares none accepts any fields.

    Raises:
        LaunchError: naming the first field that is missing, unknown or of the wrong type.
    """
    declared = definition.fields
    if declared:
        unknown = sorted(set(given) - set(declared))
        if unknown:
            names = ", ".join(declared)
            raise LaunchError(f"{definition.name}: unknown field {unknown[0]!r} (declared fields: {names})")
    result: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in given:
            problem = type_problem(spec, given[name])
            if problem:
                raise LaunchError(f"{definition.name}: field {name!r}: {problem}")
            result[name] = given[name]
        elif spec.required:
            hint = f" ({spec.description})" if spec.description else ""
            raise LaunchError(f"{definition.name}: missing required field {name!r}{hint}: add -f {name}=...")
        elif spec.default is not None:
            result[name] = json.loads(json.dumps(spec.default))
    for name, value in given.items():
        result.setdefault(name, value)
    return result


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a ``key=value`` command-line assignment."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise LaunchError(f"bad field assignment {text!r}: write key=value")
    return key.strip(), value


def read_cli_value(definition: Definition | None, name: str, text: str) -> Any:
    """The typed value of ``-f name=text``: strings stay text, other declared types are read as YAML."""
    spec = definition.fields.get(name) if definition else None
    if spec is None or spec.type is FieldType.STRING:
        return text
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise LaunchError(f"field {name!r}: cannot read {text!r} as {spec.type.value}") from exc
    return value


def redact(fields: Mapping[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    """A copy of ``fields`` with secret values replaced, for logs, events and the dashboard."""
    return {k: ("***" if k in secret and v is not None else v) for k, v in fields.items()}


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
