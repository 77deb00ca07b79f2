"""Property tests: random definitions driven by random event sequences.

At every event the interpreter must not raise, and the state must survive a JSON round trip unchanged
(it is what the store keeps).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_event
from hypothesis import strategies as st

from engine.interpreter import ProcessState, advance, launch
from engine.interpreter.effects import CancelWork, Dispatch, StartTimer, StopTimer
from engine.interpreter.events import (
    Answer,
    Cancel,
    Event,
    Launch,
    Pause,
    Reply,
    ReplyError,
    Resume,
    Retry,
    Skip,
    TimerFired,
)  # fmt: skip
from engine.interpreter.state import Options
from engine.language import Program, load_text

T0 = datetime(2026, 3, 1, tzinfo=UTC)

attributes = st.fixed_dictionaries({}, optional={
    "on_error": st.sampled_from(["fail", "skip", "continue"]),
    "retry": st.fixed_dictionaries({"max": st.integers(0, 2), "delay": st.sampled_from(["0s", "1m"])}),
    "timeout": st.sampled_from(["10m", "2h"]),
    "when": st.sampled_from(["flag", "not flag"]),
})
leaves = st.one_of(
    st.builds(lambda p, a: {p: {"n": "${flag}"}, **a}, st.sampled_from(["alpha", "beta", "gamma"]), attributes),
    st.builds(lambda v: {"set": {"flag": v}}, st.booleans()),
    st.sampled_from([{"wait": "30m"}, {"wait": {"until": "every day 06:00", "tz": "Europe/Berlin"}}]),
    st.just({"approve": "ok?"}),
    st.just({"fail": "boom"}),
)


def composites(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    lists = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        st.builds(lambda s, a: {"sequence": s, **a}, lists, attributes),
        st.builds(lambda s, c: {"parallel": s, **({"count": 1} if c else {})}, lists, st.booleans()),
        st.builds(lambda s, c: {"foreach": [1, 2], "concurrency": c, "do": s}, lists, st.sampled_from([1, 2])),
        st.builds(lambda t, e: {"if": "flag", "then": t, "else": e}, lists, lists),
        st.builds(lambda s: {"loop": s, "max": 2, "on_error": "continue"}, lists),
    )


steps = st.recursive(leaves, composites, max_leaves=8)


def program_from(body: list[dict[str, Any]]) -> Program:
    names = itertools.count(1)

    def name_approvals(value: Any) -> Any:
        if isinstance(value, dict):
            named = {k: name_approvals(v) for k, v in value.items()}
            if "approve" in named:
                named["name"] = f"gate{next(names)}"
            return named
        if isinstance(value, list):
            return [name_approvals(v) for v in value]
        return value

    data = {"name": "prop", "fields": {"flag": {"type": "boolean", "default": True}},
            "steps": name_approvals(body), "on_error": "tell", "subprocesses": {"tell": [{"alpha": {}}]}}
    return Program.single(load_text(yaml.safe_dump(data), "prop.yaml"))


choices = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 50), st.integers(0, 3)), max_size=60)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(steps, min_size=1, max_size=4), moves=choices)
def test_random_processes_never_make_the_interpreter_raise_and_state_round_trips(
        body: list[dict[str, Any]], moves: list[tuple[int, int, int]]) -> None:
    program = program_from(body)
    transition = launch(program, Launch(at=T0, process_id="p", options=Options(heartbeat_timeout=timedelta(minutes=5))))
    state = transition.state
    work: dict[str, int] = {}
    timers: dict[str, datetime] = {}
    now = T0
    _track(transition.effects, work, timers)
    for what, pick, variant in moves:
        now += timedelta(minutes=variant * 7)
        event = _event(what, pick, variant, now, work, timers)
        transition = advance(program, state, event)
        _track(transition.effects, work, timers)
        state = transition.state
        assert ProcessState.decode(state.encode()) == state
        if state.status.finished:
            break
    note_event(f"ended {state.status.value}")


def _track(effects: tuple[Any, ...], work: dict[str, int], timers: dict[str, datetime]) -> None:
    for effect in effects:
        if isinstance(effect, Dispatch):
            work[effect.workitem.id] = effect.workitem.attempt
        elif isinstance(effect, CancelWork):
            work.pop(effect.workitem, None)
        elif isinstance(effect, StartTimer):
            timers[effect.timer] = effect.due
        elif isinstance(effect, StopTimer):
            timers.pop(effect.timer, None)


def _event(what: int, pick: int, variant: int, now: datetime, work: dict[str, int],
           timers: dict[str, datetime]) -> Event:
    if what <= 3 and work:
        workitem = sorted(work)[pick % len(work)]
        kind = ["done", "error", "accepted", "progress"][variant]
        error = ReplyError(message="x", retryable=bool(pick % 2)) if kind == "error" else None
        attempt = work[workitem] if pick % 7 else work[workitem] - 1  # sometimes stale
        return Reply(at=now, workitem=workitem, attempt=attempt, kind=kind, result={"v": pick}, error=error,  # type: ignore[arg-type]
                     progress={"p": pick} if kind == "progress" else {})
    if what <= 6 and timers:
        timer = sorted(timers)[pick % len(timers)]
        return TimerFired(at=max(now, timers.pop(timer)), timer=timer)
    commands: list[Event] = [
        Retry(at=now, fields={"flag": bool(variant % 2)}), Skip(at=now), Pause(at=now), Resume(at=now),
        Answer(at=now, approved=bool(variant % 2), by="someone"), Cancel(at=now) if pick % 10 == 0 else Skip(at=now),
        Reply(at=now, workitem="p/n999", attempt=1, kind="done"), TimerFired(at=now, timer="t999"),
    ]
    return commands[(what + pick) % len(commands)]
