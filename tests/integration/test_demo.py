"""The README's main job: the monthly release end to end, as `./dev demo` runs it (python -m demo)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import ROOT


def test_the_demo_runs_the_monthly_release_to_done_and_prints_the_notes(amqp_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "BOSS_AMQP_URL": amqp_url, "BOSS_DEMO_DIR": str(tmp_path / "demo")}

    done = subprocess.run([sys.executable, "-m", "demo"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240, check=False)

    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "is DONE" in output
    assert "# Release 2026.12" in output and "## Features" in output
    assert "Jira     version 2026.12: released=True" in output
    assert "acme/db releases: ['v2026.12']" in output
    assert "STAND-IN" in output
    assert "DASHBOARD http://127.0.0.1:" in output
