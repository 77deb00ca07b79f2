"""The process language: YAML -> validated, immutable definitions (see docs/process-language.md)."""

from engine.language.fields import launch_fields, parse_assignment, read_cli_value, redact
from engine.language.library import Library, Program, definition_from_source, load_text
from engine.language.model import Definition, Step

__all__ = [
    "Definition", "Library", "Program", "Step", "definition_from_source", "launch_fields", "load_text",
    "parse_assignment", "read_cli_value", "redact",
]  # fmt: skip
