"""``boss serve``: refuses to start without a token; serves the API until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from click.testing import CliRunner

from engine.cli.main import cli
from standins.server import free_port
from tests.conftest import wait_for

ROOT = Path(__file__).parent.parent.parent


def test_serve_without_any_token_refuses_to_start(tmp_path: Path):
    env = {"BOSS_API_TOKEN": "", "BOSS_API_READ_TOKEN": "", "BOSS_STORE_URL": f"sqlite:///{tmp_path / 'b.db'}",
           "BOSS_CONFIG": str(tmp_path / "none.yaml")}
    (tmp_path / "none.yaml").write_text("{}\n")
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 2
    assert result.output.startswith("boss: no API token: set BOSS_API_TOKEN (operator)")


def test_serve_answers_on_its_port_until_sigterm(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "BOSS_API_TOKEN": "serve-test", "BOSS_STORE_URL": f"sqlite:///{tmp_path / 'b.db'}",
           "BOSS_CONFIG": str(tmp_path / "none.yaml")}
    (tmp_path / "none.yaml").write_text("{}\n")
    server = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def healthy() -> bool:
            try:
                return requests.get(f"{base}/api/health", timeout=1).status_code == 200
            except requests.ConnectionError:
                assert server.poll() is None, server.communicate()[0].decode()
                return False

        wait_for(healthy, 20, "boss serve to answer")
        me = requests.get(f"{base}/api/me", headers={"Authorization": "Bearer serve-test"}, timeout=5)
        assert me.json() == {"name": "api", "role": "operate"}
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=15)[0].decode()
    assert server.returncode in (0, -signal.SIGTERM), output  # uvicorn re-raises the signal once it has shut down
    assert "Finished server process" in output
    assert f"serving the dashboard on http://127.0.0.1:{port}/ and the API on /api" in output
