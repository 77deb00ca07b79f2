"""``python -m launchers.webhook``."""

from launchers.webhook.cli import main

main()
