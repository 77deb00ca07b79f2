"""The REST API against a real deployment: ``boss engine`` and an echo participant as subprocesses, one
fresh vhost and SQLite store per test module, and the API served by uvicorn on a free port.

One deployment per module keeps the suite fast; tests that need a process in a given state launch their
own (through the API), and lists are filtered by definition name so that tests do not see each other's.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from engine.api.app import create_app
from engine.config import Settings
from standins.server import Running, start
from tests.conftest import Vhosts, wait_for
from tests.integration.conftest import Deployment

HERE = Path(__file__).parent
PROCESSES = HERE / "processes"
OPERATOR = "operator-token-for-tests"
READER = "reader-token-for-tests"


@dataclass
class Api:
    """A client of the served API: ``url`` is its base; requests carry the operator token unless told."""

    url: str
    deployment: Deployment | None = None

    def call(self, method: str, path: str, token: str | None = OPERATOR, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, token: str | None = OPERATOR, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, token, **kwargs)

    def post(self, path: str, body: Any = None, token: str | None = OPERATOR, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, token, json=body, **kwargs)

    def launch(self, definition: str, **fields: Any) -> str:
        """Launch through the API; the new process id."""
        answer = self.post("/api/processes", {"definition": definition, "fields": fields})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["process_id"])

    def wait(self, process_id: str, status: str, timeout: float = 20) -> dict[str, Any]:
        """The process, once it is in ``status``."""
        def reached() -> dict[str, Any] | None:
            shown = self.get(f"/api/processes/{process_id}").json()
            return shown if shown["status"] == status else None

        found: dict[str, Any] = wait_for(reached, timeout, f"process {process_id} to be {status}")
        return found

    def wait_step(self, process_id: str, step: str, status: str, timeout: float = 20) -> None:
        def reached() -> bool:
            shown = self.get(f"/api/processes/{process_id}").json()
            return any(s["step"] == step and s["status"] == status for s in shown["steps"])

        wait_for(reached, timeout, f"step {step} of {process_id} to be {status}")


def settings_for(amqp_url: str, store_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {"amqp_url": amqp_url, "store_url": store_url, "process_path": [str(PROCESSES)],
                              "api_token": OPERATOR, "api_read_token": READER, "heartbeat_timeout": 3,
                              "request_timeout": 20, **extra}
    return Settings(**values)


@pytest.fixture(scope="module")
def deployment(vhosts: Vhosts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """``boss engine`` and an echo participant on a fresh vhost and SQLite store (for the whole module)."""
    workdir = tmp_path_factory.mktemp("api")
    amqp_url = f"amqp://guest:guest@127.0.0.1:5672/{vhosts.take()}"
    deployed = Deployment(amqp_url, f"sqlite:///{workdir / 'boss.db'}", workdir,
                          env={"BOSS_PROCESS_PATH": str(PROCESSES)})
    try:
        deployed.start_engine()
        deployed.participant("Echo")
        yield deployed
    except BaseException:
        print(deployed.logs())
        raise
    finally:
        deployed.shutdown()


@pytest.fixture(scope="module")
def served(deployment: Deployment) -> Iterator[Running]:
    """The API on the deployment, served on a free port (event streams poll every 0.1 s)."""
    app = create_app(settings_for(deployment.amqp_url, deployment.store_url), deployment.store, poll_interval=0.1)
    app.state.boss.keepalive = 0.5
    running = start(app)
    yield running
    running.stop()


@pytest.fixture
def api(served: Running, deployment: Deployment) -> Api:
    return Api(served.url, deployment)


class EventReader:
    """Reads a server-sent event stream in a thread, so that tests can wait for an event with a timeout."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.events: list[dict[str, Any]] = []
        self.comments: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event: dict[str, Any] = {}
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line == "":
                    if event:
                        self.events.append(event)
                    event = {}
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    key, _, value = line.partition(":")
                    event[key] = value.removeprefix(" ")
        except (requests.RequestException, AttributeError, ValueError):  # the test closed the stream
            return

    def wait(self, condition: Callable[[dict[str, Any]], bool], timeout: float = 15) -> list[dict[str, Any]]:
        """Every event so far, once one of them meets ``condition`` (``data`` is decoded JSON)."""
        def met() -> list[dict[str, Any]] | None:
            decoded = [{**e, "data": json.loads(e["data"])} for e in list(self.events) if e.get("event") == "process"]
            return decoded if any(condition(e) for e in decoded) else None

        found: list[dict[str, Any]] = wait_for(met, timeout, "an event")
        return found

    def close(self) -> None:
        self.response.close()
        self._thread.join(5)


@pytest.fixture
def stream(api: Api) -> Iterator[Callable[..., EventReader]]:
    """Opens ``GET /api/events`` streams (closed after the test); returns once the stream is connected."""
    opened: list[EventReader] = []

    def open_stream(query: str = "", headers: dict[str, str] | None = None) -> EventReader:
        response = api.get(f"/api/events{query}", stream=True, headers=headers or {})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response)
        opened.append(reader)
        wait_for(lambda: "connected" in reader.comments, 10, "the event stream to connect")
        return reader

    yield open_stream
    for reader in opened:
        reader.close()


def now_iso(offset: float = 0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))

