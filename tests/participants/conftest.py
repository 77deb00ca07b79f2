"""Fixtures of the built-in participants' tests: the SDK tests' broker bus and in-process runtimes."""

from tests.sdk.conftest import bus, start_runtime  # noqa: F401
