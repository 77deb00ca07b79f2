"""``python -m launchers.calendar``."""

from launchers.calendar.cli import main

main()
