"""``boss validate`` and ``boss simulate``: the language commands (no broker; validate reads the registry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from engine.cli.common import collect_fields, parse_when, print_json, reports_errors, with_fields
from engine.cli.context import settings
from engine.errors import BossError, DefinitionError, StoreError
from engine.language import Library, launch_fields, redact
from engine.language.params_check import check_params
from engine.language.source import read_yaml
from engine.simulate import Outcome, Simulation, read_script, render_timeline
from engine.simulate.timeline import short
from engine.store import open_store


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--no-registry", is_flag=True, help="Do not check params against registered participants.")
@reports_errors
def validate(files: tuple[str, ...], as_json: bool, no_registry: bool) -> None:
    """Check process definitions: schema, expressions, references, step names, and participant params.

    Params are checked against the JSON Schemas of the participants registered in the store
    (BOSS_STORE_URL), when it exists; participants nobody registered are not checked.

    \b
    Examples:
      boss validate processes/*.yaml
      boss validate --json release.yaml
    """
    library = Library()
    schemas = {} if no_registry else registered_schemas()
    results = [_validate_one(library, path, schemas) for path in files]
    if as_json:
        print_json(results)
    else:
        for result in results:
            if result["ok"]:
                click.echo(f"ok    {result['file']}  ({result['name']}, {result['steps']} steps)")
            else:
                for problem in result["problems"]:
                    click.echo(problem["text"], err=True)
    if not all(r["ok"] for r in results):
        raise click.exceptions.Exit(2)


def registered_schemas() -> dict[str, dict[str, Any]]:
    """Params schemas of registered participants; empty when there is no store to ask (yet)."""
    url = settings().store_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}
    try:
        with open_store(url) as store:
            rows = store.registrations()
    except StoreError as exc:
        click.echo(f"boss: note: params not checked against registered participants ({exc})", err=True)
        return {}
    return {row.participant: row.params_schema for row in rows if row.params_schema}


def _validate_one(library: Library, path: str, schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    try:
        program = library.program(path)
        mismatches = [p for d in program.definitions.values() for p in check_params(d, schemas)]
        if mismatches:
            raise DefinitionError(mismatches)
    except DefinitionError as exc:
        problems = [{"file": p.file, "line": p.line, "path": p.path, "message": p.message, "text": str(p)}
                    for p in exc.problems]
        return {"file": path, "ok": False, "problems": problems}
    except BossError as exc:
        return {"file": path, "ok": False, "problems": [{"file": path, "line": None, "path": "",
                                                         "message": str(exc), "text": f"{path}: {exc}"}]}
    definition = program.definition
    return {"file": path, "ok": True, "name": definition.name, "steps": len(definition.all_steps()),
            "digest": definition.digest, "problems": []}


@click.command()
@click.argument("process")
@with_fields
@click.option("--start", default="2026-01-01T00:00:00Z", show_default=True,
              help="Virtual launch time (ISO 8601; naive means UTC).")
@click.option("--responses", type=click.Path(dir_okay=False),
              help="YAML file of scripted participant answers (conformance 'responses' format).")
@click.option("--tz", default=None, help="Print times in this IANA time zone (default UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print records and the final state as JSON.")
@reports_errors
def simulate(process: str, assignments: tuple[str, ...], fields_file: str | None, start: str,
             responses: str | None, tz: str | None, as_json: bool) -> None:
    """Run a process on a virtual clock with simulated participants and print its timeline.

    Participants answer at once with their params (echo) unless --responses scripts them. Exit 0 when
    the simulated process ends done, 1 when it ends in error (or cannot go on).

    \b
    Examples:
      boss simulate hello -f who=world
      boss simulate monthly-release -f version=2026.12 --start 2026-12-01 --tz America/Chicago
      boss simulate release.yaml --responses answers.yaml
    """
    program = Library().program(process)
    definition = program.definition
    fields = launch_fields(definition, collect_fields(definition, assignments, fields_file))
    script = read_script(read_yaml(responses).data, responses) if responses else None
    outcome = Simulation(program, fields=fields, start=parse_when(start), script=script).run()
    if as_json:
        print_json({"state": outcome.state.model_dump(mode="json"),
                    "records": [r.model_dump(mode="json") for r in outcome.records]})
    else:
        _print_outcome(outcome, definition.secret_fields, tz)
    if outcome.state.status.value != "done":
        raise click.exceptions.Exit(1)


def _print_outcome(outcome: Outcome, secret: frozenset[str], tz: str | None) -> None:
    state = outcome.state
    click.echo(f"simulated {state.name}" + (f" v{state.version}" if state.version else "") +
               " (virtual clock; participants echo unless scripted)")
    for line in render_timeline(outcome.records, tz):
        click.echo(line)
    click.echo(f"final state: {state.status.value}" + (f" ({outcome.stopped})" if outcome.stopped else ""))
    for node in state.failed_nodes():
        if node.error is not None:
            click.echo(f"failed step: {node.error.step}: {node.error.message}")
    click.echo("final fields:")
    for key, value in redact(state.fields, secret).items():
        click.echo(f"  {key}: {short(value, 100)}")
