"""One-line errors for every command line of boss (``boss``, ``skynet``, the launchers).

interfaces.md promises the same behaviour from every command: a :class:`~engine.errors.BossError` is one
line ``PROG: message`` on stderr and its exit code (2 for bad input), with a Python traceback only under
``--debug``. The three programs share this decorator so that promise is kept in one place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from engine.errors import BossError

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(prog: str, located: bool = False) -> Callable[[F], F]:
    """A decorator turning BossErrors into ``PROG: message`` lines and the error's exit code.

    Args:
        prog: The program name that starts each line.
        located: Print lines that already start with ``file.yaml:line`` (definition problems) as they are.
    """

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except BossError as exc:
                if debugging():
                    raise
                for line in str(exc).splitlines() or [type(exc).__name__]:
                    click.echo(line if located and _is_located(line) else f"{prog}: {line}", err=True)
                raise click.exceptions.Exit(exc.exit_code) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def debugging() -> bool:
    """Whether ``--debug`` was given to the command or to any group above it."""
    context = click.get_current_context(silent=True)
    while context is not None:
        if context.params.get("debug"):
            return True
        context = context.parent
    return False


def _is_located(line: str) -> bool:
    """Definition problems already start with ``file.yaml:line``; they are printed as they are."""
    head = line.split(" ", 1)[0]
    return ":" in head and (head.endswith((".yaml", ".yml")) or ".yaml:" in head or ".yml:" in head)
