"""``boss launch / ps / show / history / errors / participants`` and the process commands.

Writes (launch, cancel, retry...) are requests to the engine, which answers them; reads come straight
from the store. Every command accepts a unique prefix of a process id.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import click

from engine.api import commands
from engine.api.reads import participant_listing, process_summary, secret_fields
from engine.cli import render
from engine.cli.common import collect_fields, print_json, reports_errors, with_fields
from engine.cli.context import client, resolve_process, send_command, settings, store, user
from engine.language import Library
from engine.transport.messages import ResponseMessage

FINAL = ("done", "cancelled", "error")  # error: waits for an operator, but --wait is over


@click.command()
@click.argument("process")
@with_fields
@click.option("--wait", is_flag=True, help="Wait until the process is done (exit 0) or fails (exit 1).")
@click.option("--follow", is_flag=True, help="Print the process's steps as they happen (implies --wait).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@reports_errors
def launch(process: str, assignments: tuple[str, ...], fields_file: str | None, wait: bool, follow: bool,
           as_json: bool) -> None:
    """Start a process by name (on BOSS_PROCESS_PATH) or from a YAML file; prints its id.

    \b
    Examples:
      boss launch hello -f who=world --follow
      boss launch monthly-release -f version=2026.12
      boss launch ./my-process.yaml --fields-file fields.yaml --wait
    """
    library = Library(settings().process_path)
    program = library.program(process)
    fields = collect_fields(program.definition, assignments, fields_file)
    is_file = process.endswith((".yaml", ".yml")) or "/" in process
    # checks the fields before anything is sent; a file goes inline, with the definitions it calls
    request = commands.launch_request(program, fields, name=None if is_file else process, by=user())
    with client() as engine:
        answer = commands.launch(engine, request)
    for warning in answer.warnings:
        click.echo(f"boss: warning: {warning}", err=True)
    if as_json:
        print_json(answer.model_dump())
    else:
        click.echo(answer.process_id)
    if wait or follow:
        assert answer.process_id is not None
        raise click.exceptions.Exit(follow_process(answer.process_id, show=follow))


def follow_process(process_id: str, show: bool, poll: float = 0.25) -> int:
    """Wait for a process to finish or fail, printing its history when ``show``; the exit code.

    The state is read before the history: one commit writes both, so once the state is final the
    history read after it holds every record up to the end.
    """
    seen = 0
    while True:
        row = store().get_process(process_id)
        if show:
            rows = store().history(process_id, after_seq=seen)
            for line in render.history_lines(rows):
                click.echo(line)
            seen = rows[-1].seq if rows else seen
        if row is not None and row.status in FINAL:
            if show:
                click.echo(f"process {process_id} is {row.status}")
            return 0 if row.status == "done" else 1
        time.sleep(poll)


@click.command()
@click.option("--state", "states", help="Comma-separated states: running,error,paused,done,cancelled.")
@click.option("--name", help="Only processes of this definition.")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def ps(states: str | None, name: str | None, limit: int, as_json: bool) -> None:
    """List processes, newest first.

    \b
    Examples:
      boss ps
      boss ps --state running,error --name monthly-release
    """
    wanted = [s.strip() for s in states.split(",") if s.strip()] if states else []
    rows = store().list_processes(statuses=wanted, name=name, limit=limit)
    if as_json:
        print_json([process_summary(r) for r in rows])
        return
    lines = render.table(["ID", "NAME", "STATE", "LAUNCHED", "AGE", "ERROR"], [render.process_line(r) for r in rows])
    click.echo("\n".join(lines) if rows else "no processes")


@click.command()
@click.argument("process_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def show(process_id: str, as_json: bool) -> None:
    """Show a process: state, fields, and its step tree with attempts, times, progress and errors."""
    pid = resolve_process(process_id)
    row = store().get_process(pid)
    assert row is not None
    steps = store().steps(pid)
    from engine.language import redact

    fields = redact(row.state.fields, secret_fields(store(), row.program) or frozenset())
    if as_json:
        print_json({**process_summary(row), "fields": fields, "steps": steps})
        return
    version = f" v{row.version}" if row.version else ""
    click.echo(f"process {row.id}  {row.name}{version}  {row.status.upper()}  launched {render.when(row.launched_at)}")
    if row.error_step:
        click.echo(f"error at {row.error_step}: {row.error_message}")
        click.echo(f"  fix the cause, then: boss retry {row.id} [-f key=value]   or: boss skip {row.id}")
    click.echo("fields: " + ", ".join(f"{k}={render.short(v, 40)}" for k, v in fields.items()))
    click.echo("\n".join(render.step_tree(steps)))


@click.command()
@click.argument("process_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def history(process_id: str, as_json: bool) -> None:
    """The audit trail of every event of a process."""
    rows = store().history(resolve_process(process_id))
    if as_json:
        print_json(rows)
        return
    click.echo("\n".join(render.history_lines(rows)))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def errors(as_json: bool) -> None:
    """Processes waiting in error, with the failing step and message."""
    rows = store().errors()
    if as_json:
        print_json([process_summary(r) for r in rows])
        return
    if not rows:
        click.echo("no process is in error")
        return
    click.echo("\n".join(render.table(["ID", "NAME", "STEP", "MESSAGE", "SINCE"], [
        [r.id, r.name, r.error_step, render.short(r.error_message, 70), render.when(r.updated_at)] for r in rows])))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def participants(as_json: bool) -> None:
    """Registered participants with their params schema, and their instances with the last heartbeat.

    A participant is registered by ``skynet install`` / ``skynet register`` (and by every instance when
    it starts). An instance is ``alive`` while its heartbeats keep coming (within the engine's heartbeat
    timeout), ``silent`` after that (killed, or cut off from the broker); one that stops cleanly says
    goodbye and is removed.
    """
    listing = participant_listing(store().registrations(), store().instances(), datetime.now(UTC),
                                  timedelta(seconds=settings().heartbeat_timeout))
    if as_json:
        print_json(listing)
        return
    if not listing:
        click.echo("no participant has registered (install one: skynet install SPEC; or skynet run SPEC)")
        return
    rows = []
    for entry in listing:
        params = ", ".join(((entry["params_schema"] or {}).get("properties") or {}).keys()) or "-"
        rows.append([entry["participant"], entry["queue"], ", ".join(entry["pools"]) or "-",
                     entry["version"] or "-", f"{entry['alive']}/{len(entry['instances'])}", params])
    click.echo("\n".join(render.table(["PARTICIPANT", "QUEUE", "POOLS", "VERSION", "ALIVE", "PARAMS"], rows)))
    instances = [i for entry in listing for i in entry["instances"]]
    if instances:
        click.echo("")
        click.echo("\n".join(render.table(
            ["INSTANCE", "HOST", "POOL", "STATE", "LAST HEARTBEAT", "CURRENT", "HANDLED"],
            [[i["instance"], i["host"], i["pool"], i["state"], render.when(i["last_seen"]),
              (i["current"] or {}).get("step", "idle"), i["handled"]] for i in instances])))


def _simple(command: str, help_text: str) -> click.Command:
    @click.command(name=command, help=help_text)
    @click.argument("process_id")
    @click.option("-m", "--message", default="", help="Why (kept in the history).")
    @click.option("--json", "as_json", is_flag=True, help="Print the engine's answer as JSON.")
    @reports_errors
    def act(process_id: str, message: str, as_json: bool) -> None:
        answer = send_command(resolve_process(process_id), command, comment=message)
        say(answer, f"{command} done", as_json)

    return act


cancel = _simple("cancel", "Cancel a process: running work gets cancel requests, then on_cancel runs.")
pause = _simple("pause", "Pause a process: running steps finish, no new step starts.")
resume = _simple("resume", "Resume a paused process.")


@click.command()
@click.argument("process_id")
@click.option("--step", help="The failed step to retry (needed when several failed).")
@click.option("-f", "--field", "assignments", multiple=True, metavar="KEY=VALUE", help="Correct a field first.")
@click.option("--json", "as_json", is_flag=True, help="Print the engine's answer as JSON.")
@reports_errors
def retry(process_id: str, step: str | None, assignments: tuple[str, ...], as_json: bool) -> None:
    """Re-run the failed step, optionally with corrected fields.

    \b
    Examples:
      boss retry 261122-ab12 -f jenkins_job=load-tests-v2
      boss retry 261122-ab12 --step cut-branches
    """
    fields = collect_fields(None, assignments, None)
    answer = send_command(resolve_process(process_id), "retry", step=step, fields=fields)
    say(answer, "retrying", as_json)


@click.command()
@click.argument("process_id")
@click.option("--step", help="The failed step to skip (needed when several failed).")
@click.option("--json", "as_json", is_flag=True, help="Print the engine's answer as JSON.")
@reports_errors
def skip(process_id: str, step: str | None, as_json: bool) -> None:
    """Mark the failed step skipped and go on."""
    answer = send_command(resolve_process(process_id), "skip", step=step)
    say(answer, "skipped", as_json)


@click.command()
@click.argument("process_id")
@click.option("--step", help="The approve step to answer (needed when several wait).")
@click.option("--reject", is_flag=True, help="Answer no.")
@click.option("-m", "--message", default="", help="A comment kept with the answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the engine's answer as JSON.")
@reports_errors
def approve(process_id: str, step: str | None, reject: bool, message: str, as_json: bool) -> None:
    """Answer an approve step (as $BOSS_USER, else your login name).

    \b
    Examples:
      boss approve 261122-ab12 -m "load tests look good"
      boss approve 261122-ab12 --step go-no-go --reject -m "wait for the hotfix"
    """
    answer = send_command(resolve_process(process_id), "approve", step=step, approved=not reject, comment=message)
    say(answer, "rejected" if reject else "approved", as_json)


def say(answer: ResponseMessage, what: str, as_json: bool) -> None:
    """Print the engine's answer to a command: one line, or JSON."""
    if as_json:
        print_json(answer.model_dump(mode="json"))
    else:
        click.echo(f"{answer.process_id}: {what}, process is {answer.status}")
