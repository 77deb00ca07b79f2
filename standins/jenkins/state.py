"""The in-memory Jenkins of the stand-in: users, jobs, the queue and builds on a clock, crumbs, faults.

Time is real: a queue item becomes a build ``queue_delay`` seconds after it was scheduled, and a build ends
``duration`` seconds after it started, whether anybody polls or not (the state catches up with the clock
under its lock before every request and every inspection). A job with ``duration=None`` builds until a
test calls :meth:`JenkinsState.finish`, so tests can act "mid-build" without racing a timer.

Tests inspect and steer it directly: ``state.builds_of("load-tests")``, ``state.fail_next(503, times=2)``,
``state.finish("load-tests", 1, "FAILURE")``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

KEY_PARAMETER = "BOSS_IDEMPOTENCY_KEY"
USER = "boss"
TOKEN = "11aa22bb33cc44dd55ee66ff77889900aa"  # an API token looks like this: 34 hex digits
PASSWORD = "s3cret"
RESULTS = ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED")


@dataclass(frozen=True)
class TestReport:
    """What the JUnit publisher of a build found."""

    __test__ = False  # not a pytest test class, whatever its name

    passed: int
    failed: int = 0
    skipped: int = 0


@dataclass
class JobSpec:
    """How a job behaves.

    Attributes:
        parameters: Parameter names and defaults; None for a job that is not parameterized.
        duration: Seconds a build runs; None: until :meth:`JenkinsState.finish` ends it.
        results: Result of build 1, 2, ... (the last one repeats).
        tests: The test report each build publishes; None: no report (``testReport`` is 404).
        queue_delay: Seconds an item waits in the queue ("In the quiet period").
        buildable: False for a disabled job (triggering it is 409).
    """

    parameters: dict[str, str] | None = field(default_factory=lambda: {KEY_PARAMETER: ""})
    duration: float | None = 0.5
    results: list[str] = field(default_factory=lambda: ["SUCCESS"])
    tests: TestReport | None = None
    queue_delay: float = 0.1
    buildable: bool = True
    estimated_duration: float | None = None


@dataclass
class QueueItem:
    """A scheduled build that has not started yet, or has left the queue (started or cancelled)."""

    id: int
    job: str
    parameters: dict[str, str]
    user: str
    created: float
    since_ms: int
    cancelled: bool = False
    number: int | None = None
    left: float | None = None


@dataclass
class Build:
    """One run of a job."""

    job: str
    number: int
    queue_id: int
    parameters: dict[str, str]
    user: str
    started: float
    timestamp_ms: int
    planned: str
    tests: TestReport | None
    duration: float | None
    estimated: float
    result: str | None = None
    ended: float | None = None

    @property
    def building(self) -> bool:
        """Whether the build still runs."""
        return self.result is None


@dataclass
class User:
    """A Jenkins account: a password (web login, needs crumbs for POSTs) and API tokens (no crumbs)."""

    name: str
    password: str | None = None
    tokens: set[str] = field(default_factory=set)


@dataclass
class Fault:
    """An injected failure: the next ``times`` requests (whose path contains ``path``) get ``status``."""

    status: int
    times: int
    retry_after: int | None = None
    path: str | None = None


@dataclass(frozen=True)
class Logged:
    """One request as the stand-in saw it."""

    method: str
    path: str
    status: int
    user: str | None
    crumb: str | None


class JenkinsState:
    """Everything the stand-in knows; thread-safe (uvicorn's threads and the test's own)."""

    def __init__(self, *, csrf: bool = True, left_item_ttl: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.RLock()
        self.csrf = csrf
        self.left_item_ttl = left_item_ttl
        self.clock = clock
        self.users: dict[str, User] = {USER: User(USER, password=PASSWORD, tokens={TOKEN})}
        self.jobs: dict[str, JobSpec] = {}
        self.builds: dict[str, list[Build]] = {}
        self.queue: dict[int, QueueItem] = {}
        self.sessions: dict[str, str] = {}
        self.requests: list[Logged] = []
        self.faults: list[Fault] = []
        self._next_queue_id = 1
        self._salt = secrets.token_hex(8)

    # ---- set-up and steering by tests -------------------------------------------------------------
    def add_job(self, name: str, spec: JobSpec | None = None, **settings: object) -> JobSpec:
        """Create the job ``name`` (``folder/job`` for a job in a folder); settings as in :class:`JobSpec`."""
        job = spec or JobSpec(**settings)  # type: ignore[arg-type]
        with self.lock:
            self.jobs[name.strip("/")] = job
            self.builds.setdefault(name.strip("/"), [])
        return job

    def add_user(self, name: str, *, password: str | None = None, token: str | None = None) -> None:
        """Another account (or another token of an existing one)."""
        with self.lock:
            user = self.users.setdefault(name, User(name))
            if password is not None:
                user.password = password
            if token is not None:
                user.tokens.add(token)

    def fail_next(self, status: int = 503, times: int = 1, *, retry_after: int | None = None,
                  path: str | None = None) -> None:
        """Answer the next ``times`` requests (whose path contains ``path``, if given) with ``status``."""
        with self.lock:
            self.faults.append(Fault(status, times, retry_after, path))

    def finish(self, job: str, number: int, result: str = "SUCCESS") -> None:
        """End a running build now with ``result`` (for jobs with ``duration=None``)."""
        with self.lock:
            self._end(self.build(job, number), result)

    def builds_of(self, job: str) -> list[Build]:
        """The builds of ``job``, oldest first, as of now."""
        with self.lock:
            self.advance()
            return list(self.builds.get(job, []))

    def build(self, job: str, number: int) -> Build:
        """Build ``number`` of ``job`` as of now (KeyError when there is none)."""
        with self.lock:
            self.advance()
            for build in self.builds.get(job, []):
                if build.number == number:
                    return build
        raise KeyError(f"{job} #{number}")

    def posts(self, suffix: str) -> list[Logged]:
        """The POST requests whose path ends with ``suffix`` (``/buildWithParameters``...)."""
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]

    # ---- the clock --------------------------------------------------------------------------------
    def advance(self) -> None:
        """Start the queue items whose time has come and end the builds whose duration is over."""
        now = self.clock()
        with self.lock:
            for item in list(self.queue.values()):
                if item.left is None and not item.cancelled and now - item.created >= self._spec(item).queue_delay:
                    self._start(item, item.created + self._spec(item).queue_delay)
                if item.left is not None and now - item.left > self.left_item_ttl:
                    del self.queue[item.id]  # Jenkins forgets left items after five minutes
            for builds in self.builds.values():
                for build in builds:
                    if build.building and build.duration is not None and now - build.started >= build.duration:
                        self._end(build, build.planned, at=build.started + build.duration)

    def _spec(self, item: QueueItem) -> JobSpec:
        return self.jobs[item.job]

    def _start(self, item: QueueItem, at: float) -> None:
        spec = self.jobs[item.job]
        builds = self.builds[item.job]
        number = len(builds) + 1
        planned = spec.results[min(number, len(spec.results)) - 1]
        estimated = spec.estimated_duration or spec.duration or 60.0
        wall = time.time() - (self.clock() - at)
        builds.append(Build(job=item.job, number=number, queue_id=item.id, parameters=item.parameters,
                            user=item.user, started=at, timestamp_ms=int(wall * 1000), planned=planned,
                            tests=spec.tests, duration=spec.duration, estimated=estimated))
        item.number = number
        item.left = at

    def _end(self, build: Build, result: str, at: float | None = None) -> None:
        if build.building:
            build.result = result
            build.ended = self.clock() if at is None else at

    # ---- what the HTTP layer asks -----------------------------------------------------------------
    def schedule(self, job: str, parameters: dict[str, str], user: str) -> QueueItem:
        """Queue a build; an identical item already waiting is returned instead (as Jenkins does)."""
        with self.lock:
            self.advance()
            for item in self.queue.values():
                if item.job == job and item.left is None and not item.cancelled and item.parameters == parameters:
                    return item
            item = QueueItem(id=self._next_queue_id, job=job, parameters=parameters, user=user,
                             created=self.clock(), since_ms=int(time.time() * 1000))
            self._next_queue_id += 1
            self.queue[item.id] = item
            return item

    def cancel_item(self, queue_id: int) -> bool:
        """Cancel a waiting queue item; False when there is no such waiting item."""
        with self.lock:
            self.advance()
            item = self.queue.get(queue_id)
            if item is None or item.left is not None:
                return False
            item.cancelled = True
            item.left = self.clock()
            return True

    def stop(self, job: str, number: int) -> None:
        """Abort a running build (a finished one stays as it is)."""
        with self.lock:
            self._end(self.build(job, number), "ABORTED")

    def take_fault(self, path: str) -> Fault | None:
        """The injected failure for this request, if any (each use counts down)."""
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and (fault.path is None or fault.path in path):
                    fault.times -= 1
                    return fault
            return None

    def check_credentials(self, name: str, secret: str) -> str | None:
        """``"token"`` or ``"password"`` when ``secret`` is valid for ``name``, else None."""
        with self.lock:
            user = self.users.get(name)
            if user is None:
                return None
            if secret in user.tokens:
                return "token"
            if user.password is not None and secrets.compare_digest(secret, user.password):
                return "password"
            return None

    def new_session(self, user: str) -> str:
        """A web session (the ``JSESSIONID`` cookie value) for ``user``."""
        session = secrets.token_hex(12)
        with self.lock:
            self.sessions[session] = user
        return session

    def crumb(self, session: str) -> str:
        """The CSRF crumb of a session: Jenkins ties crumbs to the web session since 2.176.2."""
        return hashlib.sha256(f"{self._salt}:{session}".encode()).hexdigest()

    def log(self, entry: Logged) -> None:
        """Remember a request (tests look at what the client sent)."""
        with self.lock:
            self.requests.append(entry)
