"""Render process records as a dated, readable timeline (``boss simulate``; later ``boss launch --follow``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from engine.interpreter.effects import Record
from engine.timing import parse_zone

_SHOWN_STEP_EVENTS = {
    "step.dispatched", "step.done", "step.skipped", "step.failed", "step.continued", "step.recovered",
    "step.waiting", "step.timed_out", "step.cancelled", "step.cancel_requested", "step.retried",
    "step.branch", "step.parked", "step.progress", "step.remaining_done",
}  # fmt: skip


def format_time(at: datetime, tz: str | None = None) -> str:
    """``2026-12-11 15:00 UTC`` or, with a zone, ``2026-12-11 09:00 CST``."""
    local = at.astimezone(parse_zone(tz))
    fmt = "%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M"
    return f"{local.strftime(fmt)} {local.tzname() or ''}".rstrip()


def short(value: Any, limit: int = 70) -> str:
    """A compact one-line JSON rendering."""
    text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(record: Record, every: bool = False) -> str | None:
    """One line of text for a record, or None when the record is not worth a line (unless ``every``).

    The simulator's timeline shows what a release manager plans with; ``boss history`` shows ``every``
    record, since it is the audit trail.
    """
    data = record.data
    kind = record.kind
    if kind.startswith("process."):
        return _describe_process(kind.removeprefix("process."), data)
    if not every and kind not in _SHOWN_STEP_EVENTS and not kind.startswith("approval."):
        return None
    return f"{record.step or record.path}: {_describe_step(kind, data)}"


def _describe_process(what: str, data: dict[str, Any]) -> str:
    if what == "launched":
        fields = " ".join(f"{k}={short(v, 30)}" for k, v in data.get("fields", {}).items())
        return f"process launched {fields}".rstrip()
    if what == "error":
        return f"process waits in ERROR: {data['error']['message']}"
    message = data.get("message")
    return f"process {what.upper() if what in ('done', 'cancelled') else what}" + (f": {message}" if message else "")


def _describe_step(kind: str, data: dict[str, Any]) -> str:
    what = kind.split(".", 1)[1]
    if what == "dispatched":
        attempt = f" (attempt {data['attempt']})" if data.get("attempt", 1) > 1 else ""
        return f"-> {data['participant']}{attempt} {short(data.get('params', {}))}"
    if what == "done":
        extra = data.get("result", data.get("message", ""))
        return "done" + (f" {short(extra)}" if extra not in ("", None, {}) else "")
    if what == "failed":
        handling = data.get("handling", "")
        retry = f" retry {data['retry']}/{data['retries']} in {data['delay']}" if handling == "retry" else ""
        return f"FAILED {data['error']['message']!r} -> {handling}{retry}"
    if what == "waiting":
        until = datetime.fromisoformat(data["until"])
        local = f" = {format_time(until, data['tz'])} ({data['tz']})" if data.get("tz") else ""
        return f"waiting until {format_time(until)}{local}"
    if what == "requested":
        who = f" (by {', '.join(data['by'])})" if data.get("by") else ""
        return f"waiting for approval: {data['prompt']}{who}"
    if what == "answered":
        verdict = "approved" if data["approved"] else "rejected"
        return f"{verdict} by {data['by']}" + (f": {data['comment']}" if data.get("comment") else "")
    if what == "branch":
        return f"takes {data['branch']}"
    if what == "skipped":
        return f"skipped ({data.get('reason', '')})"
    if what == "progress":
        return f"progress {short(data.get('progress', {}))}"
    if what == "started":
        attempt = f", attempt {data['attempt']}" if data.get("attempt", 1) > 1 else ""
        return f"started ({data.get('step_kind', 'step')}{attempt})"
    if what == "accepted":
        return f"accepted by {data.get('instance')}"
    rest = {k: v for k, v in data.items() if v not in (None, "", {}, [])}
    return what.replace("_", " ") + (f" {short(rest)}" if rest else "")


def render_timeline(records: Iterable[Record], tz: str | None = None) -> list[str]:
    """Dated lines; the timestamp is printed only when it changes."""
    lines = []
    last = ""
    for record in records:
        text = describe(record)
        if text is None:
            continue
        stamp = format_time(record.at, tz)
        shown = stamp if stamp != last else ""
        last = stamp
        lines.append(f"{shown:<22} {text}")
    return lines
