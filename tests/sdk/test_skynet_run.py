"""``skynet run`` as a user runs it: a subprocess answering a workitem end to end, then stopping on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sdk.conftest import Bus

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SKYNET = [sys.executable, "-c", "from skynet.cli import main; main()"]


def test_skynet_run_answers_a_workitem_end_to_end(bus: Bus, amqp_url: str):
    env = {**os.environ, "BOSS_AMQP_URL": amqp_url, "BOSS_ETC": str(ROOT / "etc"), "BOSS_GREETER_TOKEN": "s3cret"}
    env.pop("BOSS_GREETER_GREETING", None)
    process = subprocess.Popen([*SKYNET, "run", "etc/examples/greeter.py"], cwd=ROOT, env=env,
                               stderr=subprocess.PIPE, text=True)
    try:
        bus.events_until(lambda got: any(e.kind == "register" for e in got), timeout=15)
        sent = bus.workitem("greeter", params={"who": "world"}, fields={"greeted": None})
        replies = bus.final(sent.id)
        assert [r.kind for r in replies] == ["accepted", "progress", "done"]
        assert replies[1].progress == {"message": "greeting", "who": "world"}
        assert replies[-1].result == {"text": "hello world"}
        assert replies[-1].fields == {"greeted": "world"}
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "token='***'" not in stderr and "s3cret" not in stderr
    assert "token=***" in stderr and "greeting='hello'" in stderr
    assert "done workitem" in stderr
