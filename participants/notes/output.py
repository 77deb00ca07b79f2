"""Write the notes to a file atomically, inside the configured output directory only.

Readers (a web server, a release script) never see half a file: the text goes to a temporary file in
the same directory, is flushed to disk, and replaces the target with one ``rename``. Writing the same
notes again replaces the file with identical content, so a re-run is harmless.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from skynet import ParticipantError, RetryableError

TRANSIENT = {errno.ENOSPC, errno.EIO, errno.EAGAIN, errno.EDQUOT}


class OutputRefused(ParticipantError):
    """The step asked for a file the configuration does not allow, or the file cannot be written."""


class OutputFailedTransient(RetryableError):
    """Writing the file failed for a reason that may pass (a full disk, an I/O error)."""


def target(output_dir: str | None, relative: str) -> Path:
    """The file ``relative`` names inside ``output_dir``; refused when there is none or it would leave it."""
    if not output_dir:
        raise OutputRefused("output_file needs output_dir in the notes config (etc/participants/notes.yaml or "
                            "BOSS_NOTES_OUTPUT_DIR): processes may only write inside it")
    root = Path(output_dir).resolve()
    path = (root / relative).resolve()
    if root != path and root not in path.parents:
        raise OutputRefused(f"output_file {relative!r} leaves the output directory {root}")
    return path


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (directories created as needed)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        problem = f"cannot write {path}: {exc.strerror or exc}"
        if exc.errno in TRANSIENT:
            raise OutputFailedTransient(problem) from exc
        raise OutputRefused(problem) from exc
