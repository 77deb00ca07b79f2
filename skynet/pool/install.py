"""Installing and uninstalling participants, and (un)registering them with the engine.

``install`` is careful about order, so that a bad install leaves nothing behind:

1. check the arguments, and that the pool is up;
2. check the participant itself in a child process, as ``--user`` when given (the class loads, ``setup``
   runs once);
3. under the pool's lock, write the install record and the program file, and reconcile supervisord; if
   that fails, the previous record (or none) is restored and reconciled again;
4. wait for the instances to start and report the ones that did not.

The child of step 2 also registers the participant with the engine once its setup has passed (a new
install that then fails is unregistered again). A registration the engine does not confirm is a warning
(the engine may be down; ``skynet register`` tries again), never a failed install.

Installing a name that is installed replaces its record: the same arguments change nothing, others
restart its instances with the new program (``skynet reload`` is the rolling way to pick up new code).
"""

from __future__ import annotations

import os
import pwd
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import BossError
from skynet.participant import check_name
from skynet.pool.apply import reconcile
from skynet.pool.checks import DEFAULT_AMQP_URL, ParticipantInfo, absolute_spec, check
from skynet.pool.errors import PoolError, UnknownParticipantError
from skynet.pool.home import locked, remove
from skynet.pool.programs import RESERVED_NAMES, install_environment
from skynet.pool.records import MAX_INSTANCES, InstallRecord, read_record, remove_record, write_record
from skynet.pool.results import InstallResult, UninstallResult

if TYPE_CHECKING:
    from skynet.pool.pool import Pool


def install(pool: Pool, spec: str, *, name: str | None, instances: int, queue: str | None, user: str | None,
            config: str | None, start: bool, cwd: Path) -> InstallResult:
    """Install ``spec`` in ``pool``; see the module docstring for the steps.

    Raises:
        PoolError, SpecError, ...: the participant cannot be installed; nothing was changed.
    """
    _check_arguments(name, instances, user)
    with pool.client() as supervisor:
        supervisor.state()  # the pool must be up: say so before the slower checks
    config_file = str((cwd / config).expanduser().absolute()) if config else None
    # Checked as given (errors name what the user typed); recorded with an absolute path. The same child
    # registers it once setup has passed (one interpreter start less than a separate registration).
    info = check(spec, name=name, queue=queue, config_file=config_file, setup=True, register_pool=pool.name,
                 env=pool.env, cwd=cwd, user=user, python=pool.python)
    record = InstallRecord(name=info.name, spec=absolute_spec(spec, cwd), instances=instances, queue=queue,
                           user=user, config=config_file, enabled=start, directory=str(cwd),
                           env=install_environment(info.name, pool.env), registered=bool(info.registered))
    new = not pool.home.record_file(record.name).exists()
    try:
        if record.name in RESERVED_NAMES:
            raise PoolError(f"{record.name!r} is the name of the pool's own program: install it --name another-name")
        action = _write_and_apply(pool, record)
    except BaseException:
        if new and info.registered:
            unregister(pool, record)  # best effort: nothing is installed, so nothing should be registered
        raise
    status = pool.wait_settled([record.name])[0] if record.enabled else pool.status(record.name)
    warnings = [f"{instance.name} is {instance.state} ({instance.description}): see skynet log {record.name}"
                for instance in status.instances if record.enabled and instance.state != "RUNNING"]
    if not info.registered:
        warnings.append(f"installed, but not registered: {info.registration_error} "
                        f"(skynet register {record.name} tries again)")
    return InstallResult(name=record.name, action=action, info=info, status=status,
                         registered=bool(info.registered), warnings=tuple(warnings))


def _check_arguments(name: str | None, instances: int, user: str | None) -> None:
    if name is not None:
        check_name(name)
        if name in RESERVED_NAMES:
            raise PoolError(f"{name!r} is the name of the pool's own program: install it --name another-name")
    if not 1 <= instances <= MAX_INSTANCES:
        raise PoolError(f"--instances must be between 1 and {MAX_INSTANCES}, not {instances}")
    if user is None:
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise PoolError(f"no such user: {user}") from None
    if os.geteuid() != 0 and entry.pw_uid != os.geteuid():
        raise PoolError(f"--user {user} needs a pool run by root (only root's supervisord can switch users)")


def _write_and_apply(pool: Pool, record: InstallRecord) -> str:
    """Write the record, render and reconcile; on failure put the previous record back. The action taken."""
    home = pool.home
    with locked(home), pool.client() as supervisor:
        try:
            previous: InstallRecord | None = read_record(home, record.name)
        except UnknownParticipantError:
            previous = None
        if previous is not None and previous.same_install(record):
            if previous.registered != record.registered:
                write_record(home, previous.model_copy(update={"registered": record.registered}))
            return "unchanged"
        write_record(home, record)
        try:
            pool.render()
            result = reconcile(supervisor)
            if result.problems:
                raise PoolError(f"supervisord did not take {record.name}: {'; '.join(result.problems)}")
        except BaseException:
            if previous is not None:
                write_record(home, previous)
            else:
                remove_record(home, record.name)
            try:
                pool.render()
                reconcile(supervisor)
            except BossError:
                pass  # the original error says more
            raise
    return "installed" if previous is None else "updated"


def uninstall(pool: Pool, names: Sequence[str]) -> list[UninstallResult]:
    """Stop and remove participants from supervisord, forget their records, unregister them.

    With the pool down the files are removed all the same (the next ``skynet up`` does not start them).
    Logs are kept; the participant's queue is kept too, with any workitems waiting in it.
    """
    records = [read_record(pool.home, name) for name in pool.resolve(names)]
    problems: list[str] = []
    removed = False
    with locked(pool.home):
        for record in records:
            remove_record(pool.home, record.name)
        pool.render()
        try:
            with pool.client() as supervisor:
                result = reconcile(supervisor)
                removed, problems = True, list(result.problems)
        except PoolError as exc:
            problems = [] if not pool.is_up() else [str(exc)]
    results = []
    for record in records:
        for number in range(record.instances):
            remove(pool.home.status_file(f"{record.name}-{number}"))
        warnings = [problem for problem in problems if problem.startswith(f"{record.name}:")]
        taken_out = removed and not warnings
        why_not = unregister(pool, record)
        if why_not is not None:
            warnings.append(f"not unregistered: {why_not} (the engine may still list {record.name})")
        results.append(UninstallResult(name=record.name, removed_from_supervisor=taken_out,
                                       unregistered=why_not is None, warnings=tuple(warnings)))
    return results


def register(pool: Pool, record: InstallRecord) -> ParticipantInfo:
    """Register an installed participant with the engine (its class loaded in a child); remember the answer."""
    info = check(record.spec, name=record.name, queue=record.queue, config_file=record.config, setup=False,
                 register_pool=pool.name, env=pool.record_env(record), cwd=Path(record.directory),
                 user=record.user, python=pool.python)
    registered = bool(info.registered)
    with locked(pool.home):
        try:
            current = read_record(pool.home, record.name)
        except UnknownParticipantError:
            return info
        if current.registered != registered:
            write_record(pool.home, current.model_copy(update={"registered": registered}))
    return info


def unregister(pool: Pool, record: InstallRecord) -> str | None:
    """Remove a participant's registration in this pool; None when the engine confirmed, else why not."""
    from skynet.registry import unregister as send_unregister

    env = pool.record_env(record)
    try:
        send_unregister(env.get("BOSS_AMQP_URL") or DEFAULT_AMQP_URL, record.name, pool.name, socket.gethostname(),
                        signing_key=env.get("BOSS_SIGNING_KEY") or None)
    except BossError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    with locked(pool.home):
        try:
            current = read_record(pool.home, record.name)
        except UnknownParticipantError:
            return None
        if current.registered:
            write_record(pool.home, current.model_copy(update={"registered": False}))
    return None
