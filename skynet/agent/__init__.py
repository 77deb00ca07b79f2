"""The pool agent (``skynet agent``): one per pool, it makes the pool visible and steerable on the bus.

- :mod:`~skynet.agent.backend`: what the agent needs from a pool, and an in-memory pool for tests;
- :mod:`~skynet.agent.supervisor`: the real pool, over supervisord's XML-RPC;
- :mod:`~skynet.agent.settings`: pool name, interval, allow-list (``agent.yaml`` < environment < flags);
- :mod:`~skynet.agent.policy`: which control requests are carried out (signature, age, replay, allow-list);
- :mod:`~skynet.agent.agent`: the daemon loop; :mod:`~skynet.agent.link`: its broker connection;
- :mod:`~skynet.agent.client`: the requester's side (``skynet list --cluster``, ``skynet remote``).

The wire messages are in :mod:`engine.transport.pool_messages`.
"""

from skynet.agent.agent import Agent
from skynet.agent.backend import MemoryBackend, PoolActionError, PoolBackend, PoolSnapshot
from skynet.agent.client import ClusterClient, Gathered, NoAgent
from skynet.agent.settings import AgentSettings, load_settings

__all__ = ["Agent", "AgentSettings", "ClusterClient", "Gathered", "MemoryBackend", "NoAgent", "PoolActionError",
           "PoolBackend", "PoolSnapshot", "load_settings"]
