"""The ``boss`` command line (thin: every command calls library functions)."""
