"""GitHub's webhook signature: ``X-Hub-Signature-256: sha256=<hex>``, an HMAC-SHA256 of the raw body.

The signature covers the body's exact bytes, so it is checked before the body is parsed, and compared in
constant time (:func:`hmac.compare_digest`) so that response times do not reveal how much of a forged
signature was right.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value GitHub sends for ``body`` (for tests, and for programs that post to the launcher)."""
    return _PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` with ``secret``; a missing or malformed one is not."""
    if not secret or not header or not header.startswith(_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), header.strip().encode("ascii", "replace"))
