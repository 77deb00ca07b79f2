"""The git participant's configuration: where clones live, where remotes are, how to reach GitHub.

``etc/participants/git.yaml`` plus ``BOSS_GIT_<KEY>`` variables (the token only from the environment:
``BOSS_GIT_TOKEN``). Validated when the daemon starts, so a typo stops it at once, not a release.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator

from skynet.durations import NonNegativeDuration as Duration
from skynet.errors import ConfigError

DEFAULT_WORKDIR = "~/.local/state/boss/git"


def _words(value: Any) -> Any:
    # From the environment a list arrives as one string: "github.com, ghe.example.com".
    if isinstance(value, str):
        return [word.strip() for word in value.split(",") if word.strip()]
    return value




class GitConfig(BaseModel):
    """The whole configuration (see docs/participants/git.md for each key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workdir: str = DEFAULT_WORKDIR
    remote: str = "https://github.com/{repo}.git"
    remotes: dict[str, str] = {}
    github_url: str = "https://api.github.com"
    token: str | None = None
    token_hosts: Annotated[list[str], BeforeValidator(_words)] = ["github.com"]
    committer_name: str = "boss"
    committer_email: str = "boss@localhost"
    timeout: Duration = timedelta(minutes=10)
    github_timeout: Duration = timedelta(seconds=30)
    max_wait: Duration = timedelta(seconds=60)
    request_interval: Duration = timedelta(seconds=0.25)
    write_interval: Duration = timedelta(seconds=1)

    @field_validator("remote")
    @classmethod
    def _a_template(cls, value: str) -> str:
        try:
            value.format(repo="owner/name", owner="owner", name="name")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"not a URL template with {{repo}}, {{owner}} and {{name}}: {exc}") from None
        return value

    @property
    def workdir_path(self) -> Path:
        """The clone directory, with ``~`` and variables expanded."""
        return Path(os.path.expandvars(os.path.expanduser(self.workdir)))

    def remote_url(self, repo: str) -> str:
        """The URL of ``repo``'s remote: its entry in ``remotes``, else the ``remote`` template filled in."""
        if repo in self.remotes:
            return self.remotes[repo]
        owner, _, name = repo.rpartition("/")
        return self.remote.format(repo=repo, owner=owner, name=name)


def read_config(config: Mapping[str, Any]) -> GitConfig:
    """The validated configuration.

    Raises:
        ConfigError: one line naming every bad key.
    """
    try:
        return GitConfig.model_validate(dict(config))
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_context=False, include_input=False)
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in problems)
        raise ConfigError(f"git config: {text}") from None
