"""``/api/definitions``: the process definitions on the server's ``BOSS_PROCESS_PATH``, and ``boss validate``.

A definition is named, never a path: the API reads only the files of the process path.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from engine.api.auth import caller
from engine.api.commands import program_from_source
from engine.api.context import ApiContext, Context
from engine.api.errors import RESPONSES, ApiError
from engine.api.models import NAME_PATTERN, ValidateBody, is_definition_name
from engine.api.paging import page_by_key
from engine.errors import BossError, DefinitionError, Problem
from engine.language import Definition
from engine.language.model import CallStep, FieldType, ParticipantStep
from engine.language.params_check import check_params

JSON_TYPES = {FieldType.STRING: "string", FieldType.INTEGER: "integer", FieldType.NUMBER: "number",
              FieldType.BOOLEAN: "boolean", FieldType.LIST: "array", FieldType.OBJECT: "object"}

router = APIRouter(prefix="/api/definitions", tags=["definitions"], responses=RESPONSES,
                   dependencies=[Depends(caller)])


@router.get("")
def list_definitions(request: Request, ctx: Context, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                     cursor: str | None = None) -> dict[str, Any]:
    """Definitions on the process path, by name; a broken one is listed with ``ok: false`` and its first problem."""
    return page_by_key(request, ctx.library.names(), str, limit, cursor, lambda name: _entry(ctx, name)).model_dump()


@router.get("/{name}")
def show_definition(name: Annotated[str, Path(pattern=NAME_PATTERN)], ctx: Context) -> dict[str, Any]:
    """A definition: its fields (declarations and a JSON Schema for launch forms), steps, calls and YAML."""
    if not is_definition_name(name):
        raise ApiError(422, "invalid", "name: a definition name, without .yaml (the API reads only the process path)")
    definition = ctx.library.load(name)
    return {**_about(definition), "fields": {k: v.model_dump(mode="json") for k, v in definition.fields.items()},
            "fields_schema": fields_schema(definition), "calls": _calls(definition),
            "steps": [_step(step) for step in definition.all_steps()], "source": definition.source}


@router.post("/validate")
def validate(body: ValidateBody, ctx: Context) -> dict[str, Any]:
    """Check a definition's YAML as ``boss validate`` does, params against registered participants included.

    Always 200: the answer says ``ok`` or lists the problems with their line and step path.
    """
    schemas = {row.participant: row.params_schema for row in ctx.store.registrations() if row.params_schema}
    try:
        program = program_from_source(ctx.library, body.source)
        mismatches = [p for d in program.definitions.values() for p in check_params(d, schemas)]
        if mismatches:
            raise DefinitionError(mismatches)
    except DefinitionError as exc:
        return {"ok": False, "problems": [_problem(p) for p in exc.problems]}
    except BossError as exc:
        return {"ok": False, "problems": [_problem(Problem(str(exc), file="<inline>"))]}
    definition = program.definition
    return {"ok": True, "name": definition.name, "steps": len(definition.all_steps()), "digest": definition.digest,
            "problems": []}


def fields_schema(definition: Definition) -> dict[str, Any]:
    """The launch fields as a JSON Schema object (a dashboard builds its launch form from it).

    A definition that declares no fields accepts any (``additionalProperties``), as launches do.
    """
    properties: dict[str, Any] = {}
    for name, spec in definition.fields.items():
        prop: dict[str, Any] = {"type": JSON_TYPES[spec.type]}
        if spec.description:
            prop["description"] = spec.description
        if spec.default is not None:
            prop["default"] = spec.default
        if spec.pattern is not None:
            prop["pattern"] = spec.pattern
        if spec.enum is not None:
            prop["enum"] = list(spec.enum)
        if spec.secret:
            prop["writeOnly"] = True
        properties[name] = prop
    required = [name for name, spec in definition.fields.items() if spec.required]
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": not definition.fields}


def _entry(ctx: ApiContext, name: str) -> dict[str, Any]:
    try:
        definition = ctx.library.load(name)
    except BossError as exc:
        return {"name": name, "ok": False, "error": str(exc).splitlines()[0]}
    return {**_about(definition), "name": name, "ok": True}


def _about(definition: Definition) -> dict[str, Any]:
    return {"name": definition.name, "version": definition.version, "description": definition.description,
            "file": definition.file, "digest": definition.digest}


def _calls(definition: Definition) -> list[str]:
    return sorted({s.target for s in definition.all_steps()
                   if isinstance(s, CallStep) and s.target not in definition.subprocesses})


def _step(step: Any) -> dict[str, Any]:
    found = {"path": step.path, "name": step.name, "kind": step.kind, "line": step.line}
    if isinstance(step, ParticipantStep):
        found["participant"] = step.participant
    return found


def _problem(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "path": problem.path, "message": problem.message,
            "text": str(problem)}
