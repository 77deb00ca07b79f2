"""The JSON shapes of Jenkins' remote API (``.../api/json``) for the stand-in's jobs, builds and queue.

Field names, ``_class`` values and units follow Jenkins 2.4xx: times in milliseconds since the epoch,
durations in milliseconds, ``result`` null while a build runs, parameters inside a ``ParametersAction``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from standins.jenkins.state import Build, JenkinsState, JobSpec, QueueItem

FREESTYLE = "hudson.model.FreeStyleProject"
FREESTYLE_BUILD = "hudson.model.FreeStyleBuild"
FOLDER = "com.cloudbees.hudson.plugins.folder.Folder"


def job_url(base: str, job: str) -> str:
    """``http://host/job/a/job/b/`` for the job ``a/b``."""
    return base + "".join(f"/job/{quote(part, safe='')}" for part in job.split("/")) + "/"


def build_url(base: str, build: Build) -> str:
    """``http://host/job/a/job/b/7/``."""
    return f"{job_url(base, build.job)}{build.number}/"


def _parameters_action(parameters: dict[str, str]) -> dict[str, Any]:
    return {"_class": "hudson.model.ParametersAction",
            "parameters": [{"_class": "hudson.model.StringParameterValue", "name": name, "value": value}
                           for name, value in parameters.items()]}


def _cause_action(user: str) -> dict[str, Any]:
    return {"_class": "hudson.model.CauseAction",
            "causes": [{"_class": "hudson.model.Cause$UserIdCause", "shortDescription": f"Started by user {user}",
                        "userId": user, "userName": user}]}


def build_json(base: str, state: JenkinsState, build: Build) -> dict[str, Any]:
    """A build as ``/job/NAME/N/api/json`` shows it."""
    actions: list[dict[str, Any]] = []
    if build.parameters:
        actions.append(_parameters_action(build.parameters))
    actions.append(_cause_action(build.user))
    if build.tests is not None and not build.building:
        actions.append({"_class": "hudson.tasks.junit.TestResultAction", "failCount": build.tests.failed,
                        "skipCount": build.tests.skipped,
                        "totalCount": build.tests.passed + build.tests.failed + build.tests.skipped,
                        "urlName": "testReport"})
    duration = round((build.ended - build.started) * 1000) if build.ended is not None else 0
    return {
        "_class": FREESTYLE_BUILD, "actions": actions, "artifacts": [], "building": build.building,
        "description": None, "displayName": f"#{build.number}", "duration": duration,
        "estimatedDuration": int(build.estimated * 1000), "executor": {} if build.building else None,
        "fullDisplayName": f"{build.job.replace('/', ' » ')} #{build.number}", "id": str(build.number),
        "keepLog": False, "number": build.number, "queueId": build.queue_id, "result": build.result,
        "timestamp": build.timestamp_ms, "url": build_url(base, build), "builtOn": "",
        "changeSet": {"_class": "hudson.scm.EmptyChangeLogSet", "items": [], "kind": None}, "culprits": [],
        "inProgress": build.building, "nextBuild": None, "previousBuild": None,
    }


def _build_ref(base: str, build: Build | None) -> dict[str, Any] | None:
    if build is None:
        return None
    return {"_class": FREESTYLE_BUILD, "number": build.number, "url": build_url(base, build)}


def job_json(base: str, state: JenkinsState, name: str, spec: JobSpec, *, full_builds: bool) -> dict[str, Any]:
    """A job as ``/job/NAME/api/json`` shows it (``full_builds``: whole build objects, for ``tree=``)."""
    builds = list(reversed(state.builds.get(name, [])))  # newest first, as Jenkins lists them
    listed = [build_json(base, state, b) if full_builds else _build_ref(base, b) for b in builds]
    done = [b for b in builds if not b.building]
    properties: list[dict[str, Any]] = []
    if spec.parameters is not None:
        properties.append({"_class": "hudson.model.ParametersDefinitionProperty", "parameterDefinitions": [
            {"_class": "hudson.model.StringParameterDefinition",
             "defaultParameterValue": {"_class": "hudson.model.StringParameterValue", "name": key, "value": value},
             "description": "", "name": key, "type": "StringParameterDefinition"}
            for key, value in spec.parameters.items()]})
    waiting = [item for item in state.queue.values() if item.job == name and item.left is None]
    short = name.rsplit("/", 1)[-1]
    return {
        "_class": FREESTYLE, "actions": [], "description": "", "displayName": short, "fullDisplayName":
        name.replace("/", " » "), "fullName": name, "name": short, "url": job_url(base, name),
        "buildable": spec.buildable, "builds": listed, "color": _color(builds),
        "firstBuild": _build_ref(base, builds[-1] if builds else None),
        "inQueue": bool(waiting), "keepDependencies": False,
        "lastBuild": _build_ref(base, builds[0] if builds else None),
        "lastCompletedBuild": _build_ref(base, done[0] if done else None),
        "lastSuccessfulBuild": _build_ref(base, next((b for b in done if b.result == "SUCCESS"), None)),
        "lastFailedBuild": _build_ref(base, next((b for b in done if b.result == "FAILURE"), None)),
        "nextBuildNumber": len(builds) + 1, "property": properties,
        "queueItem": {"_class": "hudson.model.Queue$WaitingItem", "id": waiting[0].id} if waiting else None,
    }


def _color(builds: list[Build]) -> str:
    if not builds:
        return "notbuilt"
    done = next((b for b in builds if not b.building), None)
    base = {"SUCCESS": "blue", "UNSTABLE": "yellow", "FAILURE": "red", "ABORTED": "aborted"}.get(
        done.result if done and done.result else "", "notbuilt")
    return f"{base}_anime" if builds[0].building else base


def folder_json(base: str, name: str, children: list[str]) -> dict[str, Any]:
    """A folder as ``/job/FOLDER/api/json`` shows it."""
    short = name.rsplit("/", 1)[-1]
    return {"_class": FOLDER, "actions": [], "description": None, "displayName": short, "fullName": name,
            "name": short, "url": job_url(base, name),
            "jobs": [{"_class": FREESTYLE, "name": child.rsplit("/", 1)[-1], "url": job_url(base, child)}
                     for child in children]}


def queue_item_json(base: str, state: JenkinsState, item: QueueItem) -> dict[str, Any]:
    """A queue item as ``/queue/item/N/api/json`` shows it: waiting, or left (started or cancelled)."""
    spec = state.jobs[item.job]
    data: dict[str, Any] = {
        "actions": [_parameters_action(item.parameters), _cause_action(item.user)] if item.parameters
        else [_cause_action(item.user)],
        "blocked": False, "buildable": False, "id": item.id, "inQueueSince": item.since_ms,
        "params": "".join(f"\n{k}={v}" for k, v in item.parameters.items()), "stuck": False,
        "task": {"_class": FREESTYLE, "name": item.job.rsplit("/", 1)[-1], "url": job_url(base, item.job),
                 "color": "blue"},
        "url": f"queue/item/{item.id}/",
    }
    if item.left is None:
        left = max(0.0, spec.queue_delay - (state.clock() - item.created))
        data.update({"_class": "hudson.model.Queue$WaitingItem", "why": f"In the quiet period. Expires in "
                     f"{left:.1f} sec", "timestamp": item.since_ms + int(spec.queue_delay * 1000)})
        return {"_class": data.pop("_class"), **data}
    executable = None
    if item.number is not None:
        build = state.build(item.job, item.number)
        executable = {"_class": FREESTYLE_BUILD, "number": build.number, "url": build_url(base, build)}
    return {"_class": "hudson.model.Queue$LeftItem", **data, "why": None, "cancelled": item.cancelled,
            "executable": executable}


def queue_json(base: str, state: JenkinsState) -> dict[str, Any]:
    """The whole queue as ``/queue/api/json`` shows it (waiting items only)."""
    waiting = [item for item in state.queue.values() if item.left is None]
    return {"_class": "hudson.model.Queue", "discoverableItems": [],
            "items": [queue_item_json(base, state, item) for item in waiting]}


def report_json(build: Build) -> dict[str, Any]:
    """``/job/NAME/N/testReport/api/json`` of a build whose JUnit report was published."""
    assert build.tests is not None
    return {"_class": "hudson.tasks.junit.TestResult", "testActions": [], "duration": 1.5, "empty": False,
            "failCount": build.tests.failed, "passCount": build.tests.passed, "skipCount": build.tests.skipped,
            "suites": []}
