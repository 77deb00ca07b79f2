"""Jenkins: trigger a job with parameters, follow it to its build, wait for the result; or look at a build.

The load tests of a release take hours, so a step reports the build's URL as progress as soon as the build
starts, then polls until it ends; the SDK has accepted the workitem by then and sends heartbeats, so no
broker delivery stays unacked however long the build runs::

    - name: load-tests
      jenkins: {action: build, job: perf/load-tests, parameters: {BRANCH: "integration${version}"}}
      save_as: load_tests
      timeout: 12h

Actions (params in :mod:`participants.jenkins.params`):

- ``build {job, parameters?, wait?, timeout?, accept_unstable?}``: the result is ``{job, number, url,
  result, building, duration, tests}`` (``tests``: ``{total, passed, failed, skipped}`` from the build's
  JUnit report, null without one). A result other than SUCCESS (or UNSTABLE with ``accept_unstable``) is a
  :class:`BuildFailed` error naming the build's URL.
- ``status {job, number?}``: the same summary for one build now (``result`` is ``RUNNING`` while it runs).

Re-running a step never starts a second build of the same step: see :mod:`participants.jenkins.builds`.
Cancelling the step stops its build (or cancels its queue item). Configuration: ``url``, ``user`` and the
API ``token`` (or ``password``: then CSRF crumbs are fetched) — see docs/participants/jenkins.md.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from participants.jenkins.builds import BuildRun, stop
from participants.jenkins.client import JenkinsClient
from participants.jenkins.config import JenkinsConfig, read_config
from participants.jenkins.errors import (
    BuildFailed,
    BuildTimedOut,
    JenkinsError,
    JenkinsUnavailable,
    QueueItemCancelled,
)
from participants.jenkins.jobs import Job, status
from participants.jenkins.params import BuildParams, JenkinsParams
from skynet import Participant, ParticipantError, Workitem

log = logging.getLogger("skynet.participant.jenkins")

__all__ = ["BuildFailed", "BuildTimedOut", "Jenkins", "JenkinsError", "JenkinsUnavailable", "QueueItemCancelled"]


class Jenkins(Participant):
    """Runs Jenkins jobs and waits for their builds; a failed build is an error with its URL."""

    name = "jenkins"
    version = "1"
    Params = JenkinsParams
    config_keys = ("url", "user", "token", "password", "poll_interval", "timeout", "request_timeout",
                   "outage_tolerance", "idempotency_parameter", "verify_tls")

    config: JenkinsConfig

    def __init__(self) -> None:
        super().__init__()
        self._running: dict[tuple[str, int], BuildRun] = {}  # by (workitem id, attempt): --concurrency safe
        self._lock = threading.Lock()

    def setup(self, config: dict[str, Any]) -> None:
        """Check the configuration; Jenkins itself is not called, so a daemon starts while Jenkins is down."""
        self.config = read_config(config)
        if not (self.config.token or self.config.password):
            log.warning("jenkins: no token or password configured: requests to Jenkins are anonymous")

    def handle(self, wi: Workitem) -> dict[str, Any]:
        """Run the step's action on a client of its own (a session, with its crumb, per step)."""
        params = wi.params.root
        client = JenkinsClient(self.config, interrupt=wi.cancelled)
        try:
            if not isinstance(params, BuildParams):
                return status(client, Job(params.job), params.number)
            run = BuildRun(client, self.config, wi, params)
            with self._lock:
                self._running[(wi.id, wi.attempt)] = run
            try:
                return run.run()
            finally:
                with self._lock:
                    self._running.pop((wi.id, wi.attempt), None)
        finally:
            client.close()

    def cancel(self, wi: Workitem) -> None:
        """Stop the step's build, or cancel its queue item (from the cancel thread, on a client of its own)."""
        with self._lock:
            run = self._running.get((wi.id, wi.attempt))
        if run is None:
            return
        run.wi.cancelled.set()  # the step's loop leaves at once and reports Cancelled
        client = JenkinsClient(self.config)
        try:
            stopped = stop(client, run.target)
        except ParticipantError as exc:
            run.wi.log.warning("cancel: could not stop the work in Jenkins: %s (the step tries again)", exc.message)
            return
        finally:
            client.close()
        if stopped:
            run.wi.log.info("cancel: stopped %s of %s", stopped, run.job.name)
