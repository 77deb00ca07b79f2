"""Every conformance case (the shared contract and our own) runs through the interpreter and passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.case import check, load_case

HERE = Path(__file__).parent
CASES = sorted((HERE / "shared").glob("*.yaml")) + sorted((HERE / "cases").glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_case_runs_as_its_expectations_say(path: Path) -> None:
    case = load_case(path)
    outcome = case.simulation.run()
    problems = check(case, outcome)
    assert not problems, "\n".join(problems)


def test_the_shared_cases_are_all_here() -> None:
    assert len(list((HERE / "shared").glob("*.yaml"))) >= 17
