"""What the pool's commands report, as immutable models (printed by the CLI, published by the agent)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from skynet.pool.apply import ApplyResult
from skynet.pool.checks import ParticipantInfo
from skynet.pool.status import ProgramStatus


class UpResult(BaseModel):
    """What ``skynet up`` did."""

    model_config = ConfigDict(frozen=True)

    pool: str
    home: str
    pid: int
    started: bool  # False: it was already up (the configs were applied instead)
    applied: ApplyResult | None = None


class InstallResult(BaseModel):
    """What ``skynet install`` did."""

    model_config = ConfigDict(frozen=True)

    name: str
    action: Literal["installed", "updated", "unchanged"]
    info: ParticipantInfo
    status: ProgramStatus
    registered: bool
    warnings: tuple[str, ...] = ()


class UninstallResult(BaseModel):
    """What ``skynet uninstall`` did for one participant."""

    model_config = ConfigDict(frozen=True)

    name: str
    removed_from_supervisor: bool  # False: the pool was down (nothing ran) or supervisord kept it (see warnings)
    unregistered: bool
    warnings: tuple[str, ...] = ()
