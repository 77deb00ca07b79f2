"""The built-in shell participant, running real processes: allow-list, stdin/env, errors, timeout, cancel."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from participants.shell import Shell
from skynet import Workitem
from skynet.errors import ConfigError
from skynet.loader import load_participant
from skynet.testing import RunResult, run
from tests.conftest import wait_for
from tests.sdk.conftest import Bus

PY = sys.executable
ETC = Path(__file__).resolve().parents[2] / "etc" / "participants" / "shell.yaml"

# Starts a grandchild that ignores SIGTERM (so only SIGKILL to the group ends it), writes its pid to the
# file named by $1, then waits for it: the leader outliving nothing, the grandchild outliving the leader.
STUBBORN_CHILD = "trap '' TERM; sleep 30 & echo $! > \"$1\"; wait"


def allow(commands: dict[str, Any], **settings: Any) -> dict[str, Any]:
    """A config with these commands and a short grace, so kills stay fast."""
    return {"commands": commands, "grace": "0.3s", **settings}


def python(code: str, **options: Any) -> dict[str, Any]:
    """An allow-list entry running a Python snippet."""
    return {"argv": [PY, "-c", code], **options}


def gone(pid: int) -> bool:
    """Whether a process has ended (a zombie waiting for init to reap it has ended too)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.parent.parent.joinpath("self").exists():  # no procfs: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    try:
        return stat.read_text().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def pid_in(path: Path) -> int:
    return int(wait_for(lambda: path.exists() and path.read_text().strip(), what=f"a pid in {path}"))


def error_of(outcome: RunResult) -> Any:
    assert outcome.error is not None, f"expected an error, got result {outcome.result!r}"
    return outcome.error


# ---- success ------------------------------------------------------------------------------------------
def test_an_allowed_command_runs_and_its_output_is_the_result():
    outcome = run(Shell, params={"command": "hello"},
                  config=allow({"hello": python("import sys; print('hello'); print('note', file=sys.stderr)")}))
    assert outcome.ok
    assert outcome.result["exit_code"] == 0
    assert (outcome.result["stdout"], outcome.result["stderr"]) == ("hello\n", "note\n")
    assert outcome.result["truncated"] == []
    assert 0 < outcome.result["duration"] < 5


def test_the_fields_arrive_as_json_on_stdin():
    code = "import json, sys; fields = json.load(sys.stdin); print(fields['version'], fields['build']['n'])"
    outcome = run(Shell, params={"command": "read"}, fields={"version": "1.0", "build": {"n": 7}},
                  config=allow({"read": python(code)}))
    assert outcome.result["stdout"] == "1.0 7\n"


def test_env_fields_allowed_env_and_the_step_reach_the_command_but_the_daemons_secrets_do_not(monkeypatch):
    monkeypatch.setenv("BOSS_SIGNING_KEY", "s3cret")
    monkeypatch.setenv("GH_TOKEN", "passed-on")
    command = python("import json, os; print(json.dumps(dict(os.environ)))", json_output=True,
                     env_fields=["version", "build-info", "absent"], allow_env=["NOTES_FORMAT"],
                     env={"FIXED": 1, "NOTES_FORMAT": "txt"}, pass_env=["GH_TOKEN"])
    outcome = run(Shell, params={"command": "env", "env": {"NOTES_FORMAT": "md"}}, step="build-notes",
                  fields={"version": "1.0", "build-info": {"n": 7}}, config=allow({"env": command}),
                  idempotency_key="key-1", attempt=2)
    env = outcome.result["data"]
    assert env["BOSS_FIELD_VERSION"] == "1.0"
    assert env["BOSS_FIELD_BUILD_INFO"] == '{"n": 7}'
    assert "BOSS_FIELD_ABSENT" not in env
    assert (env["NOTES_FORMAT"], env["FIXED"], env["GH_TOKEN"]) == ("md", "1", "passed-on")
    assert (env["BOSS_STEP"], env["BOSS_IDEMPOTENCY_KEY"], env["BOSS_ATTEMPT"]) == ("build-notes", "key-1", "2")
    assert env["PATH"] == os.environ["PATH"]
    assert "BOSS_SIGNING_KEY" not in env


def test_json_output_that_is_not_json_is_a_permanent_error():
    outcome = run(Shell, params={"command": "cli"}, config=allow({"cli": python("print('not json')",
                                                                                 json_output=True)}))
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("CommandFailed", False)
    assert "printed no valid JSON" in error.message
    assert error.detail["stdout"] == "not json\n"


def test_a_shell_command_gets_the_args_as_positional_parameters_not_as_shell_text():
    config = allow({"say": {"shell": True, "argv": 'printf "%s\\n" "$1"', "allow_args": True}})
    outcome = run(Shell, params={"command": "say", "args": ["a; echo injected"]}, config=config)
    assert outcome.result["stdout"] == "a; echo injected\n"


def test_the_last_stdout_line_is_reported_as_progress():
    code = "import time; print('compiling', flush=True); time.sleep(0.6); print('linking', flush=True)"
    outcome = run(Shell, params={"command": "build"},
                  config=allow({"build": python(code)}, progress_interval="0.1s"))
    assert outcome.ok
    assert outcome.progress[0] == {"message": "compiling"}
    assert outcome.progress.count({"message": "compiling"}) == 1  # reported when it changes, not every tick


# ---- the allow-list -------------------------------------------------------------------------------------
def test_a_command_not_in_the_allow_list_is_refused_naming_the_allowed_ones():
    config = allow({"echo": {"argv": ["echo"]}, "true": {"argv": ["true"]}})
    outcome = run(Shell, params={"command": "rm"}, config=config)
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("CommandNotAllowed", False)
    assert error.message == "command 'rm' is not allowed; allowed: echo, true"


def test_an_argv_runs_only_when_it_starts_with_an_allowed_argv():
    config = allow({"git": {"argv": ["git"], "allow_args": True},
                    "describe": {"argv": ["echo", "describe"], "allow_args": True}})
    outcome = run(Shell, params={"command": ["echo", "describe", "--tags"]}, config=config)
    assert outcome.result["stdout"] == "describe --tags\n"
    refused = error_of(run(Shell, params={"command": ["echo", "other"]}, config=config))
    assert refused.type == "CommandNotAllowed"
    assert "allowed: describe, git" in refused.message


def test_args_and_env_need_the_commands_permission():
    config = allow({"echo": {"argv": ["echo"]}})
    args = error_of(run(Shell, params={"command": "echo", "args": ["x"]}, config=config))
    assert args.type == "CommandNotAllowed" and "allow_args" in args.message
    env = error_of(run(Shell, params={"command": "echo", "env": {"LD_PRELOAD": "/tmp/evil.so"}}, config=config))
    assert env.type == "CommandNotAllowed"
    assert env.message == ("command echo may not get env LD_PRELOAD from a process; "
                           "allowed: none (allow_env in its config)")


def test_unknown_params_are_refused_so_a_typo_is_not_ignored():
    error = error_of(run(Shell, params={"command": "echo", "arg": ["x"]}, config=allow({"echo": {"argv": ["echo"]}})))
    assert error.type == "ParticipantError" and "arg: Extra inputs are not permitted" in error.message


# ---- failures -------------------------------------------------------------------------------------------
def test_a_non_zero_exit_is_a_permanent_error_with_the_status_and_the_stderr_tail():
    code = "import sys; print('partial'); print('line 1\\nfatal: no tag found', file=sys.stderr); sys.exit(3)"
    outcome = run(Shell, params={"command": "fail"}, config=allow({"fail": python(code)}))
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("CommandFailed", False)
    assert error.message == "command fail exited with status 3: line 1 | fatal: no tag found"
    assert error.detail["exit_code"] == 3
    assert (error.detail["stdout"], error.detail["stderr"]) == ("partial\n", "line 1\nfatal: no tag found\n")


def test_an_exit_status_listed_as_retryable_is_a_retryable_error():
    outcome = run(Shell, params={"command": "busy"},
                  config=allow({"busy": python("raise SystemExit(75)", retryable_exit_codes=[75])}))
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("CommandFailedTransient", True)


def test_a_program_that_cannot_start_is_a_permanent_error():
    outcome = run(Shell, params={"command": "missing"}, config=allow({"missing": {"argv": ["/nonexistent/tool"]}}))
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("CommandFailed", False)
    assert error.message == "cannot start command missing: No such file or directory: /nonexistent/tool"


def test_output_beyond_max_output_keeps_its_end_and_says_it_was_truncated():
    code = "import sys; sys.stdout.write('a' * 5000 + 'THE END'); sys.stderr.write('short')"
    outcome = run(Shell, params={"command": "chatty"}, config=allow({"chatty": python(code)}, max_output=1024))
    assert len(outcome.result["stdout"]) == 1024
    assert outcome.result["stdout"].endswith("aaaTHE END")
    assert outcome.result["stderr"] == "short"
    assert outcome.result["truncated"] == ["stdout"]


# ---- stopping the process group -------------------------------------------------------------------------
def test_a_timeout_kills_the_whole_process_group_and_is_retryable(tmp_path: Path):
    pidfile = tmp_path / "child.pid"
    config = allow({"hang": {"argv": ["/bin/sh", "-c", STUBBORN_CHILD, "hang"], "allow_args": True}})
    started = time.monotonic()
    outcome = run(Shell, params={"command": "hang", "args": [str(pidfile)], "timeout": "0.5s"}, config=config)
    assert time.monotonic() - started < 5
    error = error_of(outcome)
    assert (error.type, error.retryable) == ("CommandTimedOut", True)
    assert error.message == "command hang timed out after 0.5s and was killed with its process group"
    assert gone(pid_in(pidfile))


def test_a_step_cannot_raise_the_configured_timeout():
    config = allow({"sleep": {"argv": ["sleep", "30"], "timeout": "0.3s"}})
    started = time.monotonic()
    error = error_of(run(Shell, params={"command": "sleep", "timeout": "1h"}, config=config))
    assert error.type == "CommandTimedOut"
    assert time.monotonic() - started < 5


def test_what_a_command_leaves_running_in_its_group_is_stopped_when_it_exits(tmp_path: Path):
    pidfile = tmp_path / "child.pid"
    config = allow({"spawn": {"argv": ["/bin/sh", "-c", 'sleep 30 & echo $! > "$1"', "spawn"], "allow_args": True}})
    outcome = run(Shell, params={"command": "spawn", "args": [str(pidfile)]}, config=config)
    assert outcome.ok
    assert gone(pid_in(pidfile))


def test_cancel_kills_the_process_group_and_the_step_reports_cancelled(tmp_path: Path):
    pidfile = tmp_path / "child.pid"
    shell = Shell()
    config = allow({"hang": {"argv": ["/bin/sh", "-c", STUBBORN_CHILD, "hang"], "allow_args": True}})
    outcomes: list[RunResult] = []
    worker = threading.Thread(target=lambda: outcomes.append(
        run(shell, params={"command": "hang", "args": [str(pidfile)]}, config=config, workitem_id="p/1")))
    worker.start()
    child = pid_in(pidfile)
    started = time.monotonic()
    shell.cancel(Workitem(id="p/1", process_id="test-process", attempt=1))
    worker.join(5)
    assert not worker.is_alive() and time.monotonic() - started < 3
    assert error_of(outcomes[0]).type == "Cancelled"
    assert gone(child)


def test_a_cancelled_workitem_never_starts_its_command(tmp_path: Path):
    marker = tmp_path / "ran"
    config = allow({"touch": {"argv": ["touch", str(marker)]}})
    outcome = run(Shell, params={"command": "touch"}, config=config, cancelled=True)
    assert error_of(outcome).type == "Cancelled"
    assert not marker.exists()


# ---- configuration --------------------------------------------------------------------------------------
def test_a_bad_config_stops_setup_with_one_line_naming_each_problem():
    config = {"commands": {"x": {"argv": []}, "y": {"argv": "make notes"}}, "timeout": "soon", "colour": "red"}
    with pytest.raises(ConfigError) as raised:
        run(Shell, params={"command": "x"}, config=config)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("shell config: ")
    for problem in ("commands.x.argv: List should have at least 1 item", "commands.y: Value error, argv is a list",
                    "timeout: Value error, cannot read duration 'soon'", "colour: Extra inputs are not permitted"):
        assert problem in message


def test_a_missing_allow_list_stops_setup():
    with pytest.raises(ConfigError, match="shell config: no commands: list the commands processes may run"):
        Shell().setup({})


def test_the_sample_config_is_valid_and_its_echo_works():
    config = yaml.safe_load(ETC.read_text())
    outcome = run(Shell, params={"command": "echo", "args": ["released", 1.0]}, config=config)
    assert outcome.result["stdout"] == "released 1.0\n"


def test_skynet_finds_shell_as_a_built_in_participant():
    loaded = load_participant("shell")  # not "is Shell": other tests may drop participants.* from sys.modules
    assert (loaded.__module__, loaded.__qualname__, loaded.name) == ("participants.shell", "Shell", "shell")
    schema = Shell.params_schema()
    assert schema is not None and schema["required"] == ["command"]


# ---- as a daemon over RabbitMQ --------------------------------------------------------------------------
@pytest.mark.integration
def test_the_shell_daemon_replies_over_the_broker_and_a_cancel_kills_its_command(bus: Bus, start_runtime,
                                                                                   tmp_path: Path):
    pidfile = tmp_path / "child.pid"
    start_runtime(Shell, accept_after=0.1, config=allow({
        "read": python("import json, sys; print(json.load(sys.stdin)['version'])"),
        "hang": {"argv": ["/bin/sh", "-c", STUBBORN_CHILD, "hang"], "allow_args": True},
    }))
    sent = bus.workitem("shell", params={"command": "read"}, fields={"version": "2.0"})
    done = bus.final(sent.id)[-1]
    assert done.kind == "done"
    assert done.result is not None and done.result["stdout"] == "2.0\n"

    hanging = bus.workitem("shell", params={"command": "hang", "args": [str(pidfile)]})
    child = pid_in(pidfile)
    bus.cancel("shell", hanging.id, 1)
    error = bus.final(hanging.id)[-1].error
    assert error is not None and error.type == "Cancelled"
    assert gone(child)
