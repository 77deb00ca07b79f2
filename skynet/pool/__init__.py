"""The participant pool: this host's participant daemons under a supervisord of their own (``skynet up``).

:class:`Pool` is the one entry point (the ``skynet`` commands and the pool agent both use it). Modules,
from the outside in: ``pool`` (the facade), ``install`` and ``control`` (what the commands do),
``apply`` (reconciling supervisord with the install records, like ``supervisorctl update``), ``programs``
(rendering supervisord's config), ``records`` and ``home`` (the files under ``SKYNET_HOME``),
``supervisor`` (the XML-RPC client), ``daemon`` (starting and stopping supervisord), ``status`` and
``logs`` (reading), ``checks`` (loading a participant in a child process before it is installed).
"""

from __future__ import annotations

from skynet.pool.errors import ActionFailed, PoolDownError, PoolError, UnknownParticipantError
from skynet.pool.home import PoolHome
from skynet.pool.pool import Pool
from skynet.pool.results import InstallResult, UninstallResult, UpResult
from skynet.pool.status import InstanceStatus, PoolStatus, ProgramStatus

__all__ = ["ActionFailed", "InstallResult", "InstanceStatus", "Pool", "PoolDownError", "PoolError", "PoolHome",
           "PoolStatus", "ProgramStatus", "UninstallResult", "UnknownParticipantError", "UpResult"]
