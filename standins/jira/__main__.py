"""``python -m standins.jira [--cloud] [--port N]``: serve the Jira stand-in in the foreground (try-outs, demos)."""

from __future__ import annotations

import argparse
import time

from standins.jira import JiraState, create_app
from standins.server import start


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Jira stand-in with one project, REL.")
    parser.add_argument("--cloud", action="store_true", help="behave as Jira Cloud (default: Server/Data Center)")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    state = JiraState("Cloud" if args.cloud else "Server")
    state.add_project("REL", "Release")
    running = start(create_app(state), port=args.port)
    print(f"Jira stand-in ({state.deployment}) at {running.url}; token 't', or boss@example.com / api-token",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()


if __name__ == "__main__":
    main()
