"""``boss validate`` and ``boss simulate`` as users run them: one-line errors, exit codes, timelines."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def boss(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point, as a user would."""
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


BAD_DEFINITIONS = {
    "malformed": ("name: x\nsteps:\n  - set: {a: 1\n", "malformed YAML"),
    "unknown-key": ("name: x\nsteps:\n  - echo: {}\n    retyr: 2\n", "x.yaml:4 steps[0].retyr: unknown key 'retyr'"),
    "wrong-type": ("name: x\nsteps:\n  - echo: {}\n    timeout: soon\n", "x.yaml:4 steps[0].timeout: cannot read"),
    "undefined-subprocess": ("name: x\nsteps:\n  - call: nope\n", "x.yaml:3 steps[0]: call: no such subprocess"),
    "bad-expression": ("name: x\nsteps:\n  - echo: {v: '${a +}'}\n", "x.yaml:3 steps[0]: params.v: syntax error"),
}


@pytest.mark.parametrize("kind", sorted(BAD_DEFINITIONS))
def test_a_bad_definition_gets_a_located_one_line_error_and_exit_code_2(tmp_path: Path, kind: str) -> None:
    text, expected = BAD_DEFINITIONS[kind]
    path = write(tmp_path, "x.yaml", text)
    for command in (["validate", str(path)], ["simulate", str(path)]):
        result = boss(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert expected in lines[0]
        assert "Traceback" not in result.stderr


def test_a_missing_required_launch_field_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "rel.yaml", """\
        name: rel
        fields:
          version: {type: string, required: true, description: release name}
        steps:
          - echo: {v: "${version}"}
        """)
    result = boss("simulate", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("boss: rel: missing required field 'version' (release name): "
                                     "add -f version=...")


def test_a_launch_field_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "rel.yaml", "name: rel\nfields:\n  n: {type: integer}\nsteps: []\n")
    result = CliRunner().invoke(cli, ["simulate", str(path), "-f", "n=three"])
    assert result.exit_code == 2
    assert "field 'n': expected integer, got string \"three\"" in result.output


def test_an_unknown_process_name_is_a_clear_error(tmp_path: Path) -> None:
    result = boss("simulate", "no-such-process", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("boss: unknown process 'no-such-process'")


def test_validate_reports_every_problem_of_every_file_and_passes_good_ones(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", "name: good\nsteps:\n  - echo: {}\n")
    bad = write(tmp_path, "bad.yaml", "name: bad\nsteps:\n  - echo: {}\n    retyr: 1\n  - wait: never\n")
    result = CliRunner().invoke(cli, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert f"ok    {good}  (good, 1 steps)" in result.output
    assert "bad.yaml:4 steps[0].retyr: unknown key 'retyr'" in result.output
    assert "bad.yaml:5 steps[1]: wait: cannot read duration 'never'" in result.output


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", "name: x\nsteps: [{call: nope}]\n")
    result = boss("--debug", "validate", str(path), cwd=tmp_path)
    # validate collects problems itself; simulate raises them through the error handler
    assert result.returncode == 2
    result = boss("--debug", "simulate", str(path), cwd=tmp_path)
    assert "Traceback" in result.stderr


def test_simulate_prints_the_second_and_fourth_friday_of_december_2026_in_chicago(tmp_path: Path) -> None:
    path = write(tmp_path, "fridays.yaml", """\
        name: fridays
        steps:
          - name: feature-freeze
            wait: {until: "second friday 09:00", tz: America/Chicago}
          - jira: {action: create_version}
          - name: code-freeze
            wait: {until: "fourth friday 09:00", tz: America/Chicago}
          - git: {action: merge}
        """)
    result = boss("simulate", str(path), "--start", "2026-12-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "feature-freeze: waiting until 2026-12-11 15:00 UTC = 2026-12-11 09:00 CST (America/Chicago)" in out
    assert "code-freeze: waiting until 2026-12-25 15:00 UTC = 2026-12-25 09:00 CST (America/Chicago)" in out
    local = boss("simulate", str(path), "--start", "2026-12-01", "--tz", "America/Chicago", cwd=tmp_path)
    assert "2026-12-11 09:00 CST   feature-freeze: done" in local.stdout
    assert "2026-12-25 09:00 CST   code-freeze: done" in local.stdout
    assert "final state: done" in local.stdout


def test_simulate_exits_1_when_the_process_ends_in_error_and_follows_scripted_responses(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "name: p\nsteps:\n  - build: {}\n    retry: {max: 1, delay: 1m}\n")
    responses = write(tmp_path, "answers.yaml", """\
        build:
          - {error: "compiler crashed", retryable: true}
          - {error: "still broken", retryable: false}
        """)
    result = boss("simulate", str(path), "--responses", str(responses), cwd=tmp_path)
    assert result.returncode == 1
    assert "FAILED 'compiler crashed' -> retry retry 1/1 in 1m" in result.stdout
    assert "2026-01-01 00:01 UTC" in result.stdout
    assert "failed step: build: still broken" in result.stdout


def test_simulate_json_gives_records_and_state(tmp_path: Path) -> None:
    import json

    path = write(tmp_path, "p.yaml", "name: p\nsteps:\n  - set: {a: 1}\n")
    result = CliRunner().invoke(cli, ["simulate", str(path), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["state"]["status"] == "done"
    assert data["state"]["fields"] == {"a": 1}
    assert next(r["kind"] for r in data["records"]) == "process.launched"


def test_the_shipped_processes_validate_and_simulate_to_done() -> None:
    result = CliRunner().invoke(cli, ["validate", *map(str, sorted((ROOT / "processes").glob("*.yaml")))])
    assert result.exit_code == 0, result.output
    result = boss("simulate", "processes/monthly-release.yaml", "-f", "version=2026.12", "--start", "2026-12-01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2026-12-11 07:00 UTC" in result.stdout and "2026-12-25 07:00 UTC" in result.stdout
