"""Finding, loading and bundling definitions.

A launch runs a :class:`Program`: the definition plus every definition it ``call``s by name, snapshotted
together as YAML text so that editing files never changes a running process. The :class:`Library` finds
``NAME.yaml`` files on ``BOSS_PROCESS_PATH`` (default ``./processes``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from engine.errors import DefinitionError, NotFoundError, Problem
from engine.language.checks import check_definition
from engine.language.model import CallStep, Definition
from engine.language.parse import parse_definition
from engine.language.source import Source, parse_yaml, read_yaml


def definition_from_source(source: Source, is_definition: Callable[[str], bool] | None = None) -> Definition:
    """Parse and statically check a definition; every problem is raised at once.

    Args:
        source: the parsed YAML.
        is_definition: whether a name is another definition that ``call`` may run.
    """
    definition, problems = parse_definition(source)
    if definition is not None:
        problems = problems + check_definition(definition, is_definition)
    if problems or definition is None:
        raise DefinitionError(sorted(problems, key=lambda p: p.line or 0))
    return definition


def load_text(text: str, file: str = "<string>", is_definition: Callable[[str], bool] | None = None) -> Definition:
    """A definition from YAML text."""
    return definition_from_source(parse_yaml(text, file), is_definition)


class Program(BaseModel):
    """What one launch runs: the main definition and the definitions it calls, by name."""

    model_config = ConfigDict(frozen=True)

    main: str
    definitions: dict[str, Definition]

    @property
    def definition(self) -> Definition:
        """The main definition."""
        return self.definitions[self.main]

    def snapshot(self) -> dict[str, str]:
        """The YAML text of every definition, which is what the store keeps."""
        return {name: d.source for name, d in self.definitions.items()}

    @classmethod
    def from_snapshot(cls, main: str, sources: Mapping[str, str]) -> Program:
        """Rebuild a program from a stored snapshot."""
        definitions = {
            name: load_text(text, f"<snapshot:{name}>", sources.__contains__) for name, text in sources.items()
        }
        return cls(main=main, definitions=definitions)

    @classmethod
    def single(cls, definition: Definition) -> Program:
        """A program of one definition that calls no other."""
        return cls(main=definition.name, definitions={definition.name: definition})


class Library:
    """The directories where process definitions are found by name."""

    def __init__(self, paths: Iterable[str | Path] | None = None) -> None:
        if paths is None:
            env = os.environ.get("BOSS_PROCESS_PATH", "processes")
            paths = [p for p in env.split(os.pathsep) if p]
        self.paths = [Path(p) for p in paths]

    def find(self, name: str) -> Path | None:
        """The file defining ``name``, if any."""
        for directory in self.paths:
            for suffix in (".yaml", ".yml"):
                candidate = directory / f"{name}{suffix}"
                if candidate.is_file():
                    return candidate
        return None

    def exists(self, name: str) -> bool:
        """Whether a definition called ``name`` can be loaded."""
        return self.find(name) is not None

    def names(self) -> list[str]:
        """Every definition name on the path (first directory wins)."""
        found: dict[str, Path] = {}
        for directory in self.paths:
            for path in sorted(directory.glob("*.y*ml")) if directory.is_dir() else []:
                found.setdefault(path.stem, path)
        return sorted(found)

    def load(self, name_or_file: str) -> Definition:
        """Load a definition from a file path or by name.

        Raises:
            NotFoundError: no such file or name.
            DefinitionError: the definition has problems.
        """
        path = self._locate(name_or_file)
        return definition_from_source(read_yaml(str(path)), self.exists)

    def program(self, name_or_file: str) -> Program:
        """Load a definition and, transitively, every definition it calls; call cycles are refused."""
        main = self.load(name_or_file)
        return Program(main=main.name, definitions={main.name: main, **self.program_calls(main)})

    def program_calls(self, main: Definition) -> dict[str, Definition]:
        """Every definition ``main`` calls by name, transitively, loaded from the path."""
        definitions = {main.name: main}
        self._collect(main, definitions, [main.name])
        del definitions[main.name]
        return definitions

    def _collect(self, definition: Definition, found: dict[str, Definition], chain: list[str]) -> None:
        for step in definition.all_steps():
            if not isinstance(step, CallStep) or step.target in definition.subprocesses:
                continue
            target = step.target
            if target in chain:
                cycle = " -> ".join([*chain, target])
                raise DefinitionError([Problem(f"call cycle: {cycle}", file=definition.file, line=step.line,
                                               path=step.path)])
            if target not in found:
                found[target] = self.load(target)
            self._collect(found[target], found, [*chain, target])

    def _locate(self, name_or_file: str) -> Path:
        looks_like_file = name_or_file.endswith((".yaml", ".yml")) or os.sep in name_or_file
        if looks_like_file:
            path = Path(name_or_file)
            if not path.is_file():
                raise NotFoundError(f"no such file: {name_or_file}")
            return path
        path_or_none = self.find(name_or_file)
        if path_or_none is None:
            where = os.pathsep.join(str(p) for p in self.paths)
            raise NotFoundError(f"unknown process {name_or_file!r}: no {name_or_file}.yaml in {where} "
                                "(set BOSS_PROCESS_PATH or give a file path)")
        return path_or_none
