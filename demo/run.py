"""Drive the demo: services, engine, pool, the release process, its progress, and what it produced."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from demo import repos
from demo.services import Services, start_all
from engine.cli.render import history_lines
from engine.store import Store, open_store
from standins.server import free_port

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BOSS_DEMO_DIR") or ROOT / ".demo" / "release").resolve()
PARTICIPANTS = ("jira", "jenkins", "git", "slack", "notes")
VERSION = "2026.12"
APPROVER = "release-manager"


def say(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when the release ended done."""
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--manual", action="store_true",
                        help="do not answer the go/no-go approval: answer it yourself on the dashboard")
    options = parser.parse_args(argv)
    started = time.monotonic()
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    remotes = WORK / "remotes"
    say(f"creating git repositories {', '.join(repos.WORK)} in {_short(remotes)} "
        f"(last release {repos.PREVIOUS})")
    repos.create(remotes)
    with ExitStack() as stack:
        services = start_all(WORK, remotes)
        stack.callback(services.stop)
        for name, running in services.running.items():
            say(f"STAND-IN {name:8} {running.url}   (a local imitation of the service, not the real thing)")
        env = environment(services)
        stack.enter_context(engine(env))
        stack.enter_context(dashboard(env))
        stack.enter_context(pool(env))
        status = release(env, services, manual=options.manual)
        if sys.stdin.isatty():
            input("\033[1m==> press Enter to stop everything (the dashboard stays up until then) \033[0m")
    say(f"the demo took {time.monotonic() - started:.0f}s")
    return 0 if status == "done" else 1


def environment(services: Services) -> dict[str, str]:
    """The environment of every command: broker, store, config, and the participants' settings."""
    config = WORK / "boss.yaml"
    config.write_text(f"groups:\n  release-managers: [{APPROVER}]\n"
                      f"api_tokens:\n  {APPROVER}: {{role: operate, token_env: BOSS_DEMO_TOKEN}}\n")
    return {**os.environ, **services.env,
            "BOSS_AMQP_URL": os.environ.get("BOSS_AMQP_URL", "amqp://guest:guest@localhost:5672/%2F"),
            "BOSS_STORE_URL": f"sqlite:///{WORK / 'boss.db'}", "BOSS_PROCESS_PATH": str(ROOT / "processes"),
            "BOSS_CONFIG": str(config), "BOSS_ETC": str(ROOT / "etc"), "BOSS_USER": APPROVER,
            "SKYNET_HOME": str(WORK / "pool"), "SKYNET_POOL": "demo", "PYTHONUNBUFFERED": "1",
            "BOSS_DEMO_TOKEN": secrets.token_urlsafe(16)}


def run(env: dict[str, str], *argv: str, quiet: bool = False) -> str:
    """Run a boss/skynet command as a user would; fail the demo with its output when it fails."""
    done = subprocess.run(list(argv), env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"demo: `{' '.join(argv)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    if not quiet and done.stdout.strip():
        print(done.stdout.rstrip(), flush=True)
    return done.stdout


@contextmanager
def engine(env: dict[str, str]) -> Iterator[None]:
    """``boss engine`` in the background, stopped with SIGTERM at the end."""
    log = WORK / "engine.log"
    say(f"starting the engine (log: {_short(log)})")
    with log.open("wb") as out:
        daemon = subprocess.Popen(["boss", "engine"], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while "connected to" not in log.read_text(errors="replace"):
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"demo: the engine did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield
    finally:
        say("stopping the engine")
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()


@contextmanager
def dashboard(env: dict[str, str]) -> Iterator[None]:
    """``boss serve``: the dashboard where the release can be followed (and approved) in a browser."""
    port = free_port()
    log = WORK / "dashboard.log"
    with log.open("wb") as out:
        server = subprocess.Popen(["boss", "serve", "--port", str(port)], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while "Uvicorn running" not in log.read_text(errors="replace"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"demo: the dashboard did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        say(f"DASHBOARD http://127.0.0.1:{port}/  — sign in with the token {env['BOSS_DEMO_TOKEN']} "
            f"(you are {APPROVER})")
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


@contextmanager
def pool(env: dict[str, str]) -> Iterator[None]:
    """A skynet pool with every release participant installed (each registration confirmed by the engine)."""
    say(f"starting the skynet pool in {_short(Path(env['SKYNET_HOME']))}")
    run(env, "skynet", "up")
    try:
        for name in PARTICIPANTS:
            say(f"skynet install {name}")
            run(env, "skynet", "install", name)
        run(env, "skynet", "list")
        yield
    finally:
        say("stopping the pool (skynet down)")
        subprocess.run(["skynet", "down"], env=env, cwd=ROOT, check=False)


def release(env: dict[str, str], services: Services, manual: bool = False) -> str:
    """Launch the monthly release with short waits, follow it, answer its approval; its final state."""
    fields = {"version": VERSION, "feature_freeze": "5s", "code_freeze": "10s",
              "previous_tag": repos.PREVIOUS}
    args = [item for key, value in fields.items() for item in ("-f", f"{key}={value}")]
    say(f"boss launch monthly-release {' '.join(args)}   (the calendar waits shortened to seconds)")
    answer = json.loads(run(env, "boss", "launch", "monthly-release", *args, "--json", quiet=True))
    process_id = str(answer["process_id"])
    print(f"process {process_id}", flush=True)
    store = open_store(env["BOSS_STORE_URL"])
    try:
        status = follow(env, store, process_id, manual=manual)
        say(f"boss show {process_id}")
        run(env, "boss", "show", process_id)
        show_results(store, process_id, services)
    finally:
        store.close()
    return status


def follow(env: dict[str, str], store: Store, process_id: str, manual: bool = False, limit: float = 170.0) -> str:
    """Print the history as it happens; approve the go/no-go when it is asked (unless manual); the final state."""
    limit = 3600.0 if manual else limit
    seen, approved, deadline = 0, manual, time.monotonic() + limit
    while time.monotonic() < deadline:
        row = store.get_process(process_id)
        records = store.history(process_id, after_seq=seen)
        for line in history_lines(records):
            print(line, flush=True)
        seen = records[-1].seq if records else seen
        if manual and any(r.kind == "approval.requested" for r in records):
            say("the go/no-go waits for you: approve it on the dashboard's Approvals page "
                f"(or: boss approve {process_id})")
        if not approved and any(r.kind == "approval.requested" for r in records):
            approved = True
            say(f"boss approve {process_id} -m 'load tests green, notes reviewed'   (as {APPROVER})")
            run(env, "boss", "approve", process_id, "-m", "load tests green, notes reviewed")
        if row is not None and row.status in ("done", "error", "cancelled"):
            say(f"process {process_id} is {row.status.upper()}")
            return row.status
        time.sleep(0.3)
    say(f"process {process_id} did not finish within {limit:.0f}s")
    return "timeout"


def show_results(store: Store, process_id: str, services: Services) -> None:
    """What the release produced: the notes, and what each stand-in service now holds."""
    notes = WORK / "notes" / f"{VERSION}.md"
    if notes.exists():
        say(f"release notes ({_short(notes)})")
        print(notes.read_text(), flush=True)
    version = services.jira.version("REL", VERSION)
    say("what the STAND-IN services hold now")
    print(f"  Jira     version {VERSION}: released={getattr(version, 'released', None)}", flush=True)
    builds = services.jenkins.builds_of("load-tests")
    print(f"  Jenkins  load-tests builds: {[(b.number, b.result) for b in builds]}", flush=True)
    for repo in services.github.repos:
        releases = [r.tag_name for r in services.github.repo(repo).releases]
        print(f"  GitHub   {repo} releases: {releases}", flush=True)
    for message in services.slack.messages("releases"):
        print(f"  Slack    #releases: {message.get('text', '')[:100]}", flush=True)
    print(f"  git      tags on stable: {_tags(WORK / 'remotes')}", flush=True)
    failures = [r for r in store.history(process_id) if r.kind == "step.failed"]
    if failures:
        say(f"{len(failures)} step attempt(s) failed on the way (see boss history {process_id})")


def _short(path: Path) -> str:
    """A path relative to the checkout when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _tags(remotes: Path) -> dict[str, str]:
    found = {}
    for repo in repos.WORK:
        found[repo] = repos.git(remotes / repo, "tag", "--points-at", "stable").replace("\n", " ")
    return found


if __name__ == "__main__":
    sys.exit(main())
