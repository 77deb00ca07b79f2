"""What every route of the API shares: the settings, the store, the library, and the ways to reach the engine.

Built once by :func:`engine.api.app.create_app` and handed to routes through the :func:`api` dependency, so
tests can build an app on any store and broker without global state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from engine.api.metrics import Metrics
from engine.api.pools import ClusterFactory
from engine.api.reads import secret_fields
from engine.config import Settings
from engine.language import Library
from engine.store import Store
from engine.transport.client import EngineClient

EngineClientFactory = Callable[[], EngineClient]
SECRETS_CACHE = 256  # programs whose secret field names are remembered


@dataclass
class ApiContext:
    """The API's dependencies (one per app)."""

    settings: Settings
    store: Store
    library: Library
    engine_client: EngineClientFactory  # a new connection per request to the engine
    cluster_client: ClusterFactory  # a new connection per request to the pool agents
    metrics: Metrics
    poll_interval: float = 0.5  # how often an event stream looks for new records, in seconds
    keepalive: float = 15.0  # seconds of silence after which an event stream sends a comment
    _secrets: OrderedDict[str, frozenset[str]] = field(default_factory=OrderedDict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def secrets(self, program: str) -> frozenset[str] | None:
        """The secret field names of a stored program, or None when its snapshot cannot be read.

        Answers are cached (a digest never changes its content), failures are not (the store may come back).
        """
        with self._lock:
            if program in self._secrets:
                self._secrets.move_to_end(program)
                return self._secrets[program]
        found = secret_fields(self.store, program)
        if found is not None:
            with self._lock:
                self._secrets[program] = found
                while len(self._secrets) > SECRETS_CACHE:
                    self._secrets.popitem(last=False)
        return found


def api(request: Request) -> ApiContext:
    """The context of the app serving ``request`` (a FastAPI dependency)."""
    context: ApiContext = request.app.state.boss
    return context


Context = Annotated[ApiContext, Depends(api)]
"""A route parameter: the app's :class:`ApiContext`."""
