"""Located YAML data -> a :class:`Definition`, reporting every problem of the file at once.

The parser identifies each step's kind itself (a reserved kind key, or the first other key as a participant
shorthand) and lets pydantic check option types. Problems carry file, line and step path; the parser keeps
going after a problem so that one run of ``boss validate`` shows them all.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from engine.errors import Problem
from engine.language import keys
from engine.language.errors import describe_validation_error
from engine.language.model import (
    ApproveStep,
    BreakStep,
    CallStep,
    Case,
    ContinueStep,
    Definition,
    EndStep,
    FailStep,
    FieldSpec,
    ForeachStep,
    IfStep,
    LoopStep,
    ParallelStep,
    ParticipantStep,
    SequenceStep,
    SetStep,
    Step,
    Steps,
    SwitchStep,
    WaitStep,
)  # fmt: skip
from engine.language.source import Path, ProblemList, Source, format_path
from engine.language.values import coerce_duration

M = TypeVar("M", bound=BaseModel)

STEP_CLASSES: dict[str, type[Step]] = {
    "participant": ParticipantStep, "sequence": SequenceStep, "parallel": ParallelStep,
    "foreach": ForeachStep, "if": IfStep, "switch": SwitchStep, "loop": LoopStep, "call": CallStep,
    "wait": WaitStep, "approve": ApproveStep, "set": SetStep, "fail": FailStep, "end": EndStep,
    "break": BreakStep, "continue": ContinueStep,
}  # fmt: skip


def parse_definition(source: Source) -> tuple[Definition | None, list[Problem]]:
    """Build a definition from parsed YAML, with every problem found.

    The definition is built from the parts that parsed even when there are problems (broken steps are
    left out), so that static checks can add their findings and a file's problems are all reported at once.
    """
    parser = _Parser(source)
    definition = parser.definition()
    return definition, parser.problems.items


def digest_of(text: str) -> str:
    """The content hash every launch records next to the definition's version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems = ProblemList(source)

    def add(self, message: str, at: Path) -> None:
        self.problems.add(message, at)

    # ---- the top level -------------------------------------------------------------------------------
    def definition(self) -> Definition | None:
        raw = self.source.data
        if not isinstance(raw, dict):
            self.add("a process definition must be a mapping with at least 'name' and 'steps'", ())
            return None
        for key in raw:
            if key not in keys.TOP_LEVEL:
                self.add(f"unknown key {key!r}{keys.suggest(str(key), keys.TOP_LEVEL)}", (key,))
        self._check_name(raw)
        steps = self._required_steps(raw)
        subprocesses = self._subprocesses(raw.get("subprocesses"))
        fields = self._fields(raw.get("fields"))
        data = {k: raw[k] for k in ("version", "description", "timeout", "on_error", "on_cancel") if k in raw}
        data = self._durations(data, ("timeout",), ())
        text = self.source.text or yaml.safe_dump(raw, sort_keys=False)
        data |= {"name": str(raw.get("name", "")), "steps": steps, "subprocesses": subprocesses,
                 "fields": fields, "file": self.source.file, "source": text, "digest": digest_of(text)}
        return self._validate(Definition, data, ())

    def _check_name(self, raw: dict[Any, Any]) -> None:
        name = raw.get("name")
        if name is None:
            self.add("missing required key 'name'", ())
        elif not isinstance(name, str) or not keys.PROCESS_NAME.match(name):
            self.add(f"bad process name {name!r}: use lower case letters, digits, '.', '_' and '-'", ("name",))

    def _required_steps(self, raw: dict[Any, Any]) -> Steps:
        if "steps" not in raw:
            self.add("missing required key 'steps'", ())
            return ()
        return self.steps(raw["steps"], ("steps",))

    def _subprocesses(self, raw: Any) -> dict[str, Steps]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.add("subprocesses must be a mapping of name to a list of steps", ("subprocesses",))
            return {}
        result: dict[str, Steps] = {}
        for name, body in raw.items():
            at: Path = ("subprocesses", name)
            if not isinstance(name, str) or not keys.PROCESS_NAME.match(name):
                self.add(f"bad subprocess name {name!r}", at)
                continue
            result[name] = self.steps(body, at)
        return result

    def _fields(self, raw: Any) -> dict[str, FieldSpec]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.add("fields must be a mapping of field name to its declaration", ("fields",))
            return {}
        result: dict[str, FieldSpec] = {}
        for name, spec in raw.items():
            at: Path = ("fields", name)
            if not isinstance(name, str) or not keys.IDENTIFIER.match(name):
                self.add(f"bad field name {name!r}: use letters, digits and '_'", at)
            elif name in keys.RESERVED_NAMES:
                self.add(f"field name {name!r} is reserved for expressions", at)
            elif not isinstance(spec, dict):
                self.add("a field declaration is a mapping, e.g. {type: string, required: true}", at)
            else:
                parsed = self._validate(FieldSpec, spec, at)
                if parsed is not None:
                    result[name] = parsed
        return result

    # ---- step lists and steps ------------------------------------------------------------------------
    def steps(self, raw: Any, at: Path) -> Steps:
        """Parse a list of steps located at ``at``."""
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.add("expected a list of steps", at)
            return ()
        parsed = (self.step(item, (*at, i)) for i, item in enumerate(raw))
        return tuple(step for step in parsed if step is not None)

    def step(self, raw: Any, at: Path) -> Step | None:
        """Parse one step located at ``at``."""
        if not isinstance(raw, dict):
            self.add("a step must be a mapping with one kind key, e.g. '- set: {x: 1}'", at)
            return None
        kind_key = self._kind_key(raw, at)
        if kind_key is None:
            return None
        kind = kind_key if kind_key in keys.KINDS else "participant"
        data: dict[str, Any] = {"path": format_path(at), "line": self.source.line(at)}
        for key, value in raw.items():
            if key == kind_key:
                continue
            if key in keys.ATTRIBUTES or key in keys.OPTIONS.get(kind, ()):
                data[key] = value
            else:
                self.add(_unknown_key_message(key, kind), (*at, key))
        data = self._durations(data, ("timeout",), at)
        data = self._retry(data, at)
        body = _KIND_READERS[kind](self, kind_key, raw, data, at)
        if body is None:
            return None
        return self._validate(STEP_CLASSES[kind], body, at)

    def _kind_key(self, raw: dict[Any, Any], at: Path) -> str | None:
        kinds = [key for key in raw if key in keys.KINDS]
        if len(kinds) > 1:
            self.add(f"a step has exactly one kind, found {' and '.join(map(repr, kinds))}", at)
            return None
        if kinds:
            return str(kinds[0])
        candidates = [k for k in raw if k not in keys.ATTRIBUTES and keys.owner_of(str(k)) is None]
        if not candidates:
            choices = ", ".join(keys.KINDS[1:])
            self.add(f"the step has no kind: give one of {choices}, or a participant name", at)
            return None
        # 'retyr: 2' next to 'jenkins: {...}' is a misspelt attribute, not a second participant
        plausible = [k for k in candidates if not keys.suggest(str(k), keys.ATTRIBUTES)]
        name = (plausible or candidates)[0]
        if not isinstance(name, str) or not keys.PARTICIPANT_NAME.match(name):
            self.add(f"{name!r} is neither a step kind nor a valid participant name", at)
            return None
        return name

    def _durations(self, data: dict[str, Any], names: tuple[str, ...], at: Path) -> dict[str, Any]:
        result = dict(data)
        for name in names:
            if result.get(name) is not None:
                try:
                    result[name] = coerce_duration(result[name])
                except ValueError as exc:
                    self.add(str(exc), (*at, name))
                    del result[name]
        return result

    def _retry(self, data: dict[str, Any], at: Path) -> dict[str, Any]:
        retry = data.get("retry")
        if retry is None:
            return data
        if isinstance(retry, int) and not isinstance(retry, bool):
            return data | {"retry": {"max": retry}}
        if not isinstance(retry, dict):
            self.add("retry is a mapping, e.g. {max: 3, delay: 30s, backoff: exponential}", (*at, "retry"))
            return {k: v for k, v in data.items() if k != "retry"}
        return data | {"retry": self._durations(retry, ("delay", "max_delay"), (*at, "retry"))}

    def _validate(self, model: type[M], data: dict[str, Any], at: Path) -> M | None:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(keys.MODEL_KEYS.get(str(p), p) for p in error["loc"])
                self.add(describe_validation_error(error), (*at, *loc))
            return None

    # ---- kind readers: raw step -> model data ----------------------------------------------------------
    def read_participant(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        if key == "participant":
            name = raw[key]
            if not isinstance(name, str) or not keys.PARTICIPANT_NAME.match(name):
                self.add(f"bad participant name {name!r}", (*at, key))
                return None
            if name in keys.KINDS:
                self.add(f"{name!r} is a step kind, not a participant", (*at, key))
                return None
            return data | {"participant": name, "params": data.get("params") or {}}
        params = raw[key]
        if params is not None and not isinstance(params, dict):
            self.add(f"the params of participant '{key}' must be a mapping, e.g. '{key}: {{key: value}}'",
                     (*at, key))
            return None
        return data | {"participant": key, "params": params or {}}

    def read_list_kind(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        field = {"sequence": "steps", "parallel": "branches", "loop": "body"}[key]
        body = self.steps(raw[key], (*at, key))
        if not body and not raw[key]:
            self.add(f"'{key}' needs at least one step", (*at, key))
        return data | {field: body}

    def read_foreach(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        if "do" not in raw:
            self.add("foreach needs 'do:', the steps to run for each item", at)
        concurrency = data.pop("concurrency", 1)
        if concurrency == "all":
            concurrency = None
        result = data | {"items": raw[key], "concurrency": concurrency, "do": self.steps(raw.get("do"), (*at, "do"))}
        if "as" in result:
            result["as_"] = result.pop("as")
        return result

    def read_if(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        if "then" not in raw:
            self.add("if needs 'then:', the steps to run when the condition holds", at)
        condition = raw[key]
        if isinstance(condition, bool):
            condition = "true" if condition else "false"
        return {k: v for k, v in data.items() if k not in ("then", "else")} | {
            "condition": condition,
            "then": self.steps(raw.get("then"), (*at, "then")),
            "else_": self.steps(raw.get("else"), (*at, "else")),
        }

    def read_switch(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        cases_raw = raw.get("cases")
        cases: list[Case] = []
        if not isinstance(cases_raw, dict):
            self.add("switch needs 'cases:', a mapping of value to a list of steps", (*at, "cases"))
        else:
            for value, body in cases_raw.items():
                cases.append(Case(value=value, steps=self.steps(body, (*at, "cases", value))))
        return {k: v for k, v in data.items() if k not in ("cases", "default")} | {
            "expression": raw[key],
            "cases": tuple(cases),
            "default": self.steps(raw.get("default"), (*at, "default")),
        }

    def read_call(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        return data | {"target": raw[key], "fields": data.get("fields") or {}}

    def read_wait(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        value = raw[key]
        if isinstance(value, dict):
            extra = [k for k in value if k not in ("until", "tz")]
            for name in extra:
                self.add(f"unknown key {name!r} in wait: use 'until' and 'tz'", (*at, key, name))
            if "until" not in value:
                self.add("wait needs a duration ('wait: 2h') or 'until' ('wait: {until: ...}')", (*at, key))
            return data | {"until": value.get("until"), "tz": value.get("tz")}
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = f"{value}s"
        return data | {"duration": value}

    def read_scalar(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        field = {"approve": "prompt", "fail": "message", "end": "message"}[key]
        value = raw[key]
        if value is None:
            value = ""
        if key == "approve" and isinstance(data.get("by"), str):
            data = data | {"by": (data["by"],)}
        return data | {field: value if isinstance(value, str) else str(value)}

    def read_set(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        values = raw[key]
        if not isinstance(values, dict) or not values:
            self.add("set needs a mapping of field names to values, e.g. 'set: {done: true}'", (*at, key))
            return None
        return data | {"values": values}

    def read_flag(self, key: str, raw: dict[Any, Any], data: dict[str, Any], at: Path) -> Any:
        if raw[key] not in (True, None):
            self.add(f"write '{key}: true'", (*at, key))
        return data


_KIND_READERS = {
    "participant": _Parser.read_participant, "sequence": _Parser.read_list_kind,
    "parallel": _Parser.read_list_kind, "loop": _Parser.read_list_kind, "foreach": _Parser.read_foreach,
    "if": _Parser.read_if, "switch": _Parser.read_switch, "call": _Parser.read_call, "wait": _Parser.read_wait,
    "approve": _Parser.read_scalar, "fail": _Parser.read_scalar, "end": _Parser.read_scalar,
    "set": _Parser.read_set, "break": _Parser.read_flag, "continue": _Parser.read_flag,
}  # fmt: skip


def _unknown_key_message(key: Any, kind: str) -> str:
    owner = keys.owner_of(str(key))
    if owner is not None and owner != kind:
        return f"'{key}' is only valid with {owner}"
    choices = keys.ATTRIBUTES + keys.OPTIONS.get(kind, ())
    return f"unknown key {key!r}{keys.suggest(str(key), choices)}"
