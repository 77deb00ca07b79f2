"""The STAND-IN services of the demo, seeded for the monthly release, and the participants' settings for them.

Each stand-in is served on a free local port in this process. The settings returned are the
``BOSS_<PARTICIPANT>_<KEY>`` environment variables a real installation would set to point the same
participants at the real Jira, Jenkins, GitHub and Slack (see the README).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from standins import github, jenkins, jira, slack
from standins.server import Running, start

REPOS = ("acme/api", "acme/web", "acme/db")


@dataclass
class Services:
    """The running stand-ins, their state (to show what happened) and the participants' environment."""

    jira: jira.JiraState
    jenkins: jenkins.JenkinsState
    github: github.GitHubState
    slack: slack.SlackState
    running: dict[str, Running] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop every stand-in."""
        for server in self.running.values():
            server.stop()


def start_all(work: Path, remotes: Path) -> Services:
    """Seed and serve the four stand-ins; fill in the participants' settings."""
    services = Services(jira=_jira(), jenkins=jenkins.demo_state(), github=_github(), slack=_slack())
    apps = {"jira": jira.create_app(services.jira), "jenkins": jenkins.create_app(services.jenkins),
            "github": github.create_app(services.github), "slack": slack.create_app(services.slack)}
    services.running = {name: start(app) for name, app in apps.items()}
    url = {name: running.url for name, running in services.running.items()}
    (work / "notes").mkdir(parents=True, exist_ok=True)
    services.env = {
        "BOSS_JIRA_URL": url["jira"], "BOSS_JIRA_AUTH": "server", "BOSS_JIRA_TOKEN": "t",
        "BOSS_JENKINS_URL": url["jenkins"], "BOSS_JENKINS_USER": jenkins.USER, "BOSS_JENKINS_TOKEN": jenkins.TOKEN,
        "BOSS_JENKINS_POLL_INTERVAL": "1",
        "BOSS_GIT_WORKDIR": str(work / "clones"), "BOSS_GIT_REMOTE": f"file://{remotes}/{{repo}}",
        "BOSS_GIT_GITHUB_URL": url["github"], "BOSS_GIT_TOKEN": services.github.token,
        "BOSS_GIT_REQUEST_INTERVAL": "0", "BOSS_GIT_WRITE_INTERVAL": "0",
        "BOSS_NOTES_WORKDIR": str(remotes), "BOSS_NOTES_OUTPUT_DIR": str(work / "notes"),
        "BOSS_NOTES_JIRA_URL": url["jira"], "BOSS_NOTES_JIRA_TOKEN": "t",
        "BOSS_SLACK_BASE_URL": f"{url['slack']}/api/", "BOSS_SLACK_TOKEN": slack.TOKEN,
    }
    return services


def _jira() -> jira.JiraState:
    state = jira.JiraState()
    state.add_project("REL", "Releases")
    state.add_version("REL", "2026.12", description="planned by the project managers")
    for summary, status in (("API tokens for service accounts", "Done"), ("Release calendar page", "Done"),
                            ("500 on empty search", "Done"), ("Drop the legacy audit table", "In Progress")):
        state.add_issue("REL", summary, status=status, fix_version="2026.12")
    return state


def _github() -> github.GitHubState:
    state = github.GitHubState()
    for repo in REPOS:
        state.add_repo(repo)
        state.create_branch(repo, "stable", "main")
    return state


def _slack() -> slack.SlackState:
    state = slack.SlackState()
    state.add_channel("releases")
    return state
