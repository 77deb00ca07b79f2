"""The shipped process definitions use the built-in participants' actions and params as they declare them."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.language import Library
from engine.language.params_check import check_params
from skynet.loader import load_participant

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN = ("jira", "jenkins", "git", "slack", "notes", "shell")


def schemas() -> dict[str, dict[str, object]]:
    found = {}
    for name in BUILT_IN:
        params = getattr(load_participant(name), "Params", None)
        assert params is not None, f"built-in participant {name} declares no Params"
        found[name] = params.model_json_schema()
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "processes").glob("*.yaml")), ids=lambda p: p.name)
def test_every_participant_step_of_a_shipped_process_matches_the_participants_params(path: Path) -> None:
    program = Library([str(ROOT / "processes")]).program(str(path))

    problems = [str(p) for d in program.definitions.values() for p in check_params(d, schemas())]

    assert problems == []
