"""``etc/webhooks.yaml``: the endpoint's path, where its secret is, and the rules mapping events to processes.

The secret never sits in the file: it comes from ``BOSS_WEBHOOK_SECRET`` or from ``secret_file`` (a file
only the launcher's user can read). Without a secret the launcher refuses to start: an endpoint that
launches release processes must not accept unsigned requests.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from engine.config import ConfigError, read_mapping_file
from engine.expressions import check_condition
from launchers.templates import as_value_error, check_templates

log = logging.getLogger("boss.webhook")

DEFAULT_FILE = "etc/webhooks.yaml"
SECRET_VARIABLE = "BOSS_WEBHOOK_SECRET"


class Rule(BaseModel):
    """Launch ``process`` for events named ``event`` that pass every filter given.

    Attributes:
        actions: the payload's ``action`` must be one of these (empty: any, or none, as for ``push``).
        repositories: glob patterns on ``repository.full_name`` (``acme/*``); empty: any repository.
        branches: glob patterns on the event's branch (``ref`` of a push, the base of a pull request...);
            empty: any. An event without a branch never passes a branch filter.
        when: an extra condition on the same names as the fields (``payload.pull_request.merged``).
        fields: launch fields; templates read ``payload``, ``event``, ``action``, ``delivery``,
            ``repository``, ``branch`` and ``sender``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    event: str = Field(min_length=1)
    actions: list[str] = Field(default_factory=list)
    repositories: list[str] = Field(default_factory=list)
    branches: list[str] = Field(default_factory=list)
    when: str | None = None
    process: str = Field(min_length=1)
    fields: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _one_action(cls, data: Any) -> Any:
        """``action: published`` is a one-item ``actions`` list."""
        if isinstance(data, dict) and "action" in data and "actions" not in data:
            data = {**data, "actions": [data["action"]]}
            del data["action"]
        return data

    @field_validator("when")
    @classmethod
    def _condition(cls, source: str | None) -> str | None:
        if source is not None:
            as_value_error(lambda: check_condition(source))
        return source

    @field_validator("fields")
    @classmethod
    def _templates(cls, fields: dict[str, Any]) -> dict[str, Any]:
        as_value_error(lambda: check_templates(fields))
        return fields


class WebhookConfig(BaseModel):
    """The endpoint: where it listens, its secret, the largest body it reads, its rules (first to last)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(default="/hooks/github", pattern=r"^/")
    secret: SecretStr
    max_body: int = Field(default=25 * 1024 * 1024, gt=0)  # GitHub caps payloads at 25 MB
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[Rule]) -> list[Rule]:
        names = [r.name for r in rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"rule names must be unique: {', '.join(twice)} given more than once")
        return rules


def load_webhooks(path: str | Path, env: Mapping[str, str] = os.environ) -> WebhookConfig:
    """Read the rules file and find the secret (``BOSS_WEBHOOK_SECRET`` wins over ``secret_file``).

    Raises:
        ConfigError: the file is unreadable or invalid, holds a secret itself, or no secret is set.
    """
    path = Path(path)
    data = _read(path)
    if "secret" in data:
        raise ConfigError(f"{path}: do not write the secret in the file; set {SECRET_VARIABLE} or secret_file")
    secret_file = data.pop("secret_file", None)
    secret = env.get(SECRET_VARIABLE) or (_read_secret(path.parent / str(secret_file)) if secret_file else "")
    if not secret:
        raise ConfigError(f"no webhook secret: set {SECRET_VARIABLE} or secret_file in {path} (the same secret "
                          "as in the GitHub webhook's settings)")
    try:
        return WebhookConfig.model_validate({**data, "secret": secret})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise ConfigError(f"{path}: {where}: {str(first['msg']).removeprefix('Value error, ')}") from exc


def _read(path: Path) -> dict[str, Any]:
    return read_mapping_file(path, "webhooks file", "a mapping with a 'rules' list")


def _read_secret(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the webhook secret file {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the webhook secret file %s can be read by other users: chmod 600 it", path)
    return text
