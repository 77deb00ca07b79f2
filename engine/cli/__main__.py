"""``python -m engine.cli`` runs ``boss``."""

from engine.cli.main import main

main()
