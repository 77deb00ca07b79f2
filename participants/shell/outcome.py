"""Judging a finished command: its result dict, or the error the engine should see.

The engine only knows done or failed (permanent or retryable), so the exit status, a timeout and the
``json_output`` parse are turned into one of them here. Every error carries the result as ``detail`` and
ends its message with the tail of the output, so an operator sees why without opening a log.
"""

from __future__ import annotations

import json
import signal
from typing import Any

from engine.timing.durations import format_duration
from participants.shell.errors import CommandFailed, CommandFailedTransient, CommandTimedOut
from participants.shell.invocation import Invocation

MESSAGE_TAIL_CHARS = 300


def judged(invocation: Invocation, result: dict[str, Any], timed_out: bool, max_output: int) -> dict[str, Any]:
    """The result (with ``data`` for ``json_output``), or the error the engine should see."""
    name, code = invocation.name, result["exit_code"]
    if timed_out:
        raise CommandTimedOut(f"command {name} timed out after {format_duration(invocation.timeout)} and "
                              "was killed with its process group", detail=result)
    if code != 0:
        tail = tail_line(result["stderr"]) or tail_line(result["stdout"])
        message = f"command {name} {exit_text(code)}{f': {tail}' if tail else ''}"
        failure = CommandFailedTransient if code in invocation.spec.retryable_exit_codes else CommandFailed
        raise failure(message, detail=result)
    if invocation.spec.json_output:
        if "stdout" in result["truncated"]:
            raise CommandFailed(f"command {name} printed more than max_output ({max_output} "
                                "bytes): its JSON output was cut", detail=result)
        try:
            result["data"] = json.loads(result["stdout"])
        except json.JSONDecodeError as exc:
            raise CommandFailed(f"command {name} printed no valid JSON: {exc}", detail=result) from None
    return result


def tail_line(text: str) -> str:
    """The last few non-blank lines of ``text`` on one line, for an operator-facing message."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    joined = " | ".join(lines[-3:])
    return joined if len(joined) <= MESSAGE_TAIL_CHARS else "..." + joined[-MESSAGE_TAIL_CHARS:]


def exit_text(code: int) -> str:
    """``exited with status 2`` or ``was killed by SIGKILL``."""
    if code >= 0:
        return f"exited with status {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"
