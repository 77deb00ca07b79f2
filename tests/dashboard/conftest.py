"""The dashboard against a real deployment: ``boss engine`` and the echo, slow and flaky participants as
subprocesses on a fresh vhost and SQLite store, a pool agent over an in-memory pool, and the API app (with
its pages) served by uvicorn on a free port.

One deployment for the whole dashboard suite keeps it fast (well under a minute); each test launches the
processes it looks at. Signing in goes through the real login page; the tokens are:

- ``operator-token-for-dashboard`` acts as ``api`` (operate);
- ``reader-token-for-dashboard`` acts as ``reader`` (read only);
- ``alice-token``: ``alice`` (operate), a member of the ``release-managers`` group;
- ``bob-token``: ``bob`` (operate), in no group.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from engine.api.app import create_app
from engine.api.auth import Principal, Tokens
from engine.config import Settings
from skynet.agent import Agent, AgentSettings, MemoryBackend
from standins.server import Running, start
from tests.conftest import Vhosts, wait_for
from tests.integration.conftest import ROOT, Deployment

HERE = Path(__file__).parent
PROCESSES = HERE / "processes"
SCHEDULES = HERE / "schedules.yaml"
OPERATOR = "operator-token-for-dashboard"
READER = "reader-token-for-dashboard"
ALICE = "alice-token"
BOB = "bob-token"
TOKENS = Tokens([(OPERATOR, Principal("api", "operate")), (READER, Principal("reader", "read")),
                 (ALICE, Principal("alice", "operate")), (BOB, Principal("bob", "operate"))])
PROCESS_PATH = [str(PROCESSES), str(ROOT / "processes")]


def artifacts_dir() -> Path:
    """Where the tests leave screenshots: ``$BOSS_TEST_ARTIFACTS``, else ``tests/artifacts`` (git-ignored)."""
    found = Path(os.environ.get("BOSS_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
    found.mkdir(parents=True, exist_ok=True)
    return found


@dataclass
class Site:
    """The served dashboard: ``url`` is its base; :meth:`session` signs in through the login form."""

    url: str
    deployment: Deployment

    def session(self, token: str = OPERATOR) -> requests.Session:
        """A signed-in requests session (through the login form), with the page's CSRF token at hand."""
        session = requests.Session()
        answer = session.post(self.url + "/login", data={"token": token, "next": "/"}, allow_redirects=False,
                              timeout=30)
        assert answer.status_code == 303, answer.text
        return session

    def page(self, path: str, token: str = OPERATOR) -> requests.Response:
        """A page as a signed-in browser gets it."""
        return self.session(token).get(self.url + path, timeout=30)

    def api(self, method: str, path: str, token: str = OPERATOR, **kwargs: Any) -> requests.Response:
        """A JSON API call with a bearer token (to set the scene)."""
        return requests.request(method, self.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                **kwargs)

    def launch(self, definition: str, **fields: Any) -> str:
        answer = self.api("POST", "/api/processes", json={"definition": definition, "fields": fields})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["process_id"])

    def wait_step(self, process_id: str, step: str, status: str, timeout: float = 20) -> None:
        self.deployment.wait_step(process_id, step, status, timeout)


def csrf_of(html: str) -> str:
    """The CSRF token a page gives its script."""
    found = re.search(r'<meta name="boss-csrf" content="([0-9a-f]*)">', html)
    assert found is not None, "no CSRF meta in the page"
    return found.group(1)


@pytest.fixture(scope="session")
def deployment(vhosts: Vhosts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """``boss engine`` with the echo, slow and flaky participants (for the whole dashboard suite)."""
    workdir = tmp_path_factory.mktemp("dashboard")
    amqp_url = f"amqp://guest:guest@127.0.0.1:5672/{vhosts.take()}"
    deployed = Deployment(amqp_url, f"sqlite:///{workdir / 'boss.db'}", workdir,
                          env={"BOSS_PROCESS_PATH": os.pathsep.join(PROCESS_PATH)})
    try:
        deployed.start_engine(BOSS_CONFIG=str(_engine_config(workdir)))
        for participant in ("Echo", "Slow", "Flaky"):
            deployed.participant(participant)
        yield deployed
    except BaseException:
        print(deployed.logs())
        raise
    finally:
        deployed.shutdown()


def _engine_config(workdir: Path) -> Path:
    """The engine's config file: the approver group the approval tests rely on."""
    config = workdir / "boss.yaml"
    config.write_text("engine:\n  groups:\n    release-managers: [alice]\n", encoding="utf-8")
    return config


@pytest.fixture(scope="session")
def pool(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemoryBackend]:
    """A pool agent ``build1`` over an in-memory pool with the programs ``jira`` and ``slack``."""
    backend = MemoryBackend("build1")
    backend.add("jira")
    backend.add("slack", instances=2)
    agent = Agent(AgentSettings(pool="build1", host="build1.example.com", home=tmp_path_factory.mktemp("pool"),
                                amqp_url=deployment.amqp_url, interval=60.0,
                                allow=frozenset({"start", "stop", "restart"})), backend)
    thread = threading.Thread(target=agent.run, name="agent-build1", daemon=True)
    thread.start()
    yield backend
    agent.stop()
    thread.join(5)


@pytest.fixture(scope="session")
def served(deployment: Deployment) -> Iterator[Running]:
    """The API with the dashboard, on the deployment (event streams poll every 0.1 s)."""
    settings = Settings(amqp_url=deployment.amqp_url, store_url=deployment.store_url, process_path=PROCESS_PATH,
                        request_timeout=20, groups={"release-managers": ["alice"]})
    app = create_app(settings, deployment.store, tokens=TOKENS, poll_interval=0.1)
    app.state.dashboard.schedules = str(SCHEDULES)
    running = start(app)
    yield running
    running.stop()


@pytest.fixture
def site(served: Running, deployment: Deployment) -> Site:
    return Site(served.url, deployment)


@pytest.fixture
def pool_ready(site: Site, pool: MemoryBackend) -> MemoryBackend:
    """The pool, once its agent answers."""
    wait_for(lambda: site.api("GET", "/api/pools?wait=0.3").json()["items"], 10, "the pool agent to answer")
    return pool
