"""A stand-in for Jenkins' remote API: jobs (in folders too), the build queue, builds on a clock, test reports,
API-token and password auth with CSRF crumbs, and fault injection. Not Jenkins.

It follows what the ``jenkins`` participant and any ``requests``-based Jenkins client use::

    state = JenkinsState()
    state.add_job("load-tests", duration=2.0, tests=TestReport(passed=120, failed=0, skipped=3))
    with serve(create_app(state)) as url:
        ...  # point BOSS_JENKINS_URL at url, user USER, token TOKEN
    assert [b.result for b in state.builds_of("load-tests")] == ["SUCCESS"]
"""

from standins.jenkins.app import COOKIE, CRUMB_FIELD, create_app
from standins.jenkins.state import (
    KEY_PARAMETER,
    PASSWORD,
    TOKEN,
    USER,
    Build,
    JenkinsState,
    JobSpec,
    QueueItem,
    TestReport,
)

__all__ = ["COOKIE", "CRUMB_FIELD", "KEY_PARAMETER", "PASSWORD", "TOKEN", "USER", "Build", "JenkinsState",
           "JobSpec", "QueueItem", "TestReport", "create_app", "demo_state"]


def demo_state() -> JenkinsState:
    """A Jenkins for the demo: the monthly release's ``load-tests`` job (20 s builds that publish tests)."""
    state = JenkinsState()
    state.add_job("load-tests", duration=20.0, queue_delay=2.0, parameters={KEY_PARAMETER: "", "BRANCH": "main"},
                  tests=TestReport(passed=1188, failed=0, skipped=12))
    return state
