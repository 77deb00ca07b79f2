"""boss launchers package."""
