"""The step kinds; importing this package registers every kind with the interpreter."""

from engine.interpreter.kinds import blocks, foreach, instant, loop, parallel, participant, waiting

__all__ = ["blocks", "foreach", "instant", "loop", "parallel", "participant", "waiting"]
