"""``boss engine``: run the engine daemon in the foreground."""

from __future__ import annotations

import logging

import click

from engine.cli.common import reports_errors
from engine.cli.context import settings
from engine.language import Library
from engine.service.core import EngineCore, real_clock
from engine.service.daemon import Daemon
from engine.service.programs import Programs
from engine.store import open_store
from engine.urls import mask_url


@click.command()
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="How much to log (to stderr).")
@reports_errors
def engine(log_level: str) -> None:
    """Run the engine daemon in the foreground: launches, replies, commands and timers.

    Reads BOSS_AMQP_URL, BOSS_STORE_URL and BOSS_PROCESS_PATH (or the config file). Stop it with
    SIGTERM or Ctrl-C: the current batch is finished and committed first.

    \b
    Examples:
      boss engine
      BOSS_STORE_URL=postgresql://boss@db/boss boss engine --log-level debug
    """
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("pika").setLevel(max(logging.WARNING, logging.getLogger().level))
    current = settings()
    store = open_store(current.store_url)
    try:
        core = EngineCore(store, Programs(Library(current.process_path)), current, real_clock(current.clock_offset))
        daemon = Daemon(current, store, core)
        logging.getLogger("boss.engine").info(
            "engine starting: broker %s, store %s", mask_url(current.amqp_url), mask_url(current.store_url))
        daemon.run()
    finally:
        store.close()
