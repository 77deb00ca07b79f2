"""No Participant class at all."""

from __future__ import annotations


class Helper:
    """Not a participant."""
