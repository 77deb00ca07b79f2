"""Options, the order of the run, and the guarantee that it leaves nothing behind.

Every resource enters one :class:`~contextlib.ExitStack` as soon as it exists, so whatever ends the run
(the figures, a failure, Ctrl-C, SIGTERM) the participants and the engine are stopped (SIGTERM, then
SIGKILL), the store is closed, its PostgreSQL schema dropped and the vhost deleted. While that cleanup runs,
further Ctrl-Cs are ignored: interrupting it would leave exactly the leftovers it is there to remove.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from engine.store import open_store
from tests.bench.baseline import broker_round_trips
from tests.bench.figures import Run, read_timeline, report
from tests.bench.phases import BenchFailed, launch_all, run_steps, start_participants
from tests.bench.services import (
    ROOT,
    Daemon,
    SetupError,
    cpu_seconds,
    fresh_store,
    fresh_vhost,
    peak_rss_mb,
    stop_all,
)  # fmt: skip

PROCESSES = ROOT / "tests" / "bench" / "processes"
PARTICIPANTS = ROOT / "tests" / "integration" / "participants.py"


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line; the defaults finish in well under two minutes on a small machine."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="P processes x K sequential echo steps over the real broker; prints figures, asserts nothing.")
    parser.add_argument("-p", "--processes", type=_positive, default=50, metavar="P", help="processes (default 50)")
    parser.add_argument("-k", "--steps", type=_positive, default=20, metavar="K",
                        help="sequential echo steps per process (default 20)")
    parser.add_argument("-n", "--participants", type=_positive, default=2, metavar="N",
                        help="echo participant daemons (default 2)")
    parser.add_argument("--concurrency", type=_positive, default=1,
                        help="skynet run --concurrency of each participant (default 1)")
    parser.add_argument("--store-url", default=None,
                        help="postgresql://... (a fresh schema is created and dropped) or sqlite:///NEW-FILE; "
                             "default: SQLite in a temporary directory")
    parser.add_argument("--baseline-seconds", type=float, default=3.0,
                        help="how long to measure raw broker round trips (default 3)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="give up when the processes are not all done after this many seconds (default 300)")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 after printing the figures, 1 when it could not measure, 130 when interrupted."""
    args = parse(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    began = time.monotonic()
    try:
        with contextlib.ExitStack() as stack:
            try:
                run = bench(args, stack)
                print(report(run), flush=True)
            finally:
                _say("cleaning up: stopping the daemons, deleting the vhost")
                _shield()
    except KeyboardInterrupt:
        print("bench: interrupted; daemons stopped, vhost and store removed", file=sys.stderr)
        return 130
    except (SetupError, BenchFailed) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print(f"  the whole benchmark took {time.monotonic() - began:.1f} s (setup, baseline and cleanup included)")
    return 0


def bench(args: argparse.Namespace, stack: contextlib.ExitStack) -> Run:
    """Set everything up (each piece registered for cleanup at once), measure, and read the figures back."""
    workdir = stack.enter_context(_workdir())
    store_url = stack.enter_context(fresh_store(args.store_url, workdir))  # first: a bad URL fails at once
    _say("creating a fresh RabbitMQ vhost")
    amqp_url = stack.enter_context(fresh_vhost())
    _say(f"broker baseline: raw round trips for {args.baseline_seconds:g} s")
    baseline = broker_round_trips(amqp_url, args.processes, args.baseline_seconds)
    env = {"BOSS_AMQP_URL": amqp_url, "BOSS_STORE_URL": store_url, "BOSS_PROCESS_PATH": str(PROCESSES)}

    _say("starting boss engine")
    engine = Daemon.spawn("engine", ["-m", "engine.cli", "engine"], env, workdir / "engine.log")
    stack.callback(stop_all, [engine])
    engine.wait_for_line("connected to")
    store = open_store(store_url)
    stack.callback(store.close)

    _say(f"launching {args.processes} processes of {args.steps} steps (no participant is running yet)")
    launched = launch_all(amqp_url, store, engine, args.processes, args.steps, args.timeout)

    _say(f"starting {args.participants} echo participant(s) (concurrency {args.concurrency}); stepping")
    spawned: list[Daemon] = []
    stack.callback(stop_all, spawned)  # stopped before the engine: it hears their goodbyes

    def spawn(number: int) -> Daemon:
        argv = ["-m", "skynet", "run", f"{PARTICIPANTS}:Echo", "--concurrency", str(args.concurrency)]
        spawned.append(Daemon.spawn(f"echo-{number}", argv, env, workdir / f"echo-{number}.log"))
        return spawned[-1]

    participants, engine_cpu, participants_cpu = start_participants(spawn, args.participants, engine)
    stepping = run_steps(store, engine, participants, args.processes, args.steps, args.timeout, engine_cpu,
                         participants_cpu)

    peak, cpu_total = peak_rss_mb(engine.pid), cpu_seconds(engine.pid)  # before it stops
    return Run(processes=args.processes, steps=args.steps, participants=args.participants,
               concurrency=args.concurrency, store=store.dialect, baseline=baseline, launch=launched,
               stepping=stepping, timeline=read_timeline(store, args.processes), engine_peak_mb=peak,
               engine_cpu_total=cpu_total)


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    """A temporary directory for the daemons' logs (and the SQLite store); kept when a daemon ran and the run failed.

    Not kept when it was interrupted: someone who presses Ctrl-C wants it gone, not a directory to find.
    """
    path = Path(tempfile.mkdtemp(prefix="boss-bench-"))
    try:
        yield path
    except Exception:
        if any(path.glob("*.log")):
            print(f"bench: the daemons' logs are kept in {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)
        raise
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    shutil.rmtree(path, ignore_errors=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run like Ctrl-C does, cleanup included."""
    raise KeyboardInterrupt


def _shield() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def _say(text: str) -> None:
    print(f"==> {text}", flush=True)
