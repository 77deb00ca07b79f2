"""What the pages compute before rendering: step names for people, statuses by path, who may answer, forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engine.api.routes.definitions import fields_schema
from engine.api.web import labels
from engine.api.web.forms import correction_inputs, launch_inputs
from engine.api.web.people import may_answer
from engine.api.web.process_view import actions, statuses_by_path, timeline
from engine.language import load_text
from engine.store import StepRow

NOW = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
DEFINITION = load_text("""
name: views
fields:
  version: {type: string, required: true, pattern: '^\\d+$', description: the version}
  repos: {type: list, default: [a]}
  level: {type: string, enum: [low, high], default: low}
  token: {type: string, default: "", secret: true}
  dry: {type: boolean, default: true}
  count: {type: integer}
steps:
  - name: build
    echo: {}
  - foreach: "${repos}"
    do:
      - echo: {}
  - if: "dry"
    then:
      - fail: "dry run"
  - call: other
""", "<views>", lambda name: name == "other")


def row(path: str | None, step: str | None, status: str, **extra: Any) -> StepRow:
    values: dict[str, Any] = {
        "process_id": "p", "node": f"n-{path}-{status}", "path": path, "step": step, "kind": "participant",
        "participant": "echo", "status": status, "attempt": 1, "started_at": NOW - timedelta(minutes=3),
        "ended_at": None, "instance": None, "workitem": None, "progress": {}, "result": None, "error": None,
        "detail": {}, "updated_at": NOW, **extra}
    return StepRow(**values)


def test_a_step_without_a_name_is_described_by_what_it_does():
    steps = {s.path: s for s in DEFINITION.all_steps()}
    assert labels.title(steps["steps[0]"]) == "build"
    assert labels.title(steps["steps[1].do[0]"]) == "echo"
    assert labels.title(steps["steps[2]"]) == "if dry"
    assert labels.title(steps["steps[2].then[0]"]) == "fail: dry run"
    assert labels.title(steps["steps[3]"]) == "run other"
    assert labels.kind_words(steps["steps[1]"]) == "one at a time"


def test_statuses_and_durations_read_for_people():
    assert labels.status_words("parked") == "held" and labels.status_words("error") == "stopped on an error"
    assert labels.duration(timedelta(hours=1, minutes=30, seconds=9)) == "1h 30m"
    assert labels.duration(None) == "" and labels.duration(timedelta(seconds=-3)) == "0s"


def test_runs_are_gathered_by_step_path_and_a_called_definitions_steps_are_left_out():
    rows = [row("steps[0]", "build", "done"), row("steps[1].do[0]", "echo", "done"),
            row("steps[1].do[0]", "echo", "running"),
            row("steps[0]", "deploy", "failed")]  # "deploy" is a step of a called definition
    assert statuses_by_path(DEFINITION, rows) == {"steps[0]": ["done"], "steps[1].do[0]": ["done", "running"]}
    assert statuses_by_path(None, rows) == {}


def test_the_timeline_names_steps_and_says_how_long_they_ran():
    rows = [row("steps[0]", "build", "done", ended_at=NOW - timedelta(minutes=1)),
            row("steps[2].then[0]", "steps[2].then[0]", "running", kind="fail"),
            row("steps[0]", "build", "failed", error={"message": "boom"})]
    lines = timeline(DEFINITION, rows, NOW, "alice", {})
    assert [line.name for line in lines] == ["build", "fail: dry run", "build"]
    assert [line.took for line in lines] == ["2m", "3m so far", ""]
    assert [line.anchor for line in lines] == ["t-steps-0", "t-steps-2-then-0", "t-steps-0-n-steps-0-failed"]
    assert [line.depth for line in lines] == [0, 1, 0]
    assert lines[2].failed and lines[2].target == "steps[0]"


def test_an_approval_is_answerable_by_the_people_and_groups_it_names_or_by_anyone_when_it_names_none():
    groups = {"release-managers": ["alice"]}
    assert may_answer("alice", ["release-managers"], groups) and may_answer("bob", ["bob"], groups)
    assert not may_answer("bob", ["release-managers"], groups)
    assert may_answer("anyone", [], groups)
    waiting = row("steps[0]", "build", "waiting", kind="approve", detail={"prompt": "ok?", "by": ["release-managers"]})
    assert timeline(DEFINITION, [waiting], NOW, "alice", groups)[0].answerable
    assert not timeline(DEFINITION, [waiting], NOW, "bob", groups)[0].answerable


def test_the_commands_offered_follow_the_process_state():
    assert actions("running") == ["pause", "cancel"] and actions("paused") == ["resume", "cancel"]
    assert actions("error") == ["cancel"] and actions("done") == [] and actions("cancelled") == []


def test_the_launch_form_is_built_from_the_fields_schema_required_fields_first():
    inputs = {i.name: i for i in launch_inputs(fields_schema(DEFINITION))}
    assert next(iter(inputs)) == "version" and inputs["version"].required and inputs["version"].pattern == r"^\d+$"
    assert inputs["repos"].control == "textarea" and inputs["repos"].value == '["a"]'
    assert inputs["level"].control == "select" and inputs["level"].choices == ("low", "high")
    assert inputs["token"].control == "password" and inputs["dry"].control == "checkbox" and inputs["dry"].checked
    assert inputs["count"].control == "number" and inputs["count"].value == ""


def test_the_retry_form_offers_every_field_with_its_value_but_never_a_secret():
    inputs = {i.name: i for i in correction_inputs({"target": "bad", "n": 3, "token": "s3cret"}, frozenset({"token"}))}
    assert (inputs["target"].type, inputs["target"].value) == ("string", "bad")
    assert (inputs["n"].type, inputs["n"].value) == ("json", "3")
    assert inputs["token"].value == "" and inputs["token"].control == "password"
