"""``boss serve``: the REST API (and later the web dashboard) on uvicorn, in the foreground."""

from __future__ import annotations

import click

from engine.cli.common import fail, reports_errors
from engine.cli.context import settings, store


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@reports_errors
def serve(host: str, port: int) -> None:
    """Serve the REST API until Ctrl-C: OpenAPI docs at /api/docs, Prometheus metrics at /metrics.

    Every request but GET /api/health needs a bearer token: BOSS_API_TOKEN (operator: reads, launches
    and commands), BOSS_API_READ_TOKEN (read-only), or named tokens under api_tokens in the config file
    (docs/api.md). Writes are requests to the engine, so `boss engine` must run too.

    \b
    Examples:
      BOSS_API_TOKEN=$(cat ~/.boss-token) boss serve
      boss serve --host 0.0.0.0 --port 9000
    """
    import uvicorn

    from engine.api.app import create_app
    from engine.api.auth import load_tokens

    current = settings()
    tokens = load_tokens(current)
    if not tokens:
        fail("no API token: set BOSS_API_TOKEN (operator) and/or BOSS_API_READ_TOKEN (read-only), "
             "or api_tokens in the config file")
    app = create_app(current, store(), tokens=tokens)
    click.echo(f"boss: serving the dashboard on http://{host}:{port}/ and the API on /api (docs: /api/docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
