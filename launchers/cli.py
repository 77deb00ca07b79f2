"""What the launchers' commands share: one-line errors, logging, settings from the usual places.

``python -m launchers.calendar`` and ``python -m launchers.webhook`` are daemons, so they follow the
``boss`` conventions (interfaces.md): a :class:`BossError` is one line on stderr and exit code 2, with a
traceback only under ``--debug``; settings come from ``--config``, ``$BOSS_CONFIG`` or ``./etc/boss.yaml``,
then ``BOSS_*`` environment variables.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from engine.cli.reporting import one_line_errors

F = TypeVar("F", bound=Callable[..., Any])

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"

config_option = click.option("--config", type=click.Path(dir_okay=False), envvar="BOSS_CONFIG",
                              help="boss configuration file (default $BOSS_CONFIG, else ./etc/boss.yaml).")
debug_option = click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")


def reports_errors(prog: str) -> Callable[[F], F]:
    """Turn BossErrors into ``PROG: message`` lines and their exit code (a traceback only with ``--debug``)."""
    return one_line_errors(prog)


def configure_logging(level: str) -> None:
    """One line per event on stderr; pika only speaks up for warnings."""
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format=LOG_FORMAT)
    logging.getLogger("pika").setLevel(max(logging.WARNING, logging.getLogger().level))
