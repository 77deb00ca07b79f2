"""How the pool commands print: tables of participants and instances, and the description of one participant."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from skynet.pool import PoolStatus, ProgramStatus
from skynet.pool.checks import ParticipantInfo
from skynet.pool.status import InstanceStatus


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart; the first row is the header."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def instance_counts(program: ProgramStatus) -> str:
    """``3/3 running`` or ``1/3 running, 2 backoff``; ``not loaded`` when supervisord lacks the program."""
    if not program.loaded:
        return "not loaded (skynet apply)"
    if not program.instances:
        return "-"
    states = Counter(instance.state.lower() for instance in program.instances)
    running = states.pop("running", 0)
    others = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    return f"{running}/{program.wanted} running" + (f", {others}" if others else "")


def program_lines(snapshot: PoolStatus) -> list[list[str]]:
    """``skynet list``: one row per installed participant."""
    rows = [["NAME", "INSTANCES", "ENABLED", "REGISTERED", "QUEUE", "SPEC"]]
    for program in snapshot.programs:
        rows.append([program.name, instance_counts(program) if snapshot.up else "pool down",
                     _yes(program.enabled), _yes(program.registered), program.queue, program.spec])
    return rows


def status_rows(programs: Iterable[ProgramStatus]) -> list[list[str]]:
    """``skynet status``: one row per instance."""
    rows = [["INSTANCE", "STATE", "PID", "UPTIME", "RESTARTS", "HANDLED", "CURRENT WORKITEM"]]
    now = datetime.now(UTC)
    for program in programs:
        if not program.instances:
            rows.append([program.name, "not loaded" if not program.loaded else "-", "", "", "", "", ""])
        rows.extend(_instance_row(instance, now) for instance in program.instances)
    return rows


def _instance_row(instance: InstanceStatus, now: datetime) -> list[str]:
    current = instance.current
    work = "-"
    if current is not None:
        since = _duration((now - current.since).total_seconds())
        work = (f"{current.workitem} attempt {current.attempt} (process {current.process_id} step {current.step}, "
                f"{since})")
    state = instance.state if instance.state == "RUNNING" else f"{instance.state} ({instance.description})"
    return [instance.name, state, str(instance.pid or "-"), _duration(instance.uptime_seconds),
            str(instance.restarts), "-" if instance.handled is None else str(instance.handled), work]


def describe_info(info: ParticipantInfo) -> list[str]:
    """``skynet info``: the description of a participant, a field per line."""
    lines = [f"name:        {info.name}", f"class:       {info.cls}", f"code:        {info.file or '-'}",
             f"spec:        {info.spec}", f"queue:       {info.queue}", f"version:     {info.version}",
             f"description: {info.description or '-'}",
             f"config keys: {', '.join(info.config_keys) or '-'}"]
    if info.params_schema is None:
        lines.append("params:      any (no Params model)")
    else:
        lines.append("params schema:")
        lines += [f"  {line}" for line in json.dumps(info.params_schema, indent=2).splitlines()]
    return lines


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
