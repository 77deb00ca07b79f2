"""``python -m launchers.calendar``: run the calendar launcher, or look at what it will do and what it did.

Thin on purpose: every command calls :mod:`launchers.calendar` functions that tests call directly.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click

from engine.config import Settings, load_settings
from engine.errors import ExpressionError
from engine.store import open_store
from engine.timing import parse_zone
from launchers.calendar.daemon import Calendar, offset_clock
from launchers.calendar.schedules import DEFAULT_FILE, Schedule, ScheduleSource, load_schedules
from launchers.cli import config_option, configure_logging, debug_option, reports_errors
from launchers.client import EngineLauncher

PROG = "launchers.calendar"

schedules_option = click.option("--schedules", "schedules_path", type=click.Path(dir_okay=False),
                                envvar="BOSS_SCHEDULES", default=DEFAULT_FILE, show_default=True,
                                help="The schedules file (or $BOSS_SCHEDULES).")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@debug_option
def cli(debug: bool) -> None:
    """The calendar launcher: launch processes on calendar rules (etc/schedules.yaml), each occurrence once.

    Settings (broker, store, signing key, BOSS_CLOCK_OFFSET) are those of boss: --config, $BOSS_CONFIG or
    ./etc/boss.yaml, then BOSS_* environment variables. See docs/launchers.md.
    """


@cli.command()
@schedules_option
@config_option
@click.option("--once", is_flag=True, help="Run one cycle (launch what is due now) and exit.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="How much to log (to stderr).")
@reports_errors(PROG)
def run(schedules_path: str, config: str | None, once: bool, log_level: str) -> None:
    """Launch each schedule's occurrences as they come; stop with SIGTERM or Ctrl-C.

    With --once, exit 1 when the engine refused a launch or one could not be sent.

    \b
    Examples:
      python -m launchers.calendar run
      python -m launchers.calendar run --schedules /etc/boss/schedules.yaml --once
    """
    configure_logging(log_level)
    settings = load_settings(config)
    source = ScheduleSource(schedules_path)
    store = open_store(settings.store_url)
    try:
        calendar = Calendar(source.current, store, EngineLauncher(settings), offset_clock(settings.clock_offset))
        if not once:
            calendar.run()
            return
        outcomes = calendar.run_once()
    finally:
        store.close()
    for outcome in outcomes:
        click.echo(str(outcome))
    if any(o.error for o in outcomes):
        sys.exit(1)


@cli.command(name="next")
@schedules_option
@config_option
@click.option("--count", default=3, show_default=True, help="Occurrences per schedule.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors(PROG)
def next_(schedules_path: str, config: str | None, count: int, as_json: bool) -> None:
    """Print the upcoming occurrences of every schedule and the fields each would launch with.

    \b
    Examples:
      python -m launchers.calendar next
      BOSS_CLOCK_OFFSET=2592000 python -m launchers.calendar next --count 1 --json
    """
    settings = load_settings(config)
    now = offset_clock(settings.clock_offset)()
    plans = [upcoming(s, now, count) for s in load_schedules(schedules_path)]
    if as_json:
        click.echo(json.dumps(plans, indent=2, default=str))
        return
    for entry in plans:
        state = "" if entry["enabled"] else "  (disabled)"
        click.echo(f"{entry['schedule']}: {entry['process']}, {entry['rule']}{state}")
        for item in entry["next"]:
            click.echo(f"  {item['at']}  {json.dumps(item['fields'])}")


def upcoming(schedule: Schedule, now: datetime, count: int) -> dict[str, Any]:
    """A schedule's next ``count`` occurrences after ``now``, in its zone, with their fields."""
    found: list[dict[str, Any]] = []
    for occurrence in schedule.occurrences_after(now):
        if len(found) == count:
            break
        found.append({"at": occurrence.astimezone(parse_zone(schedule.tz)).isoformat(),
                      "request_id": schedule.request_id(occurrence), "fields": _fields(schedule, occurrence)})
    return {"schedule": schedule.name, "process": schedule.process, "rule": schedule.describe(),
            "enabled": schedule.enabled, "catch_up": schedule.catch_up.value, "next": found}


def _fields(schedule: Schedule, occurrence: datetime) -> Any:
    """The fields, or the template's error (``next`` is where an author finds out)."""
    try:
        return schedule.fields_for(occurrence)
    except ExpressionError as exc:
        return {"error": str(exc)}


@cli.command()
@schedules_option
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors(PROG)
def status(schedules_path: str, config: str | None, as_json: bool) -> None:
    """Print each schedule's progress from the store: the last occurrence handled and its process.

    \b
    Examples:
      python -m launchers.calendar status
    """
    settings: Settings = load_settings(config)
    names = [s.name for s in load_schedules(schedules_path)]
    with open_store(settings.store_url) as store:
        rows = {row.schedule: row for row in store.schedules()}
    report = [{"schedule": name, "covered_until": r.covered_until if r else None,
               "last_occurrence": r.last_occurrence if r else None, "last_process": r.last_process if r else None,
               "last_error": r.last_error if r else None}
              for name in names for r in [rows.get(name)]]
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    for item in report:
        if item["covered_until"] is None:
            click.echo(f"{item['schedule']}: not seen by the launcher yet")
            continue
        last = item["last_occurrence"]
        what = (f"last occurrence {last:%Y-%m-%d %H:%M}Z -> "
                + (f"refused: {item['last_error']}" if item["last_error"] else str(item["last_process"]))
                if last else "nothing launched yet")
        click.echo(f"{item['schedule']}: {what}; handled until {item['covered_until']:%Y-%m-%d %H:%M:%S}Z")


def main() -> None:
    """Console entry point (``python -m launchers.calendar``)."""
    cli(prog_name="python -m launchers.calendar")
