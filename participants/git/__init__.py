"""Git: branches, merges, tags and pushes with the git CLI; branches, merges, pulls and releases on GitHub.

A release spans many services, so every action takes ``repos`` and works on each repository in turn::

    - name: cut-branches
      git: {action: gh_branch, repos: "${repos}", branch: "integration${version}", from: main}
    - name: merge-to-stable
      git: {action: merge, repos: "${repos}", source: "integration${version}", target: stable, push: true}
    - name: publish
      git: {action: release, repos: "${repos}", tag: "v${version}", notes: "${notes.markdown}"}

Local actions (``fetch``/``clone``, ``branch``, ``merge``, ``tag``, ``push``, ``log``) run the git CLI on
clones kept in ``workdir`` (see :mod:`participants.git.workspace`); GitHub actions (``gh_branch``,
``gh_merge``, ``pull_request``, ``release``, ``compare``) use PyGithub against ``github_url`` with the
token ``BOSS_GIT_TOKEN``. The result maps each repository to what was done there (``{"action", "repos":
{"acme/api": {...}}}``). Each action checks before it acts, so a retry after a crash makes no second
branch, tag, merge commit, pull request or release. See docs/participants/git.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from participants.git import hub_actions, local
from participants.git.batch import each_repo
from participants.git.command import GitRunner, git_environment
from participants.git.config import GitConfig, read_config
from participants.git.hub import Hub
from participants.git.params import LOCAL_ACTIONS, AnyAction, Params
from participants.git.workspace import Workspace
from skynet import Participant, Workitem

LOCAL: dict[str, Callable[[Workspace, str, Any], dict[str, Any]]] = {
    "fetch": local.fetch, "clone": local.fetch, "branch": local.branch, "merge": local.merge, "tag": local.tag,
    "push": local.push, "log": local.log,
}
GITHUB: dict[str, Callable[[Hub, str, Any], dict[str, Any]]] = {
    "gh_branch": hub_actions.gh_branch, "gh_merge": hub_actions.gh_merge, "pull_request": hub_actions.pull_request,
    "release": hub_actions.release, "compare": hub_actions.compare,
}


class Git(Participant):
    """Branches, merges, tags and pushes git repositories; branches, merges, pulls and releases on GitHub."""

    name = "git"
    version = "1"
    Params = Params
    config_keys = ("workdir", "remote", "remotes", "github_url", "token", "token_hosts", "committer_name",
                   "committer_email", "timeout", "github_timeout", "max_wait", "request_interval",
                   "write_interval")

    def setup(self, config: dict[str, Any]) -> None:
        """Validate the configuration and prepare the git environment (nothing is contacted yet)."""
        self.config: GitConfig = read_config(config)
        env = git_environment(os.environ, name=self.config.committer_name, email=self.config.committer_email,
                              token=self.config.token, token_hosts=self.config.token_hosts)
        self.git = GitRunner(env, timeout=self.config.timeout.total_seconds())

    def handle(self, wi: Workitem) -> dict[str, Any]:
        """Run the step's action over its repositories (see :func:`participants.git.batch.each_repo`)."""
        params: AnyAction = wi.params.root
        if params.action in LOCAL_ACTIONS:
            workspace = Workspace(self.config, self.git.bound(wi.cancelled), wi.cancelled)
            run_local = LOCAL[params.action]
            return each_repo(wi, params.action, params.repos, lambda repo: run_local(workspace, repo, params))
        hub = Hub(self.config, wi.cancelled)
        run_github = GITHUB[params.action]
        try:
            return each_repo(wi, params.action, params.repos, lambda repo: run_github(hub, repo, params))
        finally:
            hub.close()

    def cancel(self, wi: Workitem) -> None:
        """Nothing to do here: the running git command watches ``wi.cancelled`` and stops its process group."""
