"""Serve a stand-in (a FastAPI app) on a free local port, in a thread or in the foreground.

Tests start one per test (:func:`serve` as a context manager); the demo runs them all in one process
(``python -m standins``). uvicorn does the HTTP; nothing here parses requests by hand.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    """A stand-in being served: its base URL and the uvicorn server (to stop it)."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(10)


def start(app: FastAPI, host: str = "127.0.0.1", port: int | None = None) -> Running:
    """Serve ``app`` in a daemon thread; returns once it accepts connections."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"standin-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the stand-in did not start on {host}:{port}")
        time.sleep(0.01)
    return Running(url=f"http://{host}:{port}", server=server, thread=thread)


@contextmanager
def serve(app: FastAPI, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """``with serve(app) as url:`` — the stand-in runs for the block."""
    running = start(app, host, port)
    try:
        yield running.url
    finally:
        running.stop()
