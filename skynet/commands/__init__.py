"""The ``skynet`` subcommands, one module per concern; :mod:`skynet.cli` adds them to the group."""
