"""A bounded memory of workitem keys (id, attempt): cancels that came early, work already answered."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class Recent:
    """The last ``limit`` keys added; the oldest are forgotten first so memory stays bounded."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def add(self, key: Hashable) -> None:
        """Remember ``key`` (again, as the newest)."""
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.limit:
            self._keys.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        """Forget ``key``."""
        self._keys.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)
