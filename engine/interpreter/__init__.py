"""The pure interpreter: process state + one event -> new state + effects (no I/O, no clock)."""

from engine.interpreter import kinds as _kinds  # registers every step kind
from engine.interpreter.machine import Transition, advance, launch
from engine.interpreter.state import ProcessState, ProcessStatus

__all__ = ["ProcessState", "ProcessStatus", "Transition", "_kinds", "advance", "launch"]
