"""``python -m skynet``: the skynet command."""

from skynet.cli import main

main()
