"""Params of participant steps checked against the JSON Schema a participant registered."""

from __future__ import annotations

import textwrap

from pydantic import BaseModel

from engine.language import load_text
from engine.language.params_check import check_params, params_problems


class BuildParams(BaseModel):
    job: str
    retries: int = 0
    parameters: dict[str, str] = {}
    branch: str | None = None


SCHEMA = BuildParams.model_json_schema()
STRICT = {**SCHEMA, "additionalProperties": False}


def test_params_that_match_the_schema_have_no_problems() -> None:
    assert params_problems({"job": "load", "retries": 2, "parameters": {"A": "b"}, "branch": None}, SCHEMA) == []


def test_a_missing_required_param_is_reported() -> None:
    assert params_problems({"retries": 1}, SCHEMA) == ["missing required param 'job'"]


def test_a_literal_of_the_wrong_type_is_reported_but_a_template_is_left_to_run_time() -> None:
    assert params_problems({"job": "x", "retries": "two"}, SCHEMA) == ["param 'retries' should be integer, not str"]
    assert params_problems({"job": "x", "retries": "${attempts}"}, SCHEMA) == []
    assert params_problems({"job": True}, SCHEMA) == ["param 'job' should be string, not bool"]


def test_unknown_params_are_reported_only_when_the_schema_forbids_extra_keys() -> None:
    assert params_problems({"job": "x", "jobb": "y"}, SCHEMA) == []
    assert params_problems({"job": "x", "jobb": "y"}, STRICT) == [
        "unknown param 'jobb' (known: job, retries, parameters, branch)"]


def test_problems_carry_the_file_line_and_step_path() -> None:
    definition = load_text(textwrap.dedent("""\
        name: release
        steps:
          - name: load-tests
            jenkins: {retries: 2}
          - greeter: {anything: 1}
        """), "release.yaml")

    problems = [str(p) for p in check_params(definition, {"jenkins": SCHEMA})]

    assert problems == ["release.yaml:3 steps[0]: jenkins: missing required param 'job'"]
