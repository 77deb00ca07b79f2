"""``python -m launchers.webhook``: serve the webhook endpoint with uvicorn."""

from __future__ import annotations

import click
import uvicorn

from engine.config import load_settings
from launchers.cli import config_option, configure_logging, debug_option, reports_errors
from launchers.client import EngineLauncher
from launchers.webhook.app import create_app
from launchers.webhook.config import DEFAULT_FILE, load_webhooks

PROG = "launchers.webhook"


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--webhooks", "webhooks_path", type=click.Path(dir_okay=False), envvar="BOSS_WEBHOOKS",
              default=DEFAULT_FILE, show_default=True, help="The rules file (or $BOSS_WEBHOOKS).")
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8088, show_default=True, help="TCP port to listen on.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="How much to log (to stderr).")
@debug_option
@reports_errors(PROG)
def cli(webhooks_path: str, config: str | None, host: str, port: int, log_level: str, debug: bool) -> None:
    """Serve GitHub-style webhooks: verify their HMAC-SHA256 signature, launch the processes the rules name.

    The secret comes from BOSS_WEBHOOK_SECRET (or secret_file in the rules file); broker and signing key
    are boss's settings (--config, $BOSS_CONFIG, ./etc/boss.yaml, BOSS_* variables). Put it behind a
    TLS-terminating proxy when GitHub reaches it over the internet. See docs/launchers.md.

    \b
    Examples:
      BOSS_WEBHOOK_SECRET=... python -m launchers.webhook --port 8088
      python -m launchers.webhook --webhooks /etc/boss/webhooks.yaml --host 0.0.0.0
    """
    configure_logging(log_level)
    webhooks = load_webhooks(webhooks_path)
    app = create_app(webhooks, EngineLauncher(load_settings(config)))
    click.echo(f"webhook launcher: POST http://{host}:{port}{webhooks.path} ({len(webhooks.rules)} rule(s))", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level == "debug")


def main() -> None:
    """Console entry point (``python -m launchers.webhook``)."""
    cli(prog_name="python -m launchers.webhook")
