"""YAML text -> plain Python data that remembers where every value came from.

PyYAML's constructors forget line numbers, yet every definition error must name its file and line. So we
compose the node graph ourselves and build plain dicts/lists/scalars, recording the line of each value by its
path (``("steps", 2, "parallel", 1)``). Two YAML habits that bite process authors are changed on purpose:
timestamps stay strings (``until: 2026-12-25T09:00:00Z`` must not become a ``datetime``), and a key given
twice in one mapping is an error instead of silently keeping the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.errors import DefinitionError, Problem

Path = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type (timestamps stay strings)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def format_path(path: Path) -> str:
    """Render a path the way users read it: ``steps[2].parallel[1].retry``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Source:
    """A parsed YAML document (or a part of one) with the line of every value by path."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    prefix: Path = ()
    text: str = ""

    def line(self, path: Path) -> int | None:
        """The line of the value at ``path``, or of its nearest ancestor that has one."""
        full = self.prefix + path
        while True:
            if full in self.lines:
                return self.lines[full]
            if not full:
                return None
            full = full[:-1]

    def sub(self, key: str | int) -> Source:
        """The part of this document under ``key``, keeping file and line numbers."""
        data = self.data[key]
        return Source(self.file, data, self.lines, (*self.prefix, key))  # no text: it is a part


class ProblemList:
    """Collects every problem of one file, so that all are reported at once."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.items: list[Problem] = []

    def add(self, message: str, at: Path, *, shown: Path | None = None) -> None:
        """Record a problem located at ``at``; ``shown`` is the path printed (default ``at``)."""
        where = format_path(self.source.prefix + (shown if shown is not None else at))
        self.items.append(Problem(message, file=self.source.file, line=self.source.line(at), path=where))

    def raise_if_any(self) -> None:
        """Raise one DefinitionError carrying every recorded problem."""
        if self.items:
            raise DefinitionError(self.items)


def parse_yaml(text: str, file: str = "<string>") -> Source:
    """Parse YAML text into a :class:`Source`.

    Raises:
        DefinitionError: the text is not well-formed YAML, is empty, or repeats a key in one mapping.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "malformed YAML"
        raise DefinitionError([Problem(f"malformed YAML: {reason}", file=file, line=line)]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(f"malformed YAML: {exc}", file=file)]) from exc
    if node is None:
        raise DefinitionError([Problem("the file is empty", file=file)])
    builder = _Builder(file)
    data = builder.build(node, ())
    if builder.problems:
        raise DefinitionError(builder.problems)
    return Source(file, data, builder.lines, text=text)


def read_yaml(path: str) -> Source:
    """Read and parse a YAML file; an unreadable file is a DefinitionError naming it."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise DefinitionError([Problem(f"cannot read file: {exc.strerror}", file=path)]) from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem("the file is not UTF-8 text", file=path)]) from exc
    return parse_yaml(text, path)


class _Builder:
    """Turns composed YAML nodes into plain data, recording lines and duplicate keys."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        self._constructor = _Loader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problems.append(Problem(f"bad value: {exc}", file=self.file, line=self.lines[path]))
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self._constructor.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, (*path, "<key>"))
            if isinstance(key, list | dict):
                line = key_node.start_mark.line + 1
                self.problems.append(Problem("a mapping key must be a plain value", file=self.file, line=line))
                continue
            if key in result:
                line = key_node.start_mark.line + 1
                where = format_path(path)
                message = f"key {key!r} is given twice"
                self.problems.append(Problem(message, file=self.file, line=line, path=where))
                continue
            child = (*path, key if isinstance(key, str | int) else str(key))
            result[key] = self.build(value_node, child)
            self.lines[child] = key_node.start_mark.line + 1
        self.lines.pop((*path, "<key>"), None)
        return result
