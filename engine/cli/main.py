"""``boss``: the engine's command line."""

from __future__ import annotations

import click

from engine.cli import process
from engine.cli.engine_cmd import engine
from engine.cli.language import simulate, validate
from engine.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.option("--config", type=click.Path(dir_okay=False), envvar="BOSS_CONFIG",
              help="Configuration file (default $BOSS_CONFIG, else ./etc/boss.yaml).")
@click.version_option(package_name="boss")
def cli(debug: bool, config: str | None) -> None:
    """boss: workflow engine for release and CI automation.

    Processes are YAML definitions (docs/process-language.md); participants are daemons that do the
    work (docs/writing-participants.md).
    """


for command in (engine, validate, process.launch, process.ps, process.show, process.history, process.cancel,
                process.pause, process.resume, process.retry, process.skip, process.approve, process.errors,
                process.participants, simulate, serve):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="boss")
