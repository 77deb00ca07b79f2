"""``skynet remote`` and ``skynet agent`` as users meet them without a broker: one line, exit 2."""

from __future__ import annotations

from click.testing import CliRunner

from skynet.agent.agent import one_line
from skynet.cli import cli

NOWHERE = "amqp://guest:guest@127.0.0.1:1/%2F"  # nothing listens on port 1


def test_remote_refuses_a_pool_name_that_cannot_be_routed():
    result = CliRunner().invoke(cli, ["remote", "stop", "x", "--pool", "a.b", "--amqp-url", NOWHERE])
    assert result.exit_code == 2 and "--pool" in result.output


def test_remote_says_in_one_line_when_the_broker_is_unreachable():
    result = CliRunner().invoke(cli, ["remote", "stop", "x", "--pool", "b", "--amqp-url", NOWHERE])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "skynet: cannot reach the broker at amqp://guest:***@127.0.0.1:1/%2F (AMQPConnectionError): is RabbitMQ "
        "running? set BOSS_AMQP_URL"]


def test_the_agent_refuses_a_bad_setting_before_it_connects(tmp_path):
    result = CliRunner().invoke(cli, ["agent", "--home", str(tmp_path), "--pool", "all"])
    assert result.exit_code == 2
    assert result.output.startswith("skynet: --pool: invalid pool name 'all'")


def test_request_fields_are_logged_on_one_bounded_line():
    assert one_line("stop x\nFAKE LOG LINE") == "stop x FAKE LOG LINE"
    assert len(one_line("y" * 500)) == 200
