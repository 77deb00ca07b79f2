"""The ``build`` action: trigger (or find again), follow the queue item to its build, wait for the result.

Idempotency. A step's workitem can arrive again after the daemon crashed mid-build, after the engine
declared it lost, or after a retry. Every build is triggered with the step's idempotency key as the
parameter ``BOSS_IDEMPOTENCY_KEY`` (configurable), and before triggering the participant looks for it:
first in the queue (an item carrying the key is followed), then in the job's last builds (a build still
running, or one that succeeded, is followed). The queue is read first because an item leaves the queue to
become a build: read in this order, a build can only slip past both reads in the instant between Jenkins
taking its item off the queue and registering the build (milliseconds, as an executor starts it). A build
with the key that ended FAILURE/UNSTABLE/ABORTED is *not* followed: re-running such a step is what
``boss retry`` and retry policies are for, so a new build starts.

Jenkins only records parameters the job defines (others are dropped without a word), so the job must
define the key parameter; the participant checks that before triggering and refuses otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from engine.timing.durations import format_duration
from participants.jenkins.client import JenkinsClient
from participants.jenkins.config import JenkinsConfig
from participants.jenkins.errors import (
    BuildFailed,
    BuildTimedOut,
    JenkinsError,
    JenkinsUnavailable,
    QueueItemCancelled,
)
from participants.jenkins.jobs import (
    KEYED_BUILDS,
    Job,
    parameter,
    percent_done,
    read_build,
    read_tests,
    status,
    summary,
    tests_text,
)
from participants.jenkins.params import BuildParams
from skynet import Cancelled, ParticipantError, Workitem

QUEUE_TREE = "id,cancelled,why,executable[number,url]"
T = TypeVar("T")


class Target:
    """What a step has in Jenkins: its queue item, then its build; each is stopped at most once.

    The step's thread updates it and the cancel hook's thread reads it, hence the lock.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.queue_id: int | None = None
        self.number: int | None = None
        self._stopped: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def follow(self, *, queue_id: int | None = None, number: int | None = None) -> None:
        """Remember the queue item or build the step now waits for."""
        with self._lock:
            self.queue_id = queue_id if queue_id is not None else self.queue_id
            self.number = number if number is not None else self.number

    def claim(self) -> tuple[str, int] | None:
        """The newest thing to stop that nobody stopped yet (the build, else the queue item)."""
        with self._lock:
            if self.number is not None:
                wanted = ("build", self.number)
            elif self.queue_id is not None:
                wanted = ("queue", self.queue_id)
            else:
                return None
            if wanted in self._stopped:
                return None
            self._stopped.add(wanted)
            return wanted

    def release(self, claimed: tuple[str, int]) -> None:
        """Stopping ``claimed`` failed: let the next attempt (the step's thread, or a later cancel) try."""
        with self._lock:
            self._stopped.discard(claimed)


def stop(client: JenkinsClient, target: Target) -> str | None:
    """Abort the build, or cancel the queue item, of ``target``; what was stopped (None: nothing new)."""
    claimed = target.claim()
    if claimed is None:
        return None
    kind, ident = claimed
    job = target.job
    try:
        if kind == "build":
            client.post(f"{job.build_path(ident)}/stop", what=f"stop build #{ident} of {job.name}", missing_ok=True)
            return f"build #{ident}"
        client.post("/queue/cancelItem", params={"id": str(ident)}, what=f"cancel queue item {ident} of {job.name}",
                    missing_ok=True)
        return f"queue item {ident}"
    except ParticipantError:
        target.release(claimed)
        raise


class BuildRun:
    """One ``build`` step, from lookup to result, on the step's own client."""

    def __init__(self, client: JenkinsClient, config: JenkinsConfig, wi: Workitem, params: BuildParams) -> None:
        self.client = client
        self.config = config
        self.wi = wi
        self.params = params
        self.job = Job(params.job)
        self.target = Target(self.job)
        self.key_name = config.idempotency_parameter
        timeout = params.timeout or config.timeout
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout.total_seconds() if timeout else None
        self._outage_since: float | None = None
        self.accepted = ("SUCCESS", "UNSTABLE") if params.accept_unstable else ("SUCCESS",)

    # ---- the whole step ----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Start (or find) the build, report its URL, and wait for its result if asked to."""
        self.wi.check_cancelled()
        number, url = self.start()
        self.wi.progress(f"build #{number} of {self.job.name} started", build_url=url, number=number,
                         job=self.job.name)
        if not self.params.wait:
            return status(self.client, self.job, number)
        build = self.wait_for(number)
        tests = read_tests(self.client, self.job, number)
        outcome = summary(self.job, build, tests)
        if outcome["result"] not in self.accepted:
            self._checkpoint()  # aborted by our own cancel: report Cancelled, not a failure
            raise BuildFailed(f"build #{number} of {self.job.name} ended {outcome['result']}: {outcome['url']}"
                              f"{tests_text(tests)}", detail=outcome)
        self.wi.log.info("build #%d of %s ended %s after %ss", number, self.job.name, outcome["result"],
                         outcome["duration"])
        return outcome

    def start(self) -> tuple[int, str]:
        """The build this step waits for: an earlier attempt's, or a new one."""
        key = self.wi.idempotency_key if self.key_name else None
        queued = self._queued_with(key) if key else None
        job = self._read_job()
        self._check_parameters(job)
        if queued is not None:
            self.wi.log.info("following queue item %d of %s, triggered by an earlier attempt", queued, self.job.name)
        else:
            earlier = self._built_with(key, job) if key else None
            if earlier is not None:
                self.target.follow(number=earlier[0])
                self._checkpoint()
                return earlier
            if not job.get("buildable", True):
                raise JenkinsError(f"job {self.job.name} is disabled in Jenkins (not buildable)")
            queued = self._trigger(job, key)
        self.target.follow(queue_id=queued)
        self._checkpoint()
        return self._follow_queue(queued, key)

    # ---- finding an earlier attempt's build --------------------------------------------------------
    def _queued_with(self, key: str) -> int | None:
        tree = "items[id,task[url],actions[parameters[name,value]]]"
        queue = self.client.get("/queue/api/json", params={"tree": tree}, what="read the Jenkins queue")
        for item in queue.get("items") or []:
            if self.job.owns(str((item.get("task") or {}).get("url") or "")) and parameter(item, self.key_name) == key:
                return int(item["id"])
        return None

    def _read_job(self) -> dict[str, Any]:
        tree = (f"buildable,property[parameterDefinitions[name]],"
                f"builds[number,url,result,building,actions[parameters[name,value]]]{{0,{KEYED_BUILDS}}}")
        job: dict[str, Any] | None = self.client.get(f"{self.job.path}/api/json", params={"tree": tree},
                                                     what=f"read job {self.job.name}", missing_ok=True)
        if job is None:
            raise JenkinsError(f"job {self.job.name} not found on Jenkins at {self.config.base} (404 Not Found; "
                               "a job in a folder is named folder/job)")
        return job

    def _built_with(self, key: str, job: dict[str, Any]) -> tuple[int, str] | None:
        for build in job.get("builds") or []:  # newest first
            if parameter(build, self.key_name) != key:
                continue
            number, result = int(build["number"]), build.get("result")
            if build.get("building") or result is None or result in self.accepted:
                self.wi.log.info("following build #%d of %s (%s), started by an earlier attempt", number,
                                 self.job.name, result or "running")
                return number, str(build.get("url") or "")
            self.wi.log.info("build #%d of %s with this step's key ended %s: starting a new one", number,
                             self.job.name, result)
            return None
        return None

    def _check_parameters(self, job: dict[str, Any]) -> None:
        properties = job.get("property") or []
        defined = {str(d.get("name")) for p in properties for d in (p.get("parameterDefinitions") or [])}
        if self.key_name and self.key_name not in defined:
            raise JenkinsError(
                f"job {self.job.name} does not define the string parameter {self.key_name}, which lets a re-run "
                "after a crash find its build instead of starting another (Jenkins drops parameters a job does not "
                f"define): add it to the job, or set idempotency_parameter: '' in the participant's config")
        unknown = sorted(set(self.params.parameters) - defined)
        if unknown:
            known = ", ".join(sorted(defined - {self.key_name})) or "none"
            raise JenkinsError(f"job {self.job.name} does not define parameter(s) {', '.join(unknown)}: Jenkins would "
                               f"drop them without a word (it defines: {known})")
        if self.key_name and self.key_name in self.params.parameters:
            raise JenkinsError(f"parameter {self.key_name} is set by the participant, not by a step")

    def _trigger(self, job: dict[str, Any], key: str | None) -> int:
        values = dict(self.params.parameters)
        if key:
            values[self.key_name] = key
        parameterized = any("parameterDefinitions" in p for p in job.get("property") or [])
        path = f"{self.job.path}/{'buildWithParameters' if parameterized else 'build'}"
        response = self.client.post(path, data=values or None, what=f"trigger job {self.job.name}")
        location = response.headers.get("Location", "")
        head, _, tail = location.rstrip("/").rpartition("/")
        if not head.endswith("/queue/item") or not tail.isdigit():
            raise JenkinsError(f"trigger job {self.job.name}: Jenkins answered {response.status_code} without the "
                               f"queue item's Location (got {location!r})")
        self.wi.log.info("triggered %s: queue item %s", self.job.name, tail)
        return int(tail)

    # ---- following the queue and the build ---------------------------------------------------------
    def _follow_queue(self, queue_id: int, key: str | None) -> tuple[int, str]:
        reported = False
        while True:
            item = self._polled(lambda: self.client.get(
                f"/queue/item/{queue_id}/api/json", params={"tree": QUEUE_TREE},
                what=f"read queue item {queue_id} of {self.job.name}", missing_ok=True))
            if item is None:  # Jenkins forgets items a few minutes after they left the queue
                earlier = self._built_with(key, self._read_job()) if key else None
                if earlier is None:
                    raise JenkinsError(f"queue item {queue_id} of {self.job.name} is gone from Jenkins, and no "
                                       "recent build of the job carries this step's key")
                self.target.follow(number=earlier[0])
                self._checkpoint()
                return earlier
            executable = item.get("executable") or {}
            if executable.get("number"):
                number = int(executable["number"])
                self.target.follow(number=number)
                self._checkpoint()
                return number, str(executable.get("url") or "")
            if item.get("cancelled"):
                self._checkpoint()
                raise QueueItemCancelled(f"queue item {queue_id} of {self.job.name} was cancelled in Jenkins "
                                         "before its build started")
            if not reported:
                self.wi.progress(f"waiting in the Jenkins queue: {item.get('why') or 'queued'}", queue_item=queue_id)
                reported = True
            self._pause("still queued")

    def wait_for(self, number: int) -> dict[str, Any]:
        """Poll build ``number`` until it has a result; progress in tens of percent of Jenkins' estimate."""
        reported: int | None = None
        while True:
            build = self._polled(lambda: read_build(self.client, self.job, number))
            if build is None:
                raise JenkinsError(f"build #{number} of {self.job.name} is gone from Jenkins (deleted?)")
            if not build.get("building") and build.get("result") is not None:
                return build
            percent = percent_done(build)
            if percent is not None and percent != reported and percent > 0:
                self.wi.progress(f"build #{number} of {self.job.name}: about {percent}% done", percent=percent)
                reported = percent
            self._pause(f"build #{number} still ran")

    def _polled(self, read: Callable[[], T]) -> T:
        """``read()``, riding out a Jenkins outage (a restart) shorter than ``outage_tolerance``."""
        while True:
            try:
                value = read()
            except JenkinsUnavailable as exc:
                now = time.monotonic()
                self._outage_since = self._outage_since or now
                if now - self._outage_since >= self.config.outage_tolerance.total_seconds():
                    raise
                self.wi.log.warning("%s; polling on", exc.message)
                self._pause("Jenkins was unreachable", at_least=exc.retry_after or 0)
                continue
            self._outage_since = None
            return value

    def _pause(self, doing: str, at_least: float = 0) -> None:
        """Sleep one poll interval; leave at once on cancel, and stop the build at the step's timeout."""
        wait = max(self.config.poll_interval.total_seconds(), at_least)
        if self.deadline is not None:
            wait = max(0.0, min(wait, self.deadline - time.monotonic()))
        self.wi.cancelled.wait(wait)
        self._checkpoint()
        if self.deadline is not None and time.monotonic() >= self.deadline:
            stopped = self._stop_quietly()
            assert self.timeout is not None
            what = f"stopped {stopped}" if stopped else "could not stop it (see the daemon's log)"
            raise BuildTimedOut(f"{doing} after the step's timeout of {format_duration(self.timeout)}: {what} "
                                f"({self.job.name})")

    # ---- cancel ------------------------------------------------------------------------------------
    def _checkpoint(self) -> None:
        """After a cancel: stop what this step has in Jenkins, then end the step as cancelled."""
        if not self.wi.cancelled.is_set():
            return
        if self.target.number is None and self.target.queue_id is not None:
            # The queue item may have become a build since the cancel hook cancelled it: stop that too.
            try:
                item = self.client.get(f"/queue/item/{self.target.queue_id}/api/json", params={"tree": QUEUE_TREE},
                                       what="read the cancelled step's queue item", missing_ok=True)
            except ParticipantError:
                item = None
            number = ((item or {}).get("executable") or {}).get("number")
            if number:
                self.target.follow(number=int(number))
        self._stop_quietly()
        raise Cancelled(f"workitem {self.wi.id} attempt {self.wi.attempt} was cancelled")

    def _stop_quietly(self) -> str | None:
        try:
            return stop(self.client, self.target)
        except ParticipantError as exc:
            self.wi.log.warning("could not stop the work in Jenkins: %s", exc.message)
            return None

