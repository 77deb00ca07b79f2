"""What every ``boss`` command shares: error reporting, exit codes, field options, JSON output."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from engine.cli.reporting import one_line_errors
from engine.errors import BossError, LaunchError
from engine.language import Definition, parse_assignment, read_cli_value

F = TypeVar("F", bound=Callable[..., Any])


class Exit(click.exceptions.Exit):
    """Leave with an exit code after printing what the command had to say."""


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit."""
    click.echo(f"boss: {message}", err=True)
    raise Exit(code)


reports_errors = one_line_errors("boss", located=True)
"""Turn BossErrors into one-line messages and their exit code (tracebacks only with --debug)."""


field_options = [
    click.option("-f", "--field", "assignments", multiple=True, metavar="KEY=VALUE",
                 help="A launch field; repeatable. Non-string fields are read as YAML (-f count=3)."),
    click.option("--fields-file", type=click.Path(dir_okay=False), help="A YAML or JSON file of fields."),
]


def with_fields(command: F) -> F:
    """Add -f/--fields-file options."""
    for option in reversed(field_options):
        command = option(command)
    return command


def collect_fields(
    definition: Definition | None, assignments: tuple[str, ...], fields_file: str | None
) -> dict[str, Any]:
    """Fields from ``--fields-file`` then ``-f`` assignments (which win)."""
    fields: dict[str, Any] = {}
    if fields_file:
        try:
            loaded = yaml.safe_load(Path(fields_file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise LaunchError(f"cannot read fields file {fields_file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise LaunchError(f"fields file {fields_file} must hold a mapping of field names to values")
        fields.update(loaded)
    for text in assignments:
        key, value = parse_assignment(text)
        fields[key] = read_cli_value(definition, key, value)
    return fields


def parse_when(text: str) -> datetime:
    """A command-line date-time: ISO 8601, naive means UTC; a date alone means midnight UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BossError(f"cannot read time {text!r}: use ISO 8601 such as 2026-12-01 or 2026-12-01T08:00:00Z") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def print_json(data: Any) -> None:
    """Print JSON for scripts."""
    json.dump(data, sys.stdout, indent=2, default=_json_default)
    sys.stdout.write("\n")


def _json_default(value: Any) -> Any:
    """Dates as ISO 8601; dataclass rows as their fields; anything else as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)
