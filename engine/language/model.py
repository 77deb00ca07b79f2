"""The process language as immutable pydantic models: a definition and its tree of steps.

Models are built by :mod:`engine.language.parse`, which reads YAML data, reports problems with file, line
and step path, and validates each step's options with the option models in
:mod:`engine.language.options`. Every step knows its ``path`` (``steps[2].then[0]``), which is also its
address in the definition (``Definition.step_at``) and its fallback name.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr

Steps = tuple["Step", ...]


class Frozen(BaseModel):
    """Base of immutable language models."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Backoff(StrEnum):
    """How the delay between retries grows."""

    FIXED = "fixed"
    EXPONENTIAL = "exponential"


class RetryPolicy(Frozen):
    """``retry:`` — ``max`` retries after the first attempt, waiting ``delay`` (grown by ``backoff``)."""

    max: int = 3
    delay: timedelta = timedelta(0)
    backoff: Backoff = Backoff.FIXED
    max_delay: timedelta | None = None

    def delay_before(self, retry: int) -> timedelta:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        delay = self.delay
        if self.backoff is Backoff.EXPONENTIAL:
            delay = self.delay * (2 ** (retry - 1))
        if self.max_delay is not None:
            delay = min(delay, self.max_delay)
        return delay


class Step(Frozen):
    """Attributes every step kind carries."""

    kind: str = ""
    path: str
    line: int | None = None
    name: str | None = None
    when: str | None = None
    unless: str | None = None
    timeout: timedelta | None = None
    retry: RetryPolicy | None = None
    on_error: str = "fail"
    on_timeout: str | None = None
    save_as: str | None = None

    @property
    def label(self) -> str:
        """The step's name as users see it: ``name``, else the participant, else the path."""
        return self.name or self.path

    @property
    def result_key(self) -> str | None:
        """Where a result (participant reply, approval, ``continue``d error) is stored, if anywhere."""
        return self.save_as or self.name

    def children(self) -> list[tuple[str, Steps]]:
        """The step lists nested in this step, with the path of each list."""
        return []


class ParticipantStep(Step):
    """Send a workitem to a participant and wait for its reply."""

    kind: Literal["participant"] = "participant"
    participant: str
    params: dict[str, Any] = {}

    @property
    def label(self) -> str:
        return self.name or self.participant

    @property
    def result_key(self) -> str | None:
        return self.save_as or self.name or self.participant


class SequenceStep(Step):
    """Run steps in order."""

    kind: Literal["sequence"] = "sequence"
    steps: Steps

    def children(self) -> list[tuple[str, Steps]]:
        return [(f"{self.path}.sequence", self.steps)]


class ParallelStep(Step):
    """Run branches concurrently; done after ``count`` branches (default all)."""

    kind: Literal["parallel"] = "parallel"
    branches: Steps
    count: int | None = None
    remaining: Literal["cancel", "wait"] = "cancel"

    def children(self) -> list[tuple[str, Steps]]:
        return [(f"{self.path}.parallel", self.branches)]


class ForeachStep(Step):
    """Run ``do`` once per item of a list, serially or ``concurrency`` at a time."""

    kind: Literal["foreach"] = "foreach"
    items: Any
    as_: str = "item"
    concurrency: int | None = 1  # None: all at once
    do: Steps

    def children(self) -> list[tuple[str, Steps]]:
        return [(f"{self.path}.do", self.do)]


class IfStep(Step):
    """Run ``then`` when the condition holds, else ``else``."""

    kind: Literal["if"] = "if"
    condition: str
    then: Steps = ()
    else_: Steps = ()

    def children(self) -> list[tuple[str, Steps]]:
        return [(f"{self.path}.then", self.then), (f"{self.path}.else", self.else_)]


class Case(Frozen):
    """One ``cases:`` entry of a switch."""

    value: Any
    steps: Steps


class SwitchStep(Step):
    """Run the case whose value equals the expression's value, else ``default``."""

    kind: Literal["switch"] = "switch"
    expression: str
    cases: tuple[Case, ...] = ()
    default: Steps = ()

    def children(self) -> list[tuple[str, Steps]]:
        lists = [(f"{self.path}.cases.{case.value}", case.steps) for case in self.cases]
        return [*lists, (f"{self.path}.default", self.default)]


class LoopStep(Step):
    """Repeat ``loop`` until ``until`` holds after an iteration; ``max`` iterations at most."""

    kind: Literal["loop"] = "loop"
    body: Steps
    until: str | None = None
    max: int | None = None

    def children(self) -> list[tuple[str, Steps]]:
        return [(f"{self.path}.loop", self.body)]


class CallStep(Step):
    """Run a subprocess, or another definition by name, with extra ``fields`` in scope."""

    kind: Literal["call"] = "call"
    target: str
    fields: dict[str, Any] = {}


class WaitStep(Step):
    """A durable timer: a duration, or ``until`` an instant or calendar rule in ``tz``."""

    kind: Literal["wait"] = "wait"
    duration: str | None = None
    until: str | None = None
    tz: str | None = None


class ApproveStep(Step):
    """Wait for a person's yes or no."""

    kind: Literal["approve"] = "approve"
    prompt: str
    by: tuple[str, ...] = ()


class SetStep(Step):
    """Set fields to (templated) values."""

    kind: Literal["set"] = "set"
    values: dict[str, Any]


class FailStep(Step):
    """Raise an error at this step."""

    kind: Literal["fail"] = "fail"
    message: str


class EndStep(Step):
    """Finish the process successfully now."""

    kind: Literal["end"] = "end"
    message: str = ""


class BreakStep(Step):
    """Leave the innermost loop or foreach."""

    kind: Literal["break"] = "break"


class ContinueStep(Step):
    """Go on with the next iteration of the innermost loop or foreach."""

    kind: Literal["continue"] = "continue"


class FieldType(StrEnum):
    """Types a launch field may declare."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"
    OBJECT = "object"


class FieldSpec(Frozen):
    """A declared launch field."""

    type: FieldType = FieldType.STRING
    required: bool = False
    default: Any = None
    pattern: str | None = None
    description: str | None = None
    secret: bool = False
    enum: tuple[Any, ...] | None = None


class Definition(Frozen):
    """A whole process definition, with an index of every step and step list by path."""

    name: str
    version: int | None = None
    description: str | None = None
    fields: dict[str, FieldSpec] = {}
    timeout: timedelta | None = None
    on_error: str | None = None
    on_cancel: str | None = None
    steps: Steps
    subprocesses: dict[str, Steps] = {}
    file: str = ""
    source: str = ""
    digest: str = ""

    _steps: dict[str, Step] = PrivateAttr(default_factory=dict)
    _lists: dict[str, Steps] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._lists["steps"] = self.steps
        for name, body in self.subprocesses.items():
            self._lists[subprocess_path(name)] = body
        for body in list(self._lists.values()):
            self._index(body)

    def _index(self, steps: Steps) -> None:
        for step in steps:
            self._steps[step.path] = step
            for path, body in step.children():
                self._lists[path] = body
                self._index(body)

    def step_at(self, path: str) -> Step:
        """The step at ``path``; KeyError if there is none."""
        return self._steps[path]

    def list_at(self, path: str) -> Steps:
        """The step list at ``path`` (``steps``, ``steps[1].then``, ``subprocesses.notify``)."""
        return self._lists[path]

    def all_steps(self) -> list[Step]:
        """Every step of the definition, subprocesses included, in definition order."""
        return list(self._steps.values())

    @property
    def secret_fields(self) -> frozenset[str]:
        """Names of the fields whose values are redacted in logs, events and the dashboard."""
        return frozenset(name for name, spec in self.fields.items() if spec.secret)


def subprocess_path(name: str) -> str:
    """The path of a subprocess's step list."""
    return f"subprocesses.{name}"


def list_item_path(list_path: str, index: int) -> str:
    """The path of item ``index`` of the list at ``list_path``."""
    return f"{list_path}[{index}]"
