"""Bad input to the pool commands: one line ``skynet: ...``, exit code 2, and nothing half-installed."""

from __future__ import annotations

import pytest

from tests.pool.conftest import SPECS, WORKER, PoolHarness


def assert_refused(pool: PoolHarness, *args: str) -> str:
    """Run a command that must fail: exit 2, one line on stderr, no traceback; the line."""
    result = pool.skynet(*args, expect=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skynet: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def assert_nothing_installed(pool: PoolHarness) -> None:
    assert pool.files("installed") == [] and pool.files("programs") == []
    assert pool.groups() <= {"skynet-agent"}


def test_a_spec_file_that_does_not_exist_is_refused(shared_pool: PoolHarness) -> None:
    line = assert_refused(shared_pool, "install", str(SPECS / "missing.py"))
    assert line == f"skynet: no such file: {SPECS / 'missing.py'}"
    assert_nothing_installed(shared_pool)


def test_a_name_that_is_neither_built_in_nor_an_entry_point_is_refused(shared_pool: PoolHarness) -> None:
    line = assert_refused(shared_pool, "install", "no-such-participant")
    assert line.startswith("skynet: no participant named 'no-such-participant': not a built-in")
    assert_nothing_installed(shared_pool)


def test_a_module_that_does_not_exist_is_refused(shared_pool: PoolHarness) -> None:
    assert assert_refused(shared_pool, "install", "nosuch.module:Thing") == "skynet: no such module: nosuch.module"
    assert_nothing_installed(shared_pool)


def test_a_file_without_a_participant_class_is_refused(shared_pool: PoolHarness) -> None:
    line = assert_refused(shared_pool, "install", str(SPECS / "none.py"))
    assert line == f"skynet: {SPECS / 'none.py'} defines no Participant subclass"
    assert_nothing_installed(shared_pool)


def test_a_file_with_two_participant_classes_is_refused_with_how_to_name_one(shared_pool: PoolHarness) -> None:
    line = assert_refused(shared_pool, "install", str(SPECS / "two.py"))
    assert line == (f"skynet: {SPECS / 'two.py'} defines 2 Participant classes (First, Second): name one, "
                    f"as {SPECS / 'two.py'}:First")
    assert_nothing_installed(shared_pool)


def test_a_class_that_does_not_subclass_participant_is_refused(shared_pool: PoolHarness) -> None:
    line = assert_refused(shared_pool, "install", f"{SPECS / 'none.py'}:Helper")
    assert line == f"skynet: {SPECS / 'none.py'}:Helper is not a Participant subclass (from skynet import Participant)"
    assert_nothing_installed(shared_pool)


def test_a_participant_whose_setup_raises_is_refused(shared_pool: PoolHarness) -> None:
    line = assert_refused(shared_pool, "install", str(SPECS / "broken_setup.py"))
    assert line == "skynet: setup of broken failed: RuntimeError: the database is unreachable"
    assert_nothing_installed(shared_pool)


@pytest.mark.parametrize("args", [["--name", "has space"], ["--name", "skynet-agent"], ["--user", "no-such-user-x"],
                                  ["--config", "/nonexistent/worker.yaml"]])
def test_bad_install_options_are_refused(shared_pool: PoolHarness, args: list[str]) -> None:
    assert_refused(shared_pool, "install", str(WORKER), *args)
    assert_nothing_installed(shared_pool)


@pytest.mark.parametrize("command", ["start", "stop", "restart", "reload", "enable", "disable", "uninstall",
                                     "register", "unregister", "status", "log", "info"])
def test_an_unknown_participant_name_is_refused(shared_pool: PoolHarness, command: str) -> None:
    line = assert_refused(shared_pool, command, "nobody")
    assert line.startswith("skynet: no participant 'nobody' is installed in the pool at ")


def test_a_command_without_a_name_asks_for_one(shared_pool: PoolHarness) -> None:
    assert assert_refused(shared_pool, "stop") == "skynet: name at least one installed participant (or use --all)"


def test_install_into_a_pool_that_is_down_is_refused_and_writes_nothing(down_pool: PoolHarness) -> None:
    down_pool.pool.home.create()
    line = assert_refused(down_pool, "install", str(WORKER))
    assert line.startswith("skynet: the pool is not running") and line.endswith("start it with skynet up")
    assert down_pool.files("installed") == [] and down_pool.files("programs") == []
