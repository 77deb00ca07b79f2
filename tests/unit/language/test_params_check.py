"""Params of participant steps checked against the JSON Schema a participant registered."""

from __future__ import annotations

import textwrap
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

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


class Post(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["post"]
    channel: str


class Update(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["update"]
    ts: str


class ChatParams(RootModel[Post | Update]):
    root: Post | Update = Field(discriminator="action")


UNION = ChatParams.model_json_schema()


def test_a_discriminated_union_is_checked_against_the_variant_its_action_names() -> None:
    assert params_problems({"action": "post", "channel": "#rel"}, UNION) == []
    assert params_problems({"action": "update"}, UNION) == ["missing required param 'ts'"]
    assert params_problems({"action": "post", "channel": "#rel", "ts": "1"}, UNION) == [
        "unknown param 'ts' (known: action, channel)"]
    assert params_problems({"action": "delete"}, UNION) == [
        "param 'action' should be one of post, update, not 'delete'"]
    assert params_problems({"channel": "#rel"}, UNION) == ["missing required param 'action' (one of: post, update)"]
    assert params_problems({"action": "${what}"}, UNION) == []
