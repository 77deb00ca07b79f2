"""Optional HMAC signing of messages (``BOSS_SIGNING_KEY``): who may dispatch, reply, register and launch.

Anyone with credentials on the broker can publish to any queue their broker user may write to. With a
signing key configured, every message a boss component acts on carries an HMAC-SHA256 of its body in the
``x-boss-signature`` header, and messages without a valid one are dead-lettered instead of acted on:

- the engine signs the workitems and cancel requests it publishes; participants refuse (dead-letter)
  workitems and ignore cancels that are not signed with their key, and never run ``handle`` for them;
- participants sign their replies and announcements; the engine dead-letters replies and registrations
  that are not signed;
- ``boss`` commands sign launch and command requests; the engine refuses unsigned ones with an answer
  that says so.

The guarantee: a party without the key can neither dispatch work, nor reply to it, nor launch or control
processes. The key is one shared secret: every participant holds it (it must verify workitems, and HMAC
is symmetric), so signing does not tell one keyed participant from another. A per-workitem reply key
derived from the shared key would not change that (any keyed party could derive it), so replies are signed
with the shared key itself. What stops a keyed party, or a replayed signed message, from answering work it
was not given is the interpreter: a reply only counts for the (workitem id, attempt) the engine is waiting
for, and is ignored otherwise.

The signature covers the body only. It proves who wrote a message, not where it was meant to go: each
message type has its own required fields, so a signed body moved to another kind of queue does not
decode there, but a signed message replayed to its own queue is still authentic (harmless: workitems are
idempotent by design and stale replies are ignored, as above).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "x-boss-signature"
UNSIGNED = "bad or missing signature"


def sign(key: str, body: bytes) -> str:
    """The signature of a message body: hex HMAC-SHA256 with ``key``.

    Args:
        key: The shared signing key (``BOSS_SIGNING_KEY``), encoded as UTF-8.
        body: The exact bytes published: a signature over re-encoded JSON would break on key order.

    Returns:
        64 lowercase hex characters, for the ``x-boss-signature`` header.
    """
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(key: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is the signature of ``body`` under ``key``.

    The comparison takes constant time, so response timing does not reveal how much of a forged
    signature was right.

    Args:
        key: The shared signing key.
        body: The message body as received.
        signature: The ``x-boss-signature`` header, or None when the message had none.
    """
    if not signature:
        return False
    expected = sign(key, body).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8"))


def signature_of(headers: Mapping[str, Any] | None) -> str | None:
    """The signature header of a delivery, or None (pika may hand header strings over as bytes)."""
    value = (headers or {}).get(SIGNATURE_HEADER)
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return value if isinstance(value, str) else None


def signed_headers(key: str | None, body: bytes, headers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``headers`` plus the signature of ``body`` when a key is set (a copy; unchanged without a key)."""
    result = dict(headers or {})
    if key:
        result[SIGNATURE_HEADER] = sign(key, body)
    return result
