"""How pool states and answers read in a terminal and in ``--json``: pure functions over the messages."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from engine.transport.pool_messages import PoolControlAnswer, PoolState, ProgramState

COLUMNS = ("POOL", "HOST", "PROGRAM", "ENABLED", "RUNNING", "STATES", "SEEN")


def cluster_rows(answers: list[PoolControlAnswer], now: datetime) -> list[tuple[str, ...]]:
    """One row per program of every pool, sorted by pool; a pool without programs gets one row saying why."""
    rows: list[tuple[str, ...]] = []
    for answer in sorted(answers, key=lambda a: (a.pool, a.host)):
        state = answer.state
        if state is None:
            rows.append((answer.pool, answer.host, f"(refused: {answer.error})", "", "", "", ""))
            continue
        seen = _ago(state.sent_at, now)
        if state.error or not state.programs:
            rows.append((state.pool, state.host, f"({state.error or 'no programs'})", "", "", "", seen))
        rows.extend((state.pool, state.host, program.name, "yes" if program.enabled else "no",
                     f"{program.running}/{len(program.instances)}", instance_states(program), seen)
                    for program in state.programs)
    return rows


def table(rows: list[tuple[str, ...]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Left-aligned columns as wide as their widest cell (the last column is not padded)."""
    widths = [max(len(row[i]) for row in [columns, *rows]) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in [columns, *rows])


def instance_states(program: ProgramState) -> str:
    """``RUNNING`` for one instance or all alike, else counts: ``2 RUNNING, 1 BACKOFF``."""
    counts = Counter(instance.state for instance in program.instances)
    if not counts:
        return "-"
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{count} {state}" for state, count in counts.most_common())


def answers_json(answers: list[PoolControlAnswer]) -> list[dict[str, Any]]:
    """The answers as ``--json`` prints them: pool, host, ok, refused, error, state; sorted by pool."""
    return [answer.model_dump(mode="json", exclude={"request_id", "v"})
            for answer in sorted(answers, key=lambda a: (a.pool, a.host))]


def name_clashes(answers: list[PoolControlAnswer]) -> list[str]:
    """A warning per pool name that more than one agent answered to: every one of them acts on requests
    for that name, so each pool needs its own."""
    hosts: dict[str, list[str]] = {}
    for answer in answers:
        hosts.setdefault(answer.pool, []).append(answer.host)
    return [f"{len(found)} agents answer as pool {pool} (hosts {', '.join(sorted(found))}): each acts on requests "
            "for it; give every pool its own name (SKYNET_POOL before skynet up)"
            for pool, found in sorted(hosts.items()) if len(found) > 1]


def outcome_line(answer: PoolControlAnswer, action: str, programs: list[str]) -> str:
    """One line about one pool's answer to an action: done, failed or refused."""
    what = f"{action} {' '.join(programs)}".strip()
    if answer.ok:
        return f"pool {answer.pool} ({answer.host}): {what}: done"
    return f"pool {answer.pool} ({answer.host}): {what}: {'refused' if answer.refused else 'failed'}: {answer.error}"


def program_lines(state: PoolState, programs: list[str], now: datetime) -> list[str]:
    """The rows of ``state`` about ``programs``, as a small table (for ``skynet remote``)."""
    answer = PoolControlAnswer(request_id="-", pool=state.pool, host=state.host, ok=True, state=state)
    rows = [row for row in cluster_rows([answer], now) if row[2] in programs]
    return table(rows).splitlines() if rows else []


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"
