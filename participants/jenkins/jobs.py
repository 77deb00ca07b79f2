"""Jenkins jobs and builds as the participant sees them: URL paths, the JSON it reads, what it reports.

Kept apart from the flow in :mod:`participants.jenkins.builds` so that the ``status`` action and the
``build`` action describe a build the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse

from participants.jenkins.client import JenkinsClient
from participants.jenkins.errors import JenkinsError

# What the participant reads of a build, a job and a queue item: Jenkins' objects are large, so ask for
# exactly these (the ``tree`` parameter of the remote API).
BUILD_TREE = "number,url,result,building,duration,timestamp,estimatedDuration"
TESTS_TREE = "failCount,passCount,skipCount,totalCount"
KEYED_BUILDS = 50  # how many recent builds are searched for an earlier attempt's build


@dataclass(frozen=True)
class Job:
    """A job by its full name (``folder/sub/job``) and the URL path Jenkins serves it at."""

    name: str

    @property
    def path(self) -> str:
        """``/job/folder/job/sub/job/job``: each level of folders is a ``job/`` segment."""
        return "".join(f"/job/{quote(part, safe='')}" for part in self.name.split("/"))

    def build_path(self, number: int | str) -> str:
        """The path of one build (a number or a permalink such as ``lastBuild``)."""
        return f"{self.path}/{number}"

    def owns(self, url: str) -> bool:
        """Whether ``url`` (a queue item's ``task.url``) is this job, whatever host Jenkins calls itself."""
        return urlparse(url).path.rstrip("/").endswith(self.path)


def parameter(item: dict[str, Any], name: str) -> str | None:
    """The value of the build parameter ``name`` of a build or queue item (from its ``actions``)."""
    for action in item.get("actions") or []:
        for entry in (action or {}).get("parameters") or []:
            if entry.get("name") == name:
                value = entry.get("value")
                return None if value is None else str(value)
    return None


def read_build(client: JenkinsClient, job: Job, number: int | str) -> dict[str, Any] | None:
    """A build's JSON (the fields of ``BUILD_TREE``), None when Jenkins has no such build."""
    data: dict[str, Any] | None = client.get(f"{job.build_path(number)}/api/json", params={"tree": BUILD_TREE},
                                             what=f"read build {_label(number)} of {job.name}", missing_ok=True)
    return data


def read_tests(client: JenkinsClient, job: Job, number: int) -> dict[str, int] | None:
    """The build's test counts, None when it published no test report (Jenkins answers 404 then)."""
    report = client.get(f"{job.build_path(number)}/testReport/api/json", params={"tree": TESTS_TREE},
                        what=f"read the test report of build #{number} of {job.name}", missing_ok=True)
    if report is None:
        return None
    failed, skipped = int(report.get("failCount") or 0), int(report.get("skipCount") or 0)
    total = report.get("totalCount")  # aggregated reports (matrix, pipelines) give a total, not passCount
    total = int(total) if total is not None else int(report.get("passCount") or 0) + failed + skipped
    return {"total": total, "passed": total - failed - skipped, "failed": failed, "skipped": skipped}


def summary(job: Job, build: dict[str, Any], tests: dict[str, int] | None) -> dict[str, Any]:
    """What a step's result says about a build (``result`` is ``RUNNING`` while Jenkins says null)."""
    building = bool(build.get("building"))
    result = build.get("result") or ("RUNNING" if building else None)
    duration = None if building else round(int(build.get("duration") or 0) / 1000, 3)
    return {"job": job.name, "number": int(build["number"]), "url": str(build.get("url") or ""), "result": result,
            "building": building, "duration": duration, "tests": tests}


def status(client: JenkinsClient, job: Job, number: int | str) -> dict[str, Any]:
    """One build's summary, as of now (the ``status`` action)."""
    build = read_build(client, job, number)
    if build is None:
        client.get(f"{job.path}/api/json", params={"tree": "name"}, what=f"read job {job.name}")  # 404: no job
        raise JenkinsError(f"job {job.name} has no build {_label(number)}")
    building = bool(build.get("building"))
    tests = None if building else read_tests(client, job, int(build["number"]))
    return summary(job, build, tests)


def percent_done(build: dict[str, Any]) -> int | None:
    """How far a running build is by Jenkins' estimate (from the last builds), in tens; None if unknown."""
    estimated, started = build.get("estimatedDuration") or -1, build.get("timestamp") or 0
    if estimated <= 0 or started <= 0:
        return None
    elapsed = time.time() * 1000 - started
    return max(0, min(90, int(elapsed * 100 / estimated) // 10 * 10))


def tests_text(tests: dict[str, int] | None) -> str:
    """``; 3 of 120 tests failed`` for a message, or nothing."""
    if not tests or not tests["failed"]:
        return ""
    return f" ({tests['failed']} of {tests['total']} tests failed)"


def _label(number: int | str) -> str:
    return f"#{number}" if isinstance(number, int) else number
