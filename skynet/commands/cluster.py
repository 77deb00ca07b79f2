"""``skynet agent``, ``skynet remote`` and ``skynet list --cluster``: every pool on the bus, seen and steered.

Thin click commands over :mod:`skynet.agent`: the agent daemon, and its client (report, act).
``skynet list`` itself belongs to the pool commands; with ``--cluster`` it calls :func:`show_cluster`.
"""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import cast

import click

from engine.cli.reporting import debugging
from engine.transport.pool_messages import ACTIONS, BROADCAST, PoolControlAnswer, RequestKind, valid_pool_name
from skynet.cli import configure_logging, reports_errors

CONTROL_WAIT = 90.0  # longer than a pool program's stop timeout (60 s), so a slow stop still gets its answer
REPORT_WAIT = 1.0
UNVERIFIED = ("ignored {count} answer(s) not signed with our BOSS_SIGNING_KEY: that pool's key differs "
              "(or it has none)")


def signing_key() -> str | None:
    """``BOSS_SIGNING_KEY`` (environment only: never a flag, so it is not in shell history or ``ps``)."""
    return os.environ.get("BOSS_SIGNING_KEY") or None


@click.command()
@click.option("--home", type=click.Path(file_okay=False, path_type=Path),
              help="The pool directory (default: $SKYNET_HOME, else ~/.local/state/skynet).")
@click.option("--pool", "pool_name", help="The pool's name (default: $SKYNET_POOL, else pool.yaml, else the host).")
@click.option("--interval", type=click.FloatRange(min=0, min_open=True),
              help="Seconds between two published states (default: $SKYNET_AGENT_INTERVAL, else 10).")
@click.option("--amqp-url", help="The broker (default: $BOSS_AMQP_URL, else amqp://guest:***@localhost:5672/%2F).")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@reports_errors
def agent(home: Path | None, pool_name: str | None, interval: float | None, amqp_url: str | None,
          debug: bool) -> None:
    """Run this pool's agent in the foreground until Ctrl-C or SIGTERM.

    The agent publishes the pool's state on the bus and carries out start, stop, restart, enable and
    disable requests from other hosts (skynet remote). skynet up runs it inside the pool; run it by hand
    only to debug it.

    \b
    Examples:
      skynet agent
      SKYNET_HOME=/srv/pool-b SKYNET_POOL=b skynet agent --interval 5

    \b
    Environment: BOSS_SIGNING_KEY (requests must then be signed with it), SKYNET_AGENT_ALLOW
    (actions remote requesters may take, e.g. start,restart; none for a read-only pool),
    SKYNET_AGENT_MAX_AGE (seconds a request stays valid, default 60). SKYNET_HOME/agent.yaml may set
    interval, allow and max_age.
    """
    from skynet.agent import Agent, load_settings
    from skynet.agent.supervisor import SupervisorBackend

    configure_logging(debug or debugging())
    settings = load_settings(os.environ, home=home, pool=pool_name, interval=interval, amqp_url=amqp_url)
    daemon = Agent(settings, SupervisorBackend.of(settings.home, settings.pool))

    def stop(_signum: int, _frame: FrameType | None) -> None:
        daemon.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    daemon.run()


@click.command()
@click.argument("action", type=click.Choice(ACTIONS))
@click.argument("programs", nargs=-1, required=True)
@click.option("--pool", "pool_name", required=True, help="The pool to act on, or 'all' for every connected pool.")
@click.option("--wait", type=click.FloatRange(min=0, min_open=True), default=CONTROL_WAIT, show_default=True,
              help="Seconds to wait for the answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the answers as JSON.")
@click.option("--amqp-url", envvar="BOSS_AMQP_URL", default="amqp://guest:guest@localhost:5672/%2F",
              show_default="$BOSS_AMQP_URL or amqp://guest:***@localhost:5672/%2F", help="The broker.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@reports_errors
def remote(action: str, programs: tuple[str, ...], pool_name: str, wait: float, as_json: bool, amqp_url: str,
           debug: bool) -> None:
    """Start, stop, restart, enable or disable PROGRAMS in another pool, through its agent.

    Exits 0 when done, 1 when the action failed (unknown program, supervisord error), 2 when the pool
    refused it (not signed with its BOSS_SIGNING_KEY, action not allowed there) or did not answer in time.

    \b
    Examples:
      skynet remote stop greeter --pool build2
      skynet remote restart jira notes --pool all
    """
    from skynet.agent import ClusterClient, NoAgent

    if pool_name != BROADCAST and not valid_pool_name(pool_name):
        raise click.BadParameter("use letters, digits, '-' and '_' (or 'all')", param_hint="--pool")
    wanted = list(programs)
    with ClusterClient(amqp_url, signing_key=signing_key()) as client:
        expect = None
        if pool_name == BROADCAST:  # how many answers to wait for: as many as there are pools now
            report = client.report(REPORT_WAIT)
            expect = len(report.answers) + report.unverified
            if not expect:
                raise NoAgent(f"no pool agent answered within {REPORT_WAIT:g}s (is any pool up?)")
        gathered = client.request(pool_name, cast(RequestKind, action), wanted, wait=wait, expect=expect)
    answers = gathered.answers
    if as_json:
        from skynet.agent.render import answers_json

        click.echo(json.dumps(answers_json(answers), indent=2))
    else:
        _print_outcomes(answers, action, wanted)
    _exit_for(answers, pool_name, wait, gathered.unverified, expect)


def _print_outcomes(answers: list[PoolControlAnswer], action: str, programs: list[str]) -> None:
    from skynet.agent.render import outcome_line, program_lines

    now = datetime.now(UTC)
    for answer in sorted(answers, key=lambda a: a.pool):
        line = outcome_line(answer, action, programs)
        if not answer.ok:
            click.echo(f"skynet: {line}", err=True)
            continue
        click.echo(line)
        if answer.state is not None:
            for row in program_lines(answer.state, programs, now):
                click.echo(f"  {row}")


def _exit_for(answers: list[PoolControlAnswer], pool: str, wait: float, unverified: int,
              expect: int | None) -> None:
    """Exit 2 when a pool did not answer (or not with our key) or refused, 1 when an action failed."""
    if unverified:
        click.echo(f"skynet: {UNVERIFIED.format(count=unverified)}", err=True)
    missing = len(answers) + unverified < (expect if expect is not None else 1)
    if missing:
        who = f"pool {pool}" if pool != BROADCAST else f"{(expect or 0) - len(answers) - unverified} pool(s)"
        click.echo(f"skynet: no answer from {who} within {wait:g}s (raise --wait; the action may still be "
                   "running: skynet list --cluster shows the state)", err=True)
    if missing or unverified or any(answer.refused for answer in answers):
        raise click.exceptions.Exit(2)
    if not all(answer.ok for answer in answers):
        raise click.exceptions.Exit(1)


def show_cluster(*, wait: float, as_json: bool, amqp_url: str) -> None:
    """Print every pool connected to the bus (``skynet list --cluster``): the answers to a ``report``.

    Pools answer within milliseconds; ``wait`` is how long to listen, since nobody knows how many there are.
    """
    from skynet.agent import ClusterClient
    from skynet.agent.render import answers_json, cluster_rows, table

    with ClusterClient(amqp_url, signing_key=signing_key()) as client:
        gathered = client.report(wait)
    if as_json:
        click.echo(json.dumps(answers_json(gathered.answers), indent=2))
    elif gathered.answers:
        click.echo(table(cluster_rows(gathered.answers, datetime.now(UTC))))
    else:
        click.echo(f"no pool answered within {wait:g}s (is any pool up? `skynet up` starts a pool and its agent)",
                   err=True)
    if gathered.unverified:
        click.echo(f"skynet: {UNVERIFIED.format(count=gathered.unverified)}", err=True)
    from skynet.agent.render import name_clashes

    for line in name_clashes(gathered.answers):
        click.echo(f"skynet: {line}", err=True)


def register(group: click.Group) -> None:
    """Add ``agent`` and ``remote`` to ``group`` (``skynet list --cluster`` is the pool's ``list`` calling
    :func:`show_cluster`)."""
    group.add_command(agent)
    group.add_command(remote)
