"""Tests of the participant SDK and runtime (``skynet``)."""
