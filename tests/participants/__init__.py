"""Tests of the built-in participants (``participants.<name>``)."""
