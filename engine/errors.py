"""The one exception tree of boss.

Every error a user can cause derives from :class:`BossError`. Its message is a single line that says what
is wrong and where, so that CLIs print it as is (no traceback unless ``--debug``).
"""

from __future__ import annotations


class BossError(Exception):
    """Root of every error boss reports to users; ``exit_code`` is what a CLI exits with."""

    exit_code = 2


class DefinitionError(BossError):
    """A process definition is malformed; carries every problem found in the file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Problem:
    """One problem in a definition, located by file, line and path (``release.yaml:23 steps[2]: ...``)."""

    __slots__ = ("file", "line", "message", "path")

    def __init__(self, message: str, *, file: str = "", line: int | None = None, path: str = "") -> None:
        self.message = message
        self.file = file
        self.line = line
        self.path = path

    def __str__(self) -> str:
        where = self.file or "<definition>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class ExpressionError(BossError):
    """A template or condition is invalid, names an unknown value, or breaks the sandbox's limits."""


class TimeSpecError(BossError):
    """A duration, timestamp, calendar rule or time zone cannot be understood."""


class LaunchError(BossError):
    """Launch fields do not satisfy the definition's field declarations."""


class NotFoundError(BossError):
    """A named thing (process definition, process, step, participant) does not exist."""


class StoreError(BossError):
    """The store cannot be opened, migrated or written (bad URL, database down, schema too new)."""


class TransportError(BossError):
    """The message broker cannot be reached or refused an operation."""


class RequestError(BossError):
    """The engine refused a launch or command (the reason comes from the engine)."""
