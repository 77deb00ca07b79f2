"""Reconciling supervisord with the install records, the way ``supervisorctl update`` does.

Two steps. :func:`render_all` writes the config files from the records (supervisord.conf, one
``programs/NAME.ini`` per record, and removes the ini files of records that are gone); unchanged files are
not touched. :func:`reconcile` then asks supervisord to re-read them (``reloadConfig``, which only reports
the groups added, changed and removed) and acts on each report:

- removed: stop the group's processes (gracefully, all at once, waiting), then remove the group; a group
  whose processes do not stop is kept and reported;
- changed: stop, remove and add it again, so every instance runs the new program definition;
- added: add it (its instances start when the program is enabled).

A program whose rendered file did not change is not in any list, so applying twice does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from supervisor.xmlrpc import Faults  # type: ignore[import-untyped]

from skynet.pool.errors import PoolError, SupervisorFault
from skynet.pool.home import PoolHome, remove, write_atomic
from skynet.pool.processes import stop_group
from skynet.pool.programs import render_program, render_supervisord
from skynet.pool.records import InstallRecord
from skynet.pool.supervisor import Supervisor


@dataclass(frozen=True)
class ApplyResult:
    """What a reconciliation did to supervisord's process groups."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def touched(self) -> bool:
        """Whether any group was added, changed or removed."""
        return bool(self.added or self.changed or self.removed)


def render_all(home: PoolHome, records: Iterable[InstallRecord], pool: str, *, agent: bool,
               python: str | None = None) -> list[str]:
    """Write supervisord.conf and every program file from the records; the names of the files changed.

    Every file is rendered before the first is written, so a record that cannot be rendered (a value
    supervisor's format cannot hold) changes nothing.

    Raises:
        PoolError: a file cannot be rendered or written.
    """
    records = list(records)
    files = {home.supervisord_conf: render_supervisord(home, pool, agent=agent, python=python)}
    files.update({home.program_file(record.name): render_program(record, home, python) for record in records})
    changed = [path.name for path, text in files.items() if write_atomic(path, text)]
    for stale in sorted(home.programs.glob("*.ini")):
        if stale not in files:
            remove(stale)
            changed.append(stale.name)
    return changed


def reconcile(supervisor: Supervisor) -> ApplyResult:
    """Make supervisord run what its config files say (``supervisorctl update``).

    Raises:
        PoolDownError: supervisord is not running.
        PoolError: supervisord cannot read its config files.
    """
    try:
        changes = supervisor.reload_config()
    except SupervisorFault as exc:
        if exc.code == Faults.SHUTDOWN_STATE:
            raise PoolError("the pool is shutting down: wait for skynet down to finish, then skynet up") from exc
        raise PoolError(f"supervisord cannot read the pool's config: {exc}") from exc
    problems: list[str] = []
    removed = [name for name in changes["removed"] if _remove(supervisor, name, problems)]
    changed = [name for name in changes["changed"] if _replace(supervisor, name, problems)]
    added = [name for name in changes["added"] if _add(supervisor, name, problems)]
    return ApplyResult(tuple(added), tuple(changed), tuple(removed), tuple(problems))


def _remove(supervisor: Supervisor, name: str, problems: list[str]) -> bool:
    try:
        failed = stop_group(supervisor, name)
        if failed:
            problems.append(f"{name}: {', '.join(failed)} did not stop; the program is kept")
            return False
        supervisor.remove_group(name)
    except SupervisorFault as exc:
        problems.append(f"{name}: not removed: {exc}")
        return False
    return True


def _replace(supervisor: Supervisor, name: str, problems: list[str]) -> bool:
    try:
        failed = stop_group(supervisor, name)
        if failed:
            problems.append(f"{name}: {', '.join(failed)} did not stop; the program is not updated")
            return False
        supervisor.remove_group(name)
        supervisor.add_group(name)
    except SupervisorFault as exc:
        problems.append(f"{name}: not updated: {exc}")
        return False
    return True


def _add(supervisor: Supervisor, name: str, problems: list[str]) -> bool:
    try:
        supervisor.add_group(name)
    except SupervisorFault as exc:
        if exc.code == Faults.ALREADY_ADDED:
            return False
        problems.append(f"{name}: not added: {exc}")
        return False
    return True
