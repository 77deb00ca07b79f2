"""Bounded capture of a command's stdout and stderr.

A release tool may print for an hour; the result travels over the broker and into the store, so only the
last ``max_output`` bytes of each stream are kept (the end is where the error is). Each stream is read in
a thread of its own, so a command filling one pipe never blocks on the other.
"""

from __future__ import annotations

import os
import threading
from typing import IO


class Capture:
    """Reads a stream to its end in a thread, keeping only its last ``limit`` bytes (output is bounded)."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._data = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True, name="shell-capture")
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        with stream:
            while chunk := os.read(stream.fileno(), 65536):
                with self._lock:
                    self.total += len(chunk)
                    self._data += chunk
                    if len(self._data) > self.limit:
                        del self._data[: len(self._data) - self.limit]

    def join(self, timeout: float) -> None:
        """Wait for the end of the stream, but not forever: a stray holding the pipe may be outside our group."""
        self._thread.join(timeout)

    @property
    def truncated(self) -> bool:
        """Whether the beginning of the output was dropped."""
        with self._lock:
            return self.total > len(self._data)

    def text(self) -> str:
        """The kept output as text (undecodable bytes replaced, as a cut may split a character)."""
        with self._lock:
            return bytes(self._data).decode("utf-8", errors="replace")

    def last_line(self) -> str:
        """The last non-blank line so far: the progress a long command shows."""
        lines = [line.strip() for line in self.text().splitlines() if line.strip()]
        return lines[-1] if lines else ""
