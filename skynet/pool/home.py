"""The pool's directory, ``SKYNET_HOME``: where supervisord's config, socket, logs and install records live.

Layout (everything a pool owns is under one directory, so a pool needs no root and two pools never meet)::

    SKYNET_HOME/
      pool.yaml               name: the pool's name (written by ``skynet up``)
      supervisord.conf        the supervisord of this pool (rendered, never edited by hand)
      programs/NAME.ini       one supervisor program per installed participant (0600: it holds BOSS_* secrets)
      installed/NAME.yaml     the install record: what ``skynet install`` was asked (0600, same reason)
      run/supervisor.sock     supervisord's XML-RPC unix socket (0700)
      run/supervisord.pid
      run/status/INSTANCE.json what each instance is working on (written by the runtime)
      logs/supervisord.log    supervisord's own log (starts, exits, restarts)
      logs/NAME-N.log         instance N of participant NAME (stdout and stderr)

The default is ``$XDG_STATE_HOME/skynet``, else ``~/.local/state/skynet``; set ``SKYNET_HOME`` (or ``--home``)
for a system pool such as ``/var/lib/skynet``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.transport.pool_messages import pool_name_from_host, valid_pool_name
from skynet.pool.errors import PoolError

SOCKET_PATH_MAX = 100  # AF_UNIX paths are limited to 107 bytes on Linux (103 on macOS)
PRIVATE = 0o600


def default_home(env: Mapping[str, str] = os.environ) -> Path:
    """``SKYNET_HOME``, else ``$XDG_STATE_HOME/skynet``, else ``~/.local/state/skynet``."""
    if env.get("SKYNET_HOME"):
        return Path(env["SKYNET_HOME"])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "skynet"


@dataclass(frozen=True)
class PoolHome:
    """The paths of one pool directory (absolute, so supervisord and its programs agree on them)."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str] | None = None, env: Mapping[str, str] = os.environ) -> PoolHome:
        """The pool directory ``root``, else the default one."""
        return cls(Path(root if root is not None else default_home(env)).expanduser().absolute())

    @property
    def supervisord_conf(self) -> Path:
        return self.root / "supervisord.conf"

    @property
    def pool_file(self) -> Path:
        return self.root / "pool.yaml"

    @property
    def programs(self) -> Path:
        return self.root / "programs"

    @property
    def installed(self) -> Path:
        return self.root / "installed"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def status(self) -> Path:
        return self.run / "status"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def socket(self) -> Path:
        return self.run / "supervisor.sock"

    @property
    def pidfile(self) -> Path:
        return self.run / "supervisord.pid"

    @property
    def lock(self) -> Path:
        return self.run / "pool.lock"

    @property
    def supervisord_log(self) -> Path:
        return self.logs / "supervisord.log"

    @property
    def server_url(self) -> str:
        """The ``serverurl`` of supervisorctl and of our XML-RPC client."""
        return f"unix://{self.socket}"

    def program_file(self, name: str) -> Path:
        return self.programs / f"{name}.ini"

    def record_file(self, name: str) -> Path:
        return self.installed / f"{name}.yaml"

    def instance_log(self, process: str) -> Path:
        return self.logs / f"{process}.log"

    def status_file(self, process: str) -> Path:
        return self.status / f"{process}.json"

    def create(self) -> None:
        """Make the directories, private except where a participant run as ``--user`` must reach.

        Raises:
            PoolError: a directory cannot be made, or the socket path would be too long.
        """
        if len(str(self.socket).encode()) > SOCKET_PATH_MAX:
            raise PoolError(f"SKYNET_HOME {self.root} is too long: the socket path {self.socket} must stay under "
                            f"{SOCKET_PATH_MAX} bytes; choose a shorter SKYNET_HOME")
        # A root pool runs --user participants: they must traverse the root and run/ and write what they work
        # on into status/ (sticky, like /tmp). A user's pool stays private. Records and programs hold secrets.
        shared = os.geteuid() == 0
        modes = ((self.root, 0o711 if shared else 0o700), (self.run, 0o711 if shared else 0o700),
                 (self.status, 0o1777 if shared else 0o700), (self.programs, 0o700), (self.installed, 0o700),
                 (self.logs, 0o750))
        try:
            for path, mode in modes:
                path.mkdir(parents=True, exist_ok=True)
                path.chmod(mode)
        except OSError as exc:
            raise PoolError(f"cannot create the pool directory {self.root}: {exc.strerror or exc}") from exc

    def pool_name(self, env: Mapping[str, str] = os.environ) -> str:
        """The pool's name: ``SKYNET_POOL``, else ``name`` in ``pool.yaml``, else derived from the host name.

        Raises:
            PoolError: the name is not a valid pool name.
        """
        name = env.get("SKYNET_POOL") or str(read_yaml(self.pool_file).get("name") or "")
        if not name:
            return pool_name_from_host(socket.gethostname())
        if not valid_pool_name(name):
            raise PoolError(f"invalid pool name {name!r} (SKYNET_POOL or {self.pool_file}): use letters, digits, "
                            "'-' and '_' (no dots; 'all' is reserved)")
        return name


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; empty when the file does not exist.

    Raises:
        PoolError: the file cannot be read or is not a YAML mapping.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise PoolError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise PoolError(f"{path}: not valid YAML: {getattr(exc, 'problem', None) or type(exc).__name__}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PoolError(f"{path}: expected a mapping, got {type(data).__name__}")
    return {str(key): value for key, value in data.items()}


def write_atomic(path: Path, text: str, mode: int = PRIVATE) -> bool:
    """Replace ``path`` by ``text`` in one step (readers see the old or the new file, never half of one).

    The temporary file gets ``mode`` before a byte is written, so a secret is never readable by others,
    even for an instant. Returns whether the content changed (an unchanged file is not rewritten).

    Raises:
        PoolError: the file cannot be written.
    """
    try:
        if path.read_text(encoding="utf-8") == text and (path.stat().st_mode & 0o7777) == mode:
            return False
    except OSError:
        pass
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise PoolError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return True


def remove(path: Path) -> bool:
    """Delete ``path`` if it exists; whether it did."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PoolError(f"cannot remove {path}: {exc.strerror or exc}") from exc
    return True


@contextlib.contextmanager
def locked(home: PoolHome) -> Iterator[None]:
    """Hold the pool's lock: one command at a time writes configs and reconciles supervisord.

    Two ``skynet install`` at once (or the agent and a user) would otherwise interleave file writes and
    ``reloadConfig`` calls and leave supervisord applying half of each.
    """
    import fcntl

    home.run.mkdir(parents=True, exist_ok=True)
    with home.lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
