"""The ``skynet`` command: a thin click layer over :mod:`skynet.loader`, :mod:`skynet.config` and the runtime.

Every error a user can cause is a :class:`BossError` printed as one line ``skynet: ...`` with exit code 2;
``--debug`` shows the traceback instead. The group is where the pool commands (up, down, install...) join.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from engine.cli.reporting import debugging, one_line_errors

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2F"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


reports_errors = one_line_errors("skynet")
"""Turn BossErrors into one line on stderr and their exit code (a traceback only with --debug)."""


def configure_logging(debug: bool) -> None:
    """One line per event on stderr; DEBUG with --debug (pika's own multi-line errors only then).

    An application that already configured logging (or a test harness) keeps its handlers.
    """
    logging.basicConfig(stream=sys.stderr, format=LOG_FORMAT)
    logging.getLogger().setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("pika").setLevel(logging.INFO if debug else logging.CRITICAL)  # we log one line per event


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
def cli(debug: bool) -> None:
    """skynet: run and manage boss participants.

    \b
    Examples:
      skynet run etc/examples/greeter.py
      skynet run mypackage.jobs:Deploy --name deploy-eu --concurrency 4
    """


@cli.command()
@click.argument("spec")
@click.option("--name", help="Participant name and queue (default: the class's name).")
@click.option("--queue", help="Queue to consume (default: participant.<name>).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Config file (default: $BOSS_ETC/participants/<name>.yaml, else ./etc/...).")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Workitems handled at once (handle must then be thread-safe).")
@click.option("--amqp-url", envvar="BOSS_AMQP_URL", default=DEFAULT_AMQP_URL, show_default="$BOSS_AMQP_URL or "
              "amqp://guest:***@localhost:5672/%2F", help="The broker.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@reports_errors
def run(spec: str, name: str | None, queue: str | None, config_file: str | None, concurrency: int, amqp_url: str,
        debug: bool) -> None:
    """Run the participant SPEC in the foreground until Ctrl-C or SIGTERM.

    SPEC is a built-in name (jira), package.module:Class, an entry point name of the group
    boss.participants, or a path file.py (one Participant subclass inside) or file.py:Class.

    \b
    Examples:
      skynet run etc/examples/greeter.py
      BOSS_GREETER_GREETING=hi skynet run etc/examples/greeter.py:Greeter --name greeter

    Set BOSS_SIGNING_KEY (environment only: never a flag) when the engine signs its workitems.
    """
    from skynet.config import load_config
    from skynet.loader import load_participant
    from skynet.participant import check_name
    from skynet.runtime import run_participant

    configure_logging(debug or debugging())
    participant_cls = load_participant(spec)
    participant_name = check_name(name or participant_cls.name)
    config = load_config(participant_name, config_file=config_file, env=os.environ)
    run_participant(participant_cls, amqp_url=amqp_url, name=participant_name, queue=queue, config=config,
                    concurrency=concurrency, signing_key=os.environ.get("BOSS_SIGNING_KEY") or None)


# Command modules use this module's helpers (reports_errors, configure_logging), so they join the group here.
from skynet.commands import cluster as cluster_commands  # noqa: E402
from skynet.commands import pool as pool_commands  # noqa: E402

pool_commands.register(cli)  # up, down, install, list (with --cluster: cluster_commands.show_cluster)...
cluster_commands.register(cli)


def main() -> None:
    """The console script ``skynet``."""
    cli(prog_name="skynet")
