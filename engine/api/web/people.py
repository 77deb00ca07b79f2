"""Who may answer an approval: the same rule the engine applies, so the dashboard offers only what will work.

An approve step's ``by`` lists people and groups (the engine's ``groups`` setting); an empty ``by`` lets
anyone with an operator token answer. The signed-in user is the token's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def groups_of(user: str, groups: Mapping[str, Sequence[str]]) -> set[str]:
    """The groups ``user`` belongs to."""
    return {name for name, members in groups.items() if user in members}


def may_answer(user: str, by: Iterable[str], groups: Mapping[str, Sequence[str]]) -> bool:
    """Whether ``user`` may answer an approval restricted to ``by`` (anyone when empty)."""
    allowed = set(by)
    return not allowed or user in allowed or bool(allowed & groups_of(user, groups))
