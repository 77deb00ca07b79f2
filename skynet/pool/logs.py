"""Reading participant logs: the last lines of each instance's log, and following them as they grow.

Instances log to ``SKYNET_HOME/logs/NAME-N.log`` (supervisord writes the files and rotates them at 10 MB).
Reading the files directly rather than through supervisord works with the pool down too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK = 64 * 1024
POLL = 0.2


@dataclass(frozen=True)
class LogLine:
    """One line of an instance's log."""

    instance: str
    text: str


def tail(path: Path, lines: int, end: int | None = None) -> list[str]:
    """The last ``lines`` lines of ``path`` (of its first ``end`` bytes); none when it does not exist."""
    if lines <= 0:
        return []
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            data = b""
            position = size if end is None else min(end, size)
            while position > 0 and data.count(b"\n") <= lines:
                step = min(BLOCK, position)
                position -= step
                handle.seek(position)
                data = handle.read(step) + data
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()[-lines:]


def last_lines(files: dict[str, Path], lines: int) -> list[LogLine]:
    """The last ``lines`` lines of every instance's log, instance after instance."""
    return [LogLine(instance, text) for instance, path in files.items() for text in tail(path, lines)]


def follow(files: dict[str, Path], lines: int, *, stop: Callable[[], bool] = lambda: False,
           poll: float = POLL) -> Iterator[LogLine]:
    """The last ``lines`` lines of each log, then every line appended, until ``stop()`` (or forever).

    A file that shrinks (rotated by supervisord) is read again from its start.
    """
    offsets = {instance: _size(path) for instance, path in files.items()}  # before the tail: no line is missed
    for instance, path in files.items():
        for text in tail(path, lines, end=offsets[instance]):
            yield LogLine(instance, text)
    partial = dict.fromkeys(files, b"")
    while not stop():
        quiet = True
        for instance, path in files.items():
            size = _size(path)
            if size < offsets[instance]:
                offsets[instance], partial[instance] = 0, b""
            if size == offsets[instance]:
                continue
            quiet = False
            with path.open("rb") as handle:
                handle.seek(offsets[instance])
                chunk = partial[instance] + handle.read(size - offsets[instance])
            offsets[instance] = size
            *complete, partial[instance] = chunk.split(b"\n")
            for raw in complete:
                yield LogLine(instance, raw.decode("utf-8", errors="replace"))
        if quiet:
            time.sleep(poll)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
