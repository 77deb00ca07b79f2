"""The pool commands over a real supervisord, without an engine: install, list, status, log, reload, enable..."""

from __future__ import annotations

import json
import os
import pwd
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from skynet.pool import PoolHome
from tests.pool.conftest import POOL_NAME, WORKER, PoolHarness, wait_until


@pytest.fixture(scope="module")
def installed(shared_pool: PoolHarness) -> Iterator[PoolHarness]:
    """A pool with the worker installed, two instances on queue work.q (for the tests that only read)."""
    shared_pool.skynet("install", str(WORKER), "--instances", "2", "--queue", "work.q")
    shared_pool.wait_running("worker", 2)
    yield shared_pool


def test_up_and_down_are_harmless_when_repeated(down_pool: PoolHarness) -> None:
    first = down_pool.skynet("up")
    assert f"pool {POOL_NAME} is up" in first.stdout
    assert "was up already" in down_pool.skynet("up").stdout
    pid = int(PoolHome(down_pool.home).pidfile.read_text())
    assert f"supervisord pid {pid} stopped" in down_pool.skynet("down").stdout
    assert "was not running" in down_pool.skynet("down").stdout
    assert not down_pool.pool.is_up()


def test_install_starts_the_instances_and_keeps_the_shells_secrets_in_private_files(pool: PoolHarness) -> None:
    pool.env["BOSS_SIGNING_KEY"] = "s3cret-key"
    pool.env["BOSS_WORKER_GREETING"] = "hi"
    result = pool.skynet("install", str(WORKER), "--instances", "2")
    assert result.stdout.startswith("installed worker (worker.py:Worker, queue participant.worker): 2/2 running")
    assert "not registered" in result.stderr  # no engine in this test: a warning, not a failure
    status = pool.wait_running("worker", 2)
    assert [i.name for i in status.instances] == ["worker-0", "worker-1"]
    for path in (pool.home / "installed" / "worker.yaml", pool.home / "programs" / "worker.ini"):
        assert "s3cret-key" in path.read_text() and "BOSS_WORKER_GREETING" in path.read_text()
        assert (path.stat().st_mode & 0o777) == 0o600


def test_installing_again_changes_nothing_unless_the_options_differ(pool: PoolHarness) -> None:
    pool.skynet("install", str(WORKER), "--no-start")
    program = pool.home / "programs" / "worker.ini"
    written = program.stat().st_mtime_ns
    assert pool.skynet("install", str(WORKER), "--no-start").stdout.startswith("unchanged worker")
    assert program.stat().st_mtime_ns == written
    assert pool.skynet("install", str(WORKER), "--no-start", "--instances", "2").stdout.startswith("updated worker")
    assert "numprocs = 2" in program.read_text()
    assert [i.name for i in pool.status("worker").instances] == ["worker-0", "worker-1"]


def test_no_start_installs_it_disabled_enable_starts_it_and_disable_stops_it(pool: PoolHarness) -> None:
    result = pool.skynet("install", str(WORKER), "--no-start")
    assert "disabled (skynet enable starts it)" in result.stdout
    assert [i.state for i in pool.status("worker").instances] == ["STOPPED"]
    assert pool.skynet("enable", "worker").stdout == "worker: 1/1 running\n"
    assert pool.status("worker").enabled
    assert pool.skynet("disable", "worker").stdout == "worker: 0/1 running, 1 stopped\n"
    assert "autostart = false" in (pool.home / "programs" / "worker.ini").read_text()


def test_list_and_status_show_every_instance_as_text_and_json(installed: PoolHarness) -> None:
    pool = installed
    listing = pool.skynet("list").stdout.splitlines()
    assert listing[0].split() == ["NAME", "INSTANCES", "ENABLED", "REGISTERED", "QUEUE", "SPEC"]
    assert listing[1].split() == ["worker", "2/2", "running", "yes", "no", "work.q", str(WORKER)]
    snapshot = json.loads(pool.skynet("list", "--json").stdout)
    assert snapshot["pool"] == POOL_NAME and snapshot["up"] is True
    assert snapshot["agent"] is None or snapshot["agent"]["name"] == "skynet-agent"
    [program] = snapshot["programs"]
    assert program["wanted"] == 2 and [i["state"] for i in program["instances"]] == ["RUNNING", "RUNNING"]
    detail = json.loads(pool.skynet("status", "worker", "--json").stdout)
    first = detail["instances"][0]
    assert first["pid"] > 0 and first["uptime_seconds"] >= 0 and first["restarts"] == 0
    assert first["instance"].startswith("worker-") and first["current"] is None and first["handled"] == 0
    text = pool.skynet("status").stdout.splitlines()
    assert text[0].split()[:5] == ["INSTANCE", "STATE", "PID", "UPTIME", "RESTARTS"]
    assert [line.split()[0] for line in text[1:]] == ["worker-0", "worker-1"]


def test_log_shows_each_instances_last_lines_and_follows_new_ones(installed: PoolHarness) -> None:
    pool = installed
    lines = pool.skynet("log", "worker", "-n", "1").stdout.splitlines()
    assert [line.split(" | ")[0] for line in lines] == ["worker-0", "worker-1"]
    assert all("consuming work.q" in line for line in lines)
    only = pool.skynet("log", "worker", "--instance", "1", "-n", "1000").stdout
    assert "starting worker as instance" in only and " | " not in only
    log_file = pool.home / "logs" / "worker-0.log"
    seen: list[str] = []
    deadline = time.monotonic() + 10
    for entry in pool.pool.follow("worker", lines=1, instance=0,
                                  stop=lambda: "marker" in "".join(seen) or time.monotonic() > deadline):
        seen.append(entry.text)
        if len(seen) == 1:
            with log_file.open("a") as out:
                out.write("a marker line\n")
    assert seen[-1] == "a marker line"


def test_info_describes_the_code_its_version_params_schema_and_config_keys(installed: PoolHarness) -> None:
    info = json.loads(installed.skynet("info", "worker", "--json").stdout)
    assert info["cls"] == "worker.py:Worker" and info["file"] == str(WORKER) and info["version"] == "2.1"
    assert info["description"].startswith("Sleeps ``pause`` seconds")
    assert set(info["params_schema"]["properties"]) == {"n", "pause", "pause_first"}
    assert info["config_keys"] == ["greeting"]
    assert info["queue"] == "work.q"
    text = installed.skynet("info", "worker").stdout
    assert "class:       worker.py:Worker" in text and '"pause_first"' in text


def test_apply_makes_supervisord_follow_an_edited_install_record(pool: PoolHarness) -> None:
    pool.skynet("install", str(WORKER), "--no-start")
    assert pool.skynet("apply").stdout == "nothing to change\n"
    record = pool.home / "installed" / "worker.yaml"
    record.write_text(record.read_text().replace("instances: 1", "instances: 3"))
    assert pool.skynet("apply").stdout == "changed: worker\n"
    assert [i.name for i in pool.status("worker").instances] == ["worker-0", "worker-1", "worker-2"]
    record.unlink()
    assert pool.skynet("apply").stdout == "removed: worker\n"
    assert "worker" not in pool.groups() and pool.files("programs") == []


def test_uninstall_with_the_pool_down_removes_the_files_so_up_starts_nothing(pool: PoolHarness) -> None:
    pool.skynet("install", str(WORKER), "--no-start")
    pool.skynet("down")
    result = pool.skynet("uninstall", "worker")
    assert result.stdout.startswith("uninstalled worker")
    assert pool.files("installed") == [] and pool.files("programs") == []
    pool.skynet("up")
    assert "worker" not in pool.groups()


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root pool runs instances as another user")
def test_a_user_install_runs_as_that_user_or_is_refused_when_the_user_cannot_run_it(pool: PoolHarness) -> None:
    result = pool.skynet("install", str(WORKER), "--user", "nobody", expect=None)
    if result.exit_code == 2:  # nobody may not read this interpreter or this checkout: refused before writing
        assert result.stderr.startswith("skynet: cannot run ") and " as nobody in " in result.stderr
        assert pool.files("installed") == [] and pool.files("programs") == []
        return
    assert result.exit_code == 0, result.output
    pid = wait_until(lambda: pool.status("worker").instances[0].pid, 10, "the instance to run")
    uid = next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("Uid:"))
    assert int(uid) == pwd.getpwnam("nobody").pw_uid


def test_the_socket_path_of_a_too_long_home_is_refused_before_anything_starts(tmp_path: Path) -> None:
    home = tmp_path / ("x" * 120)
    harness = PoolHarness(home, {"BOSS_AMQP_URL": os.environ.get("BOSS_AMQP_URL", "amqp://localhost")})
    result = harness.skynet("up", expect=2)
    assert result.stderr.startswith("skynet: SKYNET_HOME ") and "too long" in result.stderr
    assert wait_until(lambda: not harness.pool.is_up(), 1, "no supervisord")
