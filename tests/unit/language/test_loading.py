"""Loading definitions: every problem of a file is reported at once, with file, line and step path."""

from __future__ import annotations

import textwrap

import pytest

from engine.errors import DefinitionError
from engine.language import load_text
from engine.language.model import ForeachStep, ParallelStep, ParticipantStep, SwitchStep, WaitStep


def problems_of(text: str, file: str = "release.yaml") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_text(textwrap.dedent(text), file)
    return [str(p) for p in caught.value.problems]


def test_a_misspelt_attribute_is_reported_with_file_line_and_step_path() -> None:
    problems = problems_of("""\
        name: release
        steps:
          - set: {a: 1}
          - set: {b: 2}
          - parallel:
              - jira: {action: create_version}
              - jenkins: {job: load}
                retyr: {max: 3}
        """)
    assert problems == ["release.yaml:8 steps[2].parallel[1].retyr: unknown key 'retyr' (did you mean 'retry'?)"]


def test_a_misspelt_attribute_written_before_the_participant_is_still_taken_for_an_attribute() -> None:
    problems = problems_of("""\
        name: release
        steps:
          - name: build
            retyr: 1
            jenkins: {job: load}
        """)
    assert problems == ["release.yaml:4 steps[0].retyr: unknown key 'retyr' (did you mean 'retry'?)"]


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    problems = problems_of("""\
        name: Bad Name
        steps:
          - if: "a =="
            then: [{set: {x: 1}}]
          - wait: 3 days
          - call: nowhere
          - foreach: "${items}"
          - break: true
        """)
    text = "\n".join(problems)
    assert "release.yaml:1 name: bad process name 'Bad Name'" in text
    assert "release.yaml:3 steps[0]: if:" in text
    assert "release.yaml:5 steps[1]" in text and "3 days" in text
    assert "release.yaml:6 steps[2]: call: no such subprocess 'nowhere'" in text
    assert "release.yaml:7 steps[3]: foreach needs 'do:'" in text
    assert "release.yaml:8 steps[4]: 'break' is only allowed inside a loop or foreach" in text


def test_malformed_yaml_names_the_line() -> None:
    problems = problems_of("name: x\nsteps:\n  - set: {a: 1\n")
    assert len(problems) == 1
    assert problems[0].startswith("release.yaml:")
    assert "malformed YAML" in problems[0]


def test_a_key_given_twice_is_an_error_not_silently_the_last() -> None:
    problems = problems_of("name: x\nsteps:\n  - set: {a: 1}\nsteps: []\n")
    assert problems == ["release.yaml:4 : key 'steps' is given twice".replace(" :", ":")]


def test_a_wrong_type_names_the_expected_type() -> None:
    problems = problems_of("""\
        name: x
        steps:
          - echo: {}
            retry: {max: many}
        """)
    assert problems == ["release.yaml:4 steps[0].retry.max: expected an integer, got 'many'"]


def test_an_undefined_subprocess_in_on_error_is_reported() -> None:
    problems = problems_of("""\
        name: x
        on_error: notify
        steps:
          - echo: {}
            on_error: recover
        """)
    assert "release.yaml on_error: unknown subprocess 'notify' (subprocesses: none defined)" in problems
    assert any("steps[0]: on_error: unknown subprocess 'recover'" in p for p in problems)


def test_duplicate_step_names_are_reported_because_retry_step_must_find_one() -> None:
    problems = problems_of("""\
        name: x
        steps:
          - name: build
            jenkins: {}
          - name: build
            jenkins: {}
        """)
    assert len(problems) == 1
    assert "release.yaml:5 steps[1]: step name 'build' is already used at line 3" in problems[0]


def test_a_step_with_two_kinds_is_refused() -> None:
    problems = problems_of("name: x\nsteps:\n  - if: a\n    loop: []\n")
    assert any("a step has exactly one kind, found 'if' and 'loop'" in p for p in problems)


def test_an_option_of_another_kind_is_named_as_such() -> None:
    problems = problems_of("name: x\nsteps:\n  - echo: {}\n    concurrency: 2\n")
    assert problems == ["release.yaml:4 steps[0].concurrency: 'concurrency' is only valid with foreach"]


def test_participant_shorthand_and_long_form_mean_the_same() -> None:
    short = load_text("name: x\nsteps:\n  - jira: {action: create}\n")
    long = load_text("name: x\nsteps:\n  - participant: jira\n    params: {action: create}\n")
    for definition in (short, long):
        step = definition.steps[0]
        assert isinstance(step, ParticipantStep)
        assert (step.participant, step.params, step.label) == ("jira", {"action": "create"}, "jira")


def test_timestamps_stay_text_and_durations_are_read() -> None:
    definition = load_text("""\
        name: x
        steps:
          - wait: {until: 2026-12-25T09:00:00Z}
          - wait: 90
            timeout: PT6H
        """.replace("        ", ""))
    first, second = definition.steps
    assert isinstance(first, WaitStep) and first.until == "2026-12-25T09:00:00Z"
    assert isinstance(second, WaitStep) and second.duration == "90s"
    assert second.timeout is not None and second.timeout.total_seconds() == 6 * 3600


def test_steps_know_their_paths_and_the_definition_indexes_them() -> None:
    definition = load_text(textwrap.dedent("""\
        name: x
        steps:
          - parallel:
              - foreach: [a, b]
                concurrency: all
                do:
                  - echo: {}
          - switch: env
            cases:
              prod: [{set: {x: 1}}]
        subprocesses:
          notify:
            - slack: {}
        """))
    parallel = definition.steps[0]
    assert isinstance(parallel, ParallelStep)
    foreach = parallel.branches[0]
    assert isinstance(foreach, ForeachStep) and foreach.concurrency is None
    assert definition.step_at("steps[0].parallel[0].do[0]").kind == "participant"
    switch = definition.steps[1]
    assert isinstance(switch, SwitchStep)
    assert definition.list_at("steps[1].cases.prod")[0].path == "steps[1].cases.prod[0]"
    assert definition.step_at("subprocesses.notify[0]").label == "slack"


def test_break_may_not_leave_a_parallel_branch() -> None:
    problems = problems_of("""\
        name: x
        steps:
          - loop:
              - parallel:
                  - break: true
            max: 2
        """)
    assert problems == ["release.yaml:5 steps[0].loop[0].parallel[0]: 'break' is only allowed inside a loop "
                        "or foreach (it may not cross a parallel branch)"]


def test_field_declarations_are_checked() -> None:
    problems = problems_of("""\
        name: x
        fields:
          version: {type: string, pattern: '^\\d{4}\\.\\d{2}$', default: "12"}
          count: {type: integr}
          now: {type: string}
        steps: []
        """)
    text = "\n".join(problems)
    assert "fields.version: default: \"12\" does not match the pattern" in text
    assert "fields.count.type: expected" in text
    assert "fields.now: field name 'now' is reserved" in text
