"""The working context of one transition: the state being changed, the effects so far, a work queue.

Handlers never recurse into each other: they enqueue follow-up work (``later``), and the queue is drained
until the process is quiet. This keeps the Python stack flat however long a run of instant steps is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.interpreter.effects import Effect, Record, StartTimer, StopTimer
from engine.interpreter.state import Node, ProcessState, Purpose, Role, Timer
from engine.language import Program
from engine.language.keys import RESERVED_NAMES
from engine.language.model import Definition, Step


@dataclass(frozen=True)
class ChildDone:
    """A child node finished: what its parent needs to know."""

    child: str
    slot: int
    changes: dict[str, Any] | None = None
    control: str | None = None  # "break" / "continue" from a loop body


class Run:
    """Mutable context of one call of the interpreter."""

    def __init__(self, program: Program, state: ProcessState, now: datetime) -> None:
        self.program = program
        self.state = state
        self.now = now
        self.effects: list[Effect] = []
        self.rejected: str | None = None
        self._queue: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()

    # ---- the work queue ----------------------------------------------------------------------------
    def later(self, handler: Callable[..., None], *args: Any) -> None:
        """Run ``handler(*args)`` once the current handler returns."""
        self._queue.append((handler, args))

    def drain(self) -> None:
        """Run queued work until there is none."""
        while self._queue:
            handler, args = self._queue.popleft()
            handler(*args)

    # ---- nodes -------------------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        """A fresh id, unique within the process; deterministic (no randomness)."""
        self.state.counter += 1
        return f"{prefix}{self.state.counter}"

    def add_node(self, *, parent: Node | None, role: Role, definition: str, path: str, slot: int = 0,
                 purpose: Purpose = Purpose.BODY, locals_: dict[str, Any] | None = None,
                 isolated: bool = False) -> Node:
        """Create a node (not started yet) under ``parent``."""
        node = Node(id=self.new_id("n"), parent=parent.id if parent else None, role=role, definition=definition,
                    path=path, purpose=purpose, started_at=self.now, slot=slot, locals=locals_ or {},
                    changes={} if isolated else None)
        self.state.nodes[node.id] = node
        if parent is not None:
            parent.children.append(node.id)
        return node

    def node(self, node_id: str | None) -> Node | None:
        """The node with this id, if it is still in the tree."""
        return self.state.nodes.get(node_id) if node_id is not None else None

    def parent_of(self, node: Node) -> Node | None:
        """The node's parent, if any."""
        return self.node(node.parent)

    def definition_of(self, node: Node) -> Definition:
        """The definition a node's path belongs to."""
        return self.program.definitions[node.definition]

    def step_of(self, node: Node) -> Step:
        """The step a STEP node runs."""
        return self.definition_of(node).step_at(node.path)

    def label_of(self, node: Node) -> str:
        """The name users see for a node."""
        if node.role is Role.STEP:
            return self.step_of(node).label
        if node.role is Role.PROCESS:
            return self.state.name
        return node.path

    def ancestors(self, node: Node) -> list[Node]:
        """The node's ancestors, nearest first."""
        chain = []
        current = self.parent_of(node)
        while current is not None:
            chain.append(current)
            current = self.parent_of(current)
        return chain

    # ---- scopes ------------------------------------------------------------------------------------
    def view(self, node: Node) -> dict[str, Any]:
        """The fields as seen from ``node``: process fields overlaid by ancestors' changes and locals."""
        merged = dict(self.state.fields)
        for scope in reversed([node, *self.ancestors(node)]):
            if scope.changes:
                merged.update(scope.changes)
            if scope.locals:
                merged.update(scope.locals)
        return merged

    def scope(self, node: Node, **extra: Any) -> dict[str, Any]:
        """What expressions at ``node`` see: its view plus the reserved names."""
        names = self.view(node)
        names["process"] = {"id": self.state.id, "name": self.state.name, "version": self.state.version,
                            "launched_at": self.state.launched_at.isoformat()}
        names["now"] = self.now
        names.update(extra)
        return names

    def write(self, node: Node, key: str, value: Any) -> None:
        """Set a field from ``node``: into the nearest local of that name, isolated branch, or the process."""
        current: Node | None = node
        while current is not None:
            if key in current.locals:
                current.locals[key] = value
                return
            if current.changes is not None:
                current.changes[key] = value
                return
            current = self.parent_of(current)
        self.state.fields[key] = value

    def workitem_fields(self, node: Node) -> dict[str, Any]:
        """The fields a participant receives: the view without the reserved names."""
        return {k: v for k, v in self.view(node).items() if k not in RESERVED_NAMES}

    # ---- timers and records ------------------------------------------------------------------------
    def start_timer(self, node: Node, purpose: str, due: datetime) -> None:
        """Start (or restart) the node's timer for ``purpose``."""
        self.stop_timer(node, purpose)
        timer_id = self.new_id("t")
        node.timers[purpose] = timer_id
        self.state.timers[timer_id] = Timer(id=timer_id, node=node.id, purpose=purpose, due=due)
        self.effects.append(StartTimer(timer=timer_id, due=due))

    def stop_timer(self, node: Node, purpose: str) -> None:
        """Stop the node's timer for ``purpose``, if it has one."""
        timer_id = node.timers.pop(purpose, None)
        if timer_id is not None and self.state.timers.pop(timer_id, None) is not None:
            self.effects.append(StopTimer(timer=timer_id))

    def stop_timers(self, node: Node) -> None:
        """Stop every timer of a node."""
        for purpose in list(node.timers):
            self.stop_timer(node, purpose)

    def record(self, kind: str, node: Node | None = None, **data: Any) -> None:
        """Append a history record about the process or one of its nodes."""
        if node is None:
            self.effects.append(Record(kind=kind, at=self.now, data=data))
            return
        self.effects.append(Record(kind=kind, at=self.now, node=node.id, step=self.label_of(node),
                                   path=node.path, data=data))

    def reject(self, reason: str) -> None:
        """Refuse the command being applied; the state is left as it was."""
        self.rejected = reason
