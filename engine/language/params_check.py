"""Checking a definition's participant params against the JSON Schemas participants registered.

Participants publish their ``Params`` model as JSON Schema when they register, so a typo in a step's
params is found by ``boss validate`` before a release runs, not by a participant at 2 a.m. Values that are
templates (``${...}``) are only known at run time and are not type-checked; missing required keys, unknown
keys (when the schema forbids extra ones) and literal values of the wrong JSON type are reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import Problem
from engine.expressions import has_template
from engine.language.model import Definition, ParticipantStep

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list, tuple),
    "object": (dict,), "null": (type(None),),
}  # fmt: skip


def check_params(definition: Definition, schemas: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """Problems of every participant step whose participant has a registered params schema."""
    problems = []
    for step in definition.all_steps():
        if isinstance(step, ParticipantStep) and step.participant in schemas:
            for message in params_problems(step.params, schemas[step.participant]):
                problems.append(Problem(f"{step.participant}: {message}", file=definition.file, line=step.line,
                                        path=step.path))
    return problems


def params_problems(params: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``params`` for ``schema`` (an object schema as pydantic writes it).

    A discriminated union (one model per ``action``, as the release participants declare) is checked
    against the variant its discriminator names; an unknown or templated discriminator is reported or
    left to run time.
    """
    union = schema.get("discriminator")
    if isinstance(union, Mapping) and isinstance(union.get("mapping"), Mapping):
        return _union_problems(params, schema, union)
    if "$ref" in schema:
        return params_problems(params, _resolve(schema["$ref"], schema))
    return _object_problems(params, schema)


def _union_problems(params: Mapping[str, Any], schema: Mapping[str, Any], union: Mapping[str, Any]) -> list[str]:
    key = str(union.get("propertyName"))
    mapping: Mapping[str, str] = union["mapping"]
    choice = params.get(key)
    if choice is None:
        return [f"missing required param {key!r} (one of: {', '.join(mapping)})"]
    if _is_template(choice):
        return []
    if choice not in mapping:
        return [f"param {key!r} should be one of {', '.join(mapping)}, not {choice!r}"]
    variant = {**_resolve(mapping[choice], schema), "$defs": schema.get("$defs", {})}
    return _object_problems(params, variant)


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """A local ``#/$defs/Name`` reference of ``root`` (anything else: an empty, unchecked schema)."""
    prefix = "#/$defs/"
    found = root.get("$defs", {}).get(ref.removeprefix(prefix)) if ref.startswith(prefix) else None
    return found if isinstance(found, Mapping) else {}


def _object_problems(params: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    problems = [f"missing required param {key!r}" for key in schema.get("required") or () if key not in params]
    for key, value in params.items():
        if key not in properties:
            if schema.get("additionalProperties") is False:
                known = ", ".join(properties) or "none"
                problems.append(f"unknown param {key!r} (known: {known})")
            continue
        expected = _types(properties[key], schema)
        if expected and not _is_template(value) and not any(_has_type(value, t) for t in expected):
            problems.append(f"param {key!r} should be {' or '.join(expected)}, not {type(value).__name__}")
    return problems


def _types(prop: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """The JSON types a property allows; empty when unknown (references, enums without a type...)."""
    if "type" in prop:
        kind = prop["type"]
        return list(kind) if isinstance(kind, list) else [kind]
    if "anyOf" in prop:
        found = [_types(option, schema) for option in prop["anyOf"]]
        return [] if any(not f for f in found) else [t for f in found for t in f]
    return []


def _has_type(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES.get(kind, (object,)))


def _is_template(value: Any) -> bool:
    if isinstance(value, str):
        return has_template(value)
    if isinstance(value, dict):
        return any(_is_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_template(v) for v in value)
    return False
