"""The jenkins participant's configuration: where Jenkins is, who we are, how patiently we poll.

Read from ``etc/participants/jenkins.yaml`` and ``BOSS_JENKINS_<KEY>`` variables; the secrets (``token``
or ``password``) only from the environment. Checked when the daemon starts, so a typo stops it at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from skynet.durations import Duration, NonNegativeDuration
from skynet.errors import ConfigError

KEY_PARAMETER = "BOSS_IDEMPOTENCY_KEY"




class JenkinsConfig(BaseModel):
    """Everything ``setup`` reads (see docs/participants/jenkins.md for each key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    user: str | None = None
    token: str | None = None
    password: str | None = None
    poll_interval: Duration = timedelta(seconds=10)
    timeout: Duration | None = None
    request_timeout: Duration = timedelta(seconds=30)
    outage_tolerance: NonNegativeDuration = timedelta(minutes=5)
    idempotency_parameter: str = KEY_PARAMETER
    verify_tls: bool | str = True

    @field_validator("verify_tls", mode="before")
    @classmethod
    def _flag_or_path(cls, value: Any) -> Any:
        # From the environment every value is text: "false" is the flag, anything else a CA bundle path.
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.strip().lower() in ("true", "yes", "1")
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> JenkinsConfig:
        if self.token and self.password:
            raise ValueError("give token (an API token: no crumbs needed) or password, not both")
        if (self.token or self.password) and not self.user:
            raise ValueError("user is required with a token or password")
        return self

    @property
    def base(self) -> str:
        """The URL without a trailing slash, to put paths after."""
        return self.url.rstrip("/")


def read_config(config: Mapping[str, Any]) -> JenkinsConfig:
    """The validated configuration.

    Raises:
        ConfigError: one line naming every bad key.
    """
    if not config.get("url"):
        raise ConfigError("jenkins config: no url: set url in etc/participants/jenkins.yaml or BOSS_JENKINS_URL")
    try:
        return JenkinsConfig.model_validate(dict(config))
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_context=False, include_input=False)
        text = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in problems)
        raise ConfigError(f"jenkins config: {text}") from None
