"""The pool commands: ``skynet up/down/install/uninstall/start/stop/restart/reload/enable/disable/list/status/
log/info/apply/register/unregister`` (and the hidden ``check``). Thin click over :class:`skynet.pool.Pool`.

Every command takes ``--home`` (default ``$SKYNET_HOME``, else ``~/.local/state/skynet``). Errors are one
line, ``skynet: ...``: exit 2 for bad input (unknown participant, bad SPEC, pool down), 1 when an instance
did not do what was asked (did not start, did not stop).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import BaseModel

from skynet.cli import DEFAULT_AMQP_URL, reports_errors
from skynet.commands.pool_view import describe_info, instance_counts, program_lines, status_rows, table
from skynet.pool import Pool, ProgramStatus
from skynet.pool.errors import PoolError

F = TypeVar("F", bound=Callable[..., Any])


def home_option(command: F) -> F:
    """``--home DIR``: the pool directory."""
    return click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="SKYNET_HOME",
                        help="The pool directory (default: $SKYNET_HOME, else ~/.local/state/skynet).")(command)


def names_arguments(command: F) -> F:
    """``NAME... | --all``."""
    command = click.option("--all", "every", is_flag=True, help="Every installed participant.")(command)
    return click.argument("names", nargs=-1)(command)


def open_pool(home: Path | None) -> Pool:
    """The pool at ``--home``, with this shell's environment."""
    return Pool(home, os.environ)


def chosen(pool: Pool, names: Sequence[str], every: bool) -> list[str]:
    """The names given, checked, or all installed ones with ``--all``."""
    if every and names:
        raise PoolError("give participant names or --all, not both")
    return pool.resolve(names, every=every)


def emit_json(data: Any) -> None:
    """Print a model (or a list of them) as JSON."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in data]
    click.echo(json.dumps(data, indent=2))


def warn(message: str) -> None:
    click.echo(f"skynet: warning: {message}", err=True)


# ---- the pool itself ---------------------------------------------------------------------------------
@click.command()
@home_option
@click.option("--foreground", is_flag=True, help="Run supervisord in the foreground (systemd, containers).")
@reports_errors
def up(home: Path | None, foreground: bool) -> None:
    """Start this host's pool: a supervisord of its own, with every enabled participant and the pool agent.

    When the pool is up already, the install records are applied (as skynet apply). The environment of
    this command is inherited by every participant (BOSS_AMQP_URL, BOSS_SIGNING_KEY...), except what a
    participant was installed with.

    \b
    Examples:
      skynet up
      SKYNET_HOME=/var/lib/skynet SKYNET_POOL=build1 skynet up --foreground
    """
    pool = open_pool(home)
    if foreground:
        pool.up_in_foreground()
    result = pool.up()
    if result.started:
        click.echo(f"pool {result.pool} is up (supervisord pid {result.pid}, home {result.home})")
        return
    click.echo(f"pool {result.pool} was up already (supervisord pid {result.pid}); "
               + (_applied(result.applied) if result.applied else "configs applied"))


@click.command()
@home_option
@reports_errors
def down(home: Path | None) -> None:
    """Stop this host's pool: every instance finishes or hands back its work, then supervisord exits.

    \b
    Example:
      skynet down
    """
    pool = open_pool(home)
    pid = pool.down()
    click.echo(f"pool {pool.name} is down (supervisord pid {pid} stopped)" if pid is not None
               else f"pool {pool.name} was not running")


@click.command("apply")
@home_option
@reports_errors
def apply_command(home: Path | None) -> None:
    """Reconcile supervisord with the install records (as supervisorctl update): add, change, remove programs.

    \b
    Example:
      skynet apply
    """
    click.echo(_applied(open_pool(home).apply()))


def _applied(result: Any) -> str:
    parts = [f"{label}: {', '.join(names)}" for label, names in
             (("added", result.added), ("changed", result.changed), ("removed", result.removed)) if names]
    return "; ".join(parts) if parts else "nothing to change"


# ---- installing --------------------------------------------------------------------------------------
@click.command()
@click.argument("spec")
@click.option("--name", help="Participant name and queue (default: the class's name).")
@click.option("--instances", type=click.IntRange(min=1, max=64), default=1, show_default=True,
              help="How many daemons consume the queue.")
@click.option("--queue", help="Queue to consume (default: participant.<name>).")
@click.option("--user", help="Run the instances as this user (the pool must run as root).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Config file (default: $BOSS_ETC/participants/<name>.yaml, else ./etc/...).")
@click.option("--no-start", is_flag=True, help="Install disabled: nothing starts until skynet enable.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@home_option
@reports_errors
def install(spec: str, name: str | None, instances: int, queue: str | None, user: str | None,
            config_file: str | None, no_start: bool, as_json: bool, home: Path | None) -> None:
    """Install the participant SPEC in this pool: check and register it, write its program, start it.

    SPEC is a built-in name (jira), package.module:Class, an entry point name, or file.py (one
    Participant subclass inside) or file.py:Class. The participant is loaded and its setup run once
    before anything is written: a SPEC that cannot run is refused and nothing is installed. An engine
    that does not confirm the registration is a warning (skynet register tries again).

    BOSS_AMQP_URL, BOSS_ETC, BOSS_SIGNING_KEY and the participant's BOSS_<NAME>_* variables of this shell
    are kept for its instances (in files readable by the pool's owner only). Installing again with other
    options updates it (its instances restart); with the same options it changes nothing.

    \b
    Examples:
      skynet install etc/examples/greeter.py --instances 3
      skynet install mypackage.jobs:Deploy --name deploy-eu --config /etc/boss/deploy-eu.yaml
      skynet install jira --user boss --no-start
    """
    result = open_pool(home).install(spec, name=name, instances=instances, queue=queue, user=user,
                                     config=config_file, start=not no_start)
    if as_json:
        emit_json(result)
    else:
        status = result.status
        state = instance_counts(status) if status.enabled else "disabled (skynet enable starts it)"
        registered = "registered with the engine" if result.registered else "not registered"
        click.echo(f"{result.action} {result.name} ({result.info.cls}, queue {status.queue}): {state}; {registered}")
    for warning in result.warnings:
        warn(warning)


@click.command()
@names_arguments
@home_option
@reports_errors
def uninstall(names: tuple[str, ...], every: bool, home: Path | None) -> None:
    """Stop participants, remove them from the pool and unregister them (their logs and queues are kept).

    \b
    Examples:
      skynet uninstall greeter
      skynet uninstall --all
    """
    pool = open_pool(home)
    for result in pool.uninstall(chosen(pool, names, every)):
        what = "unregistered" if result.unregistered else "not unregistered"
        click.echo(f"uninstalled {result.name} ({what})")
        for warning in result.warnings:
            warn(f"{result.name}: {warning}")


@click.command("register")
@names_arguments
@home_option
@reports_errors
def register_command(names: tuple[str, ...], every: bool, home: Path | None) -> None:
    """Register installed participants with the engine (with their params schema); the engine confirms.

    Exits 1 when the engine did not confirm every registration.

    \b
    Example:
      skynet register greeter
    """
    pool = open_pool(home)
    failed = False
    for info in pool.register(chosen(pool, names, every)):
        if info.registered:
            click.echo(f"registered {info.name} (queue {info.queue})")
        else:
            failed = True
            click.echo(f"skynet: {info.name} not registered: {info.registration_error}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@click.command("unregister")
@names_arguments
@home_option
@reports_errors
def unregister_command(names: tuple[str, ...], every: bool, home: Path | None) -> None:
    """Remove installed participants' registrations from the engine (they stay installed).

    \b
    Example:
      skynet unregister greeter
    """
    pool = open_pool(home)
    resolved = chosen(pool, names, every)
    failed = False
    for name, why_not in zip(resolved, pool.unregister(resolved), strict=True):
        if why_not is None:
            click.echo(f"unregistered {name}")
        else:
            failed = True
            click.echo(f"skynet: {name} not unregistered: {why_not}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


# ---- controlling -------------------------------------------------------------------------------------
def _control(verb: str, method: Callable[[Pool, list[str]], list[ProgramStatus]], doc: str) -> click.Command:
    @click.command(verb, help=doc)
    @names_arguments
    @home_option
    @reports_errors
    def command(names: tuple[str, ...], every: bool, home: Path | None) -> None:
        pool = open_pool(home)
        for status in method(pool, chosen(pool, names, every)):
            click.echo(f"{status.name}: {instance_counts(status)}")

    return command


start = _control("start", Pool.start, """Start the instances of participants that are not running.

    \b
    Examples:
      skynet start greeter
      skynet start --all
    """)
stop = _control("stop", Pool.stop, """Stop participants' instances; each finishes or hands back its current work first.

    Workitems wait in the queue until an instance runs again.

    \b
    Example:
      skynet stop greeter
    """)
restart = _control("restart", Pool.restart, """Stop, then start every instance (all at once: see reload).

    \b
    Example:
      skynet restart greeter
    """)
enable = _control("enable", Pool.enable, """Turn autostart and autorestart on, and start the instances.

    \b
    Example:
      skynet enable greeter
    """)
disable = _control("disable", Pool.disable, """Turn autostart and autorestart off, and stop the instances.

    \b
    Example:
      skynet disable greeter
    """)


@click.command()
@names_arguments
@home_option
@reports_errors
def reload(names: tuple[str, ...], every: bool, home: Path | None) -> None:
    """Restart instances one at a time to pick up new code: no gap in service, no workitem lost.

    Each instance finishes (or hands back) its work, restarts, and is consuming again before the next
    one stops. An instance that does not come back stops the reload, leaving the others running.

    \b
    Examples:
      skynet reload greeter
      skynet reload --all
    """
    pool = open_pool(home)
    for status in pool.reload(chosen(pool, names, every), progress=click.echo):
        click.echo(f"{status.name}: {instance_counts(status)}")


# ---- reading -----------------------------------------------------------------------------------------
@click.command("list")
@click.option("--cluster", is_flag=True, help="Every pool on the bus instead of this one (through their agents).")
@click.option("--wait", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="With --cluster: seconds to listen for pools.")
@click.option("--amqp-url", envvar="BOSS_AMQP_URL", default=DEFAULT_AMQP_URL,
              show_default="$BOSS_AMQP_URL or amqp://guest:***@localhost:5672/%2F", help="With --cluster: the broker.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@home_option
@reports_errors
def list_command(cluster: bool, wait: float, amqp_url: str, as_json: bool, home: Path | None) -> None:
    """Installed participants: the state of their instances, enabled, registered.

    \b
    Examples:
      skynet list
      skynet list --json
      skynet list --cluster
    """
    if cluster:
        from skynet.commands.cluster import show_cluster

        show_cluster(wait=wait, as_json=as_json, amqp_url=amqp_url)
        return
    snapshot = open_pool(home).snapshot()
    if as_json:
        emit_json(snapshot)
        return
    if not snapshot.up:
        warn(f"pool {snapshot.pool} at {snapshot.home} is down (skynet up starts it)")
    if not snapshot.programs:
        click.echo(f"no participant is installed in pool {snapshot.pool} (skynet install SPEC)")
        return
    click.echo(table(program_lines(snapshot)))


@click.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@home_option
@reports_errors
def status(name: str | None, as_json: bool, home: Path | None) -> None:
    """Each instance in detail: state, pid, uptime, restarts, the workitem it is working on.

    \b
    Examples:
      skynet status
      skynet status greeter --json
    """
    pool = open_pool(home)
    if name is not None:
        program = pool.status(name)
        if as_json:
            emit_json(program)
        else:
            click.echo(table(status_rows([program])))
        return
    snapshot = pool.snapshot()
    if as_json:
        emit_json(snapshot)
        return
    if not snapshot.up:
        warn(f"pool {snapshot.pool} at {snapshot.home} is down (skynet up starts it)")
    click.echo(table(status_rows(snapshot.programs)))


@click.command()
@click.argument("name")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines (Ctrl-C stops).")
@click.option("-n", "--lines", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many last lines of each instance's log.")
@click.option("--instance", type=click.IntRange(min=0), help="Only instance N (NAME-N).")
@home_option
@reports_errors
def log(name: str, follow: bool, lines: int, instance: int | None, home: Path | None) -> None:
    """A participant's log: every instance's, each line prefixed with the instance when there are several.

    \b
    Examples:
      skynet log greeter -n 100
      skynet log greeter -f --instance 0
    """
    pool = open_pool(home)
    files = pool.log_files(name, instance)
    prefix = len(files) > 1
    entries = pool.follow(name, lines, instance) if follow else iter(pool.log(name, lines, instance))
    try:
        for entry in entries:
            click.echo(f"{entry.instance} | {entry.text}" if prefix else entry.text)
    except KeyboardInterrupt:
        pass


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@home_option
@reports_errors
def info(name: str, as_json: bool, home: Path | None) -> None:
    """What an installed participant is: code location, version, description, params schema, config keys.

    \b
    Example:
      skynet info greeter
    """
    described = open_pool(home).info(name)
    if as_json:
        emit_json(described)
    else:
        click.echo("\n".join(describe_info(described)))


@click.command(hidden=True)
@click.argument("spec")
@click.option("--name")
@click.option("--queue")
@click.option("--config", "config_file")
@click.option("--setup/--no-setup", default=True)
@click.option("--register", "register_pool", metavar="POOL")
@reports_errors
def check(spec: str, name: str | None, queue: str | None, config_file: str | None, setup: bool,
          register_pool: str | None) -> None:
    """Load SPEC, run its setup once, print its description as JSON (install runs this in a child process)."""
    import logging

    from skynet.pool.checks import check_here

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    described = check_here(spec, name=name, queue=queue, config_file=config_file, setup=setup,
                           register_pool=register_pool)
    click.echo(described.model_dump_json())


COMMANDS: tuple[click.Command, ...] = (
    up, down, install, uninstall, start, stop, restart, reload, enable, disable, list_command, status, log, info,
    apply_command, register_command, unregister_command, check,
)


def register(group: click.Group) -> None:
    """Add the pool commands to ``group`` (the ``skynet`` command)."""
    for command in COMMANDS:
        group.add_command(command)
