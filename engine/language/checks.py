"""Static checks of a parsed definition: expressions, references, names and placements.

Everything that can be known before a launch is checked here, so that a typo in a condition is found by
``boss validate`` rather than three weeks into a release cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from engine.errors import ExpressionError, Problem, TimeSpecError
from engine.expressions import check_condition, check_template, has_template
from engine.language import keys
from engine.language.fields import check_field_spec
from engine.language.model import (
    ApproveStep,
    BreakStep,
    CallStep,
    ContinueStep,
    Definition,
    EndStep,
    FailStep,
    ForeachStep,
    IfStep,
    LoopStep,
    ParallelStep,
    ParticipantStep,
    SetStep,
    Step,
    Steps,
    SwitchStep,
    WaitStep,
)  # fmt: skip
from engine.timing import check_time_spec, parse_duration, parse_zone

BUILTIN_ON_ERROR = ("fail", "skip", "continue")
BUILTIN_ON_TIMEOUT = ("fail", "skip", "retry")


def check_definition(definition: Definition, is_definition: Callable[[str], bool] | None = None) -> list[Problem]:
    """Every static problem of ``definition``.

    Args:
        definition: the parsed definition.
        is_definition: tells whether a name is another loadable definition (for ``call``); None skips
            that check (calls to unknown subprocesses are then only reported when no resolver is known).
    """
    checker = _Checker(definition, is_definition)
    checker.run()
    return checker.problems


class _Checker:
    def __init__(self, definition: Definition, is_definition: Callable[[str], bool] | None) -> None:
        self.definition = definition
        self.is_definition = is_definition
        self.problems: list[Problem] = []

    def add(self, message: str, step: Step | None = None, path: str = "") -> None:
        self.problems.append(Problem(message, file=self.definition.file,
                                     line=step.line if step else None, path=step.path if step else path))

    def run(self) -> None:
        definition = self.definition
        for name, spec in definition.fields.items():
            for message in check_field_spec(spec):
                self.add(message, path=f"fields.{name}")
        for attribute in ("on_error", "on_cancel"):
            target = getattr(definition, attribute)
            if target is not None and target not in definition.subprocesses:
                self.add(self._unknown_subprocess(target), path=attribute)
        self._check_names()
        for step in definition.all_steps():
            self._check_step(step)
        self._check_placement(definition.steps, loop=None, crossing=None)
        for body in definition.subprocesses.values():
            self._check_placement(body, loop=None, crossing="a subprocess")

    def _unknown_subprocess(self, name: str) -> str:
        known = ", ".join(self.definition.subprocesses) or "none defined"
        return f"unknown subprocess {name!r} (subprocesses: {known})"

    def _check_names(self) -> None:
        seen: dict[str, Step] = {}
        for step in self.definition.all_steps():
            if step.name is None:
                continue
            if step.name in seen:
                first = seen[step.name]
                self.add(f"step name {step.name!r} is already used at line {first.line} ({first.path}); "
                         "names must be unique so that 'boss retry --step' can find them", step)
            else:
                seen[step.name] = step

    # ---- per step --------------------------------------------------------------------------------------
    def _check_step(self, step: Step) -> None:
        for label, condition in (("when", step.when), ("unless", step.unless)):
            if condition is not None:
                self._condition(step, label, condition)
        for label, text in _templates_of(step):
            self._template(step, label, text)
        self._check_handlers(step)
        self._check_result_name(step)
        checker = _KIND_CHECKS.get(type(step))
        if checker is not None:
            checker(self, step)

    def _condition(self, step: Step, label: str, condition: Any) -> None:
        if not isinstance(condition, str):
            self.add(f"{label}: expected a condition (text), got {condition!r}", step)
            return
        try:
            check_condition(condition)
        except ExpressionError as exc:
            self.add(f"{label}: {exc}", step)

    def _template(self, step: Step, label: str, text: str) -> None:
        try:
            check_template(text)
        except ExpressionError as exc:
            self.add(f"{label}: {exc}", step)

    def _check_handlers(self, step: Step) -> None:
        if step.on_error not in BUILTIN_ON_ERROR and step.on_error not in self.definition.subprocesses:
            self.add(f"on_error: {self._unknown_subprocess(step.on_error)}; or use fail, skip, continue", step)
        timeout_handler = step.on_timeout
        if timeout_handler is not None:
            if timeout_handler not in BUILTIN_ON_TIMEOUT and timeout_handler not in self.definition.subprocesses:
                self.add(f"on_timeout: {self._unknown_subprocess(timeout_handler)}; or use fail, skip, retry", step)
            if step.timeout is None and not isinstance(step, ApproveStep):
                self.add("on_timeout has no effect without 'timeout'", step)
        if step.retry is not None and step.retry.max < 0:
            self.add("retry.max must be 0 or more", step)

    def _check_result_name(self, step: Step) -> None:
        if step.save_as is not None and not _is_identifier(step.save_as):
            self.add(f"save_as: {step.save_as!r} is not a valid field name", step)
        elif step.save_as in keys.RESERVED_NAMES:
            self.add(f"save_as: {step.save_as!r} is reserved for expressions", step)

    def check_parallel(self, step: Step) -> None:
        assert isinstance(step, ParallelStep)
        if step.count is not None and not 1 <= step.count <= len(step.branches):
            self.add(f"count must be between 1 and the number of branches ({len(step.branches)})", step)

    def check_foreach(self, step: Step) -> None:
        assert isinstance(step, ForeachStep)
        if not isinstance(step.items, str | list):
            self.add("foreach expects a list or a template such as \"${repos}\"", step)
        if not _is_identifier(step.as_) or step.as_ in keys.RESERVED_NAMES:
            self.add(f"as: {step.as_!r} cannot be used as a name", step)
        if step.concurrency is not None and step.concurrency < 1:
            self.add("concurrency must be a positive number or 'all'", step)

    def check_if(self, step: Step) -> None:
        assert isinstance(step, IfStep)
        self._condition(step, "if", step.condition)

    def check_switch(self, step: Step) -> None:
        assert isinstance(step, SwitchStep)
        self._condition(step, "switch", step.expression)

    def check_loop(self, step: Step) -> None:
        assert isinstance(step, LoopStep)
        if step.until is not None:
            self._condition(step, "until", step.until)
        if step.max is not None and step.max < 1:
            self.add("max must be 1 or more", step)

    def check_call(self, step: Step) -> None:
        assert isinstance(step, CallStep)
        for name in step.fields:
            if not _is_identifier(str(name)) or name in keys.RESERVED_NAMES:
                self.add(f"call fields: {name!r} cannot be used as a name", step)
        target = step.target
        if target in self.definition.subprocesses:
            return
        if self.is_definition is not None and self.is_definition(target):
            return
        where = "no such subprocess" + (" or process definition" if self.is_definition else "")
        self.add(f"call: {where} {target!r} (subprocesses: {', '.join(self.definition.subprocesses) or 'none'})",
                 step)

    def check_wait(self, step: Step) -> None:
        assert isinstance(step, WaitStep)
        try:
            if step.tz is not None and not has_template(step.tz):
                parse_zone(step.tz)
            if step.duration is not None and not has_template(step.duration):
                parse_duration(step.duration)
            if step.until is not None and not has_template(step.until):
                check_time_spec(step.until, step.tz)
        except TimeSpecError as exc:
            self.add(f"wait: {exc}", step)

    def check_set(self, step: Step) -> None:
        assert isinstance(step, SetStep)
        for name in step.values:
            if not _is_identifier(str(name)):
                self.add(f"set: {name!r} is not a valid field name", step)
            elif name in keys.RESERVED_NAMES:
                self.add(f"set: {name!r} is reserved for expressions", step)

    # ---- break / continue ------------------------------------------------------------------------------
    def _check_placement(self, steps: Steps, loop: Step | None, crossing: str | None) -> None:
        for step in steps:
            if isinstance(step, BreakStep | ContinueStep):
                word = step.kind
                if loop is None:
                    where = f" (it may not cross {crossing})" if crossing else ""
                    self.add(f"'{word}' is only allowed inside a loop or foreach{where}", step)
                continue
            if isinstance(step, LoopStep | ForeachStep):
                for _, body in step.children():
                    self._check_placement(body, step, None)
            elif isinstance(step, ParallelStep):
                for _, body in step.children():
                    self._check_placement(body, None, "a parallel branch")
            else:
                for _, body in step.children():
                    self._check_placement(body, loop, crossing)


_KIND_CHECKS: dict[type[Step], Callable[[_Checker, Step], None]] = {
    ParallelStep: _Checker.check_parallel, ForeachStep: _Checker.check_foreach, IfStep: _Checker.check_if,
    SwitchStep: _Checker.check_switch, LoopStep: _Checker.check_loop, CallStep: _Checker.check_call,
    WaitStep: _Checker.check_wait, SetStep: _Checker.check_set,
}  # fmt: skip


def _templates_of(step: Step) -> Iterator[tuple[str, str]]:
    """Every templated string of a step, with a label saying where it is."""
    if isinstance(step, ParticipantStep):
        yield from _strings("params", step.params)
    elif isinstance(step, SetStep):
        yield from _strings("set", step.values)
    elif isinstance(step, CallStep):
        yield from _strings("fields", step.fields)
    elif isinstance(step, ForeachStep):
        yield from _strings("foreach", step.items)
    elif isinstance(step, WaitStep):
        yield from _strings("wait", [step.duration, step.until, step.tz])
    elif isinstance(step, ApproveStep):
        yield "approve", step.prompt
    elif isinstance(step, FailStep | EndStep):
        yield step.kind, step.message


def _strings(label: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield label, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(f"{label}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(f"{label}[{index}]", item)


def _is_identifier(name: str) -> bool:
    return bool(keys.IDENTIFIER.match(name))
