"""``skynet run``'s failures: one line ``skynet: ...`` and exit code 2, a traceback only with --debug."""

from __future__ import annotations

from click.testing import CliRunner

from skynet.cli import cli
from skynet.errors import SpecError

UNREACHABLE = "amqp://guest:secret@127.0.0.1:1/%2F"
FAILING_SETUP = """
from skynet import Participant

class Fragile(Participant):
    def setup(self, config):
        raise RuntimeError("cannot log in to Jira")
"""


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), env={"BOSS_AMQP_URL": UNREACHABLE})


def test_a_bad_spec_is_one_line_and_exit_2(tmp_path):
    result = invoke("run", str(tmp_path / "missing.py"))
    assert result.exit_code == 2
    assert result.stderr == f"skynet: no such file: {tmp_path / 'missing.py'}\n"


def test_debug_shows_the_traceback_instead(tmp_path):
    result = invoke("run", str(tmp_path / "missing.py"), "--debug")
    assert isinstance(result.exception, SpecError)
    result = invoke("--debug", "run", str(tmp_path / "missing.py"))
    assert isinstance(result.exception, SpecError)


def test_an_unreachable_broker_at_start_is_one_line_and_exit_2(tmp_path):
    result = invoke("run", "tests.sdk.participants:Echo")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("skynet:")]
    assert len(lines) == 1 and lines[0].startswith("skynet: cannot reach the broker at amqp://guest:***@127.0.0.1:1/")
    assert "secret" not in result.stderr and "Traceback" not in result.stderr


def test_a_setup_that_raises_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "fragile.py"
    path.write_text(FAILING_SETUP)
    result = invoke("run", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "skynet: setup of fragile failed: RuntimeError: cannot log in to Jira"


def test_a_bad_name_is_refused(tmp_path):
    result = invoke("run", "tests.sdk.participants:Echo", "--name", "has space")
    assert result.exit_code == 2 and "invalid participant name 'has space'" in result.stderr


def test_run_has_help_with_examples():
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0 and "skynet run etc/examples/greeter.py" in result.output
