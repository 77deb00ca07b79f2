"""URLs every part of boss handles: the default store location, and URLs made safe to print.

Kept free of SQLAlchemy and pika so the settings, the CLIs and the daemons can use them at start-up.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def default_store_url() -> str:
    """The SQLite file in the user's data directory: ``$XDG_DATA_HOME/boss/boss.db``.

    Falls back to ``~/.local/share/boss/boss.db`` (the XDG default) when ``XDG_DATA_HOME`` is unset.
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'boss' / 'boss.db'}"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe for messages and logs.

    Works on text that does not parse as a URL too, since bad URLs must be reported without leaking.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    head, qmark, query = rest.partition("?")
    credentials, at, host = head.rpartition("@")
    if at and ":" in credentials:
        head = f"{credentials.split(':', 1)[0]}:***@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", query)
    return f"{scheme}{sep}{head}{qmark}{query}"
