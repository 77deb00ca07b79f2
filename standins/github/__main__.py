"""``python -m standins.github [PORT]``: serve the GitHub stand-in in the foreground (token ``test-token``)."""

from __future__ import annotations

import sys

import uvicorn

from standins.github import GitHubState, create_app


def main() -> None:
    """Serve a stand-in with the repositories of the demo release (acme/api, acme/web, acme/db)."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    state = GitHubState()
    for name in ("acme/api", "acme/web", "acme/db"):
        state.add_repo(name)
        state.create_branch(name, "stable", "main")
    print(f"GitHub stand-in on http://127.0.0.1:{port} (token {state.token})", flush=True)
    uvicorn.run(create_app(state), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
