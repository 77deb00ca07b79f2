"""The wire format of pool agents: pool states, control requests and their answers (``"v": 1`` JSON).

Every host runs a pool (a supervisord with its participant programs) and, in it, a pool agent
(``skynet agent``). The agent publishes the pool's state on ``boss.events`` and carries out control requests
sent to ``boss.control``, so ``skynet list --cluster`` and the dashboard see and steer every host.

Routing keys (pool names never contain dots, so they are one word of a topic routing key):

- ``pool.<pool>.state`` on ``boss.events``: a :class:`PoolState`, every few seconds and after each action;
  subscribe to ``pool.*.state`` to follow every pool.
- ``pool.<pool>`` on ``boss.control``: a :class:`PoolControl` for one pool; ``pool.all`` reaches every
  agent (``all`` is therefore not a valid pool name). The request also names its target pool in its body,
  which is what the (signed) body binds it to.
- The agent answers on the request's ``reply_to`` (RabbitMQ direct reply-to only) with a
  :class:`PoolControlAnswer`, correlated by ``request_id``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.transport.messages import CurrentWork, Message

BROADCAST = "all"
POOL_STATES = "pool.*.state"  # the binding that follows every pool's state on boss.events
POOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")

Action = Literal["start", "stop", "restart", "enable", "disable"]
ACTIONS: tuple[Action, ...] = ("start", "stop", "restart", "enable", "disable")
RequestKind = Literal["report", "start", "stop", "restart", "enable", "disable"]


def valid_pool_name(name: str) -> bool:
    """Whether ``name`` can name a pool: letters, digits, ``-`` and ``_``, not ``all`` (the broadcast word)."""
    return bool(POOL_NAME.match(name)) and name != BROADCAST


def pool_name_from_host(host: str) -> str:
    """A pool name derived from a host name: every character a pool name cannot hold becomes ``-``.

    ``build1.example.com`` becomes ``build1-example-com``: dots would split the routing key.
    """
    name = re.sub(r"[^A-Za-z0-9_-]", "-", host).strip("-_")[:63] or "pool"
    return name if name != BROADCAST else "all-pool"


def pool_state_route(pool: str) -> str:
    """Routing key of a pool's state on ``boss.events``."""
    return f"pool.{pool}.state"


def pool_control_route(pool: str) -> str:
    """Routing key of control requests on ``boss.control`` for one pool, or every pool with ``all``."""
    return f"pool.{pool}"


class InstanceState(BaseModel):
    """One process of a program, as supervisord and the instance's status file see it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str  # supervisord's process name: NAME-0, NAME-1, ...
    state: str  # supervisord's state name: RUNNING, STARTING, STOPPED, BACKOFF, FATAL, EXITED, ...
    pid: int | None = None
    started_at: datetime | None = None
    uptime_seconds: float | None = None
    restarts: int | None = None  # spawns since supervisord started, minus the first
    description: str = ""  # supervisord's one-liner ("pid 12, uptime 0:01:02", "Exited too quickly")
    instance: str | None = None  # the SDK's instance id (the ``instance`` of its replies and heartbeats)
    current: CurrentWork | None = None  # the workitem it is working on
    handled: int | None = None  # workitems handled since it started


class ProgramState(BaseModel):
    """A program of the pool (one installed participant) and its instances."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    spec: str | None = None
    queue: str | None = None
    wanted: int | None = None  # instances installed
    enabled: bool = True
    registered: bool | None = None  # the engine confirmed its registration
    loaded: bool = True  # supervisord has the program (False: the pool needs ``skynet apply``)
    instances: list[InstanceState] = []

    @property
    def running(self) -> int:
        """How many instances are RUNNING."""
        return sum(1 for instance in self.instances if instance.state == "RUNNING")


class PoolState(Message):
    """Agent -> ``boss.events`` ``pool.<pool>.state``: what runs in one pool, at ``sent_at``."""

    host: str
    pool: str
    skynet_home: str | None = None
    agent: Literal["running", "stopped"] = "running"  # "stopped": the agent's last word before it exits
    agent_started_at: datetime
    sent_at: datetime
    programs: list[ProgramState] = []
    error: str | None = None  # the pool could not be read, or supervisord is down (programs without instances)


class PoolControl(Message):
    """Anyone -> ``boss.control`` ``pool.<pool>``: report the state, or act on programs of a pool.

    ``report`` reads only; the other actions change the pool and must be allowed by the agent.
    """

    request_id: str = Field(min_length=1)
    pool: str = Field(min_length=1)  # the target pool, or "all"
    action: RequestKind
    programs: list[str] = []
    by: str | None = None
    sent_at: datetime


class PoolControlAnswer(Message):
    """Agent -> the requester's ``reply_to``: the request was carried out (``ok``), or not (``error``).

    ``refused`` tells a request the agent would not take (unsigned, stale, not allowed) from an action that
    was tried and failed (unknown program, supervisord error).
    """

    request_id: str
    pool: str
    host: str
    ok: bool
    refused: bool = False
    error: str | None = None
    state: PoolState | None = None
