"""Load a conformance case (the format of tests/conformance/shared/README.md) and check its expectations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.language import Program, definition_from_source
from engine.language.source import read_yaml
from engine.simulate import Outcome, Simulation, read_script


@dataclass
class Case:
    """One executable example of the language's semantics."""

    name: str
    program: Program
    fields: dict[str, Any]
    start: datetime
    simulation: Simulation
    expect: dict[str, Any]


def load_case(path: Path) -> Case:
    source = read_yaml(str(path))
    data = source.data
    others = data.get("definitions", {})
    known = {data["definition"]["name"], *others}
    main = definition_from_source(source.sub("definition"), known.__contains__)
    definitions = {main.name: main}
    for name in others:
        definitions[name] = definition_from_source(source.sub("definitions").sub(name), known.__contains__)
    program = Program(main=main.name, definitions=definitions)
    launch = data.get("launch", {})
    start = datetime.fromisoformat(str(launch.get("at", "2026-01-01T00:00:00Z"))).astimezone(UTC)
    fields = launch.get("fields", {})
    script = read_script({k: data[k] for k in ("responses", "actions", "reply_order") if k in data}, path.name)
    simulation = Simulation(program, fields=fields, start=start, script=script)
    return Case(path.stem, program, fields, start, simulation, data.get("expect", {}))


def check(case: Case, outcome: Outcome) -> list[str]:
    """Every expectation of the case that the outcome does not meet."""
    expect = case.expect
    problems: list[str] = []
    state = outcome.state
    if "state" in expect and state.status.value != expect["state"]:
        problems.append(f"state: expected {expect['state']}, got {state.status.value} ({_why(outcome)})")
    for key, wanted in expect.get("fields", {}).items():
        if key not in state.fields:
            problems.append(f"fields.{key}: missing (fields: {state.fields})")
        elif not _matches(wanted, state.fields[key]):
            problems.append(f"fields.{key}: expected {wanted!r}, got {state.fields[key]!r}")
    for key in expect.get("absent", []):
        if key in state.fields:
            problems.append(f"absent: {key} is present ({state.fields[key]!r})")
    for participant, count in expect.get("calls", {}).items():
        got = len(outcome.calls(participant))
        if got != count:
            problems.append(f"calls.{participant}: expected {count}, got {got}")
    for participant, params in expect.get("dispatched", {}).items():
        got = [wi.params for wi in outcome.calls(participant)]
        if got != params:
            problems.append(f"dispatched.{participant}: expected {params}, got {got}")
    for participant, count in expect.get("cancelled_calls", {}).items():
        got = sum(1 for _, c in outcome.cancels if c.participant == participant)
        if got != count:
            problems.append(f"cancelled_calls.{participant}: expected {count}, got {got}")
    for participant, times in expect.get("timeline", {}).items():
        wanted_times = [_instant(t) for t in times]
        got_times = [at for at, wi in outcome.dispatches if wi.participant == participant]
        if got_times != wanted_times:
            problems.append(f"timeline.{participant}: expected {times}, got {[t.isoformat() for t in got_times]}")
    if "end_time" in expect and outcome.end_time != _instant(expect["end_time"]):
        problems.append(f"end_time: expected {expect['end_time']}, got {outcome.end_time}")
    if "error" in expect:
        problems.extend(_check_error(expect["error"], outcome))
    return problems


def _check_error(wanted: dict[str, Any], outcome: Outcome) -> list[str]:
    failed = outcome.state.failed_nodes()
    if not failed or failed[0].error is None:
        return [f"error: expected a failed step, none is failed ({_why(outcome)})"]
    error = failed[0].error
    problems = []
    if "step" in wanted and error.step != wanted["step"]:
        problems.append(f"error.step: expected {wanted['step']}, got {error.step}")
    if "message_contains" in wanted and wanted["message_contains"] not in error.message:
        problems.append(f"error.message: {error.message!r} does not contain {wanted['message_contains']!r}")
    return problems


def _matches(wanted: Any, got: Any) -> bool:
    if isinstance(wanted, dict) and isinstance(got, dict):
        return all(k in got and _matches(v, got[k]) for k, v in wanted.items())
    return bool(wanted == got and type(wanted) is type(got)) or (
        isinstance(wanted, int | float) and isinstance(got, int | float) and wanted == got
        and not isinstance(wanted, bool) and not isinstance(got, bool))


def _instant(text: Any) -> datetime:
    return datetime.fromisoformat(str(text)).astimezone(UTC)


def _why(outcome: Outcome) -> str:
    failed = outcome.state.failed_nodes()
    if failed and failed[0].error:
        return f"error at {failed[0].error.step}: {failed[0].error.message}"
    return outcome.stopped or "no error"
