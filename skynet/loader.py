"""Finding a participant class from a SPEC, the way ``skynet run`` and ``skynet install`` name one.

SPEC forms, tried in this order:

- ``path/file.py`` or ``path/file.py:Class``: a file; without ``:Class`` it must define exactly one
  Participant subclass. It is imported under a unique module name and its directory is only appended to
  ``sys.path`` (never ahead of site-packages), so a ``jira.py`` next to it cannot shadow the ``jira`` library.
- ``package.module:Class``: an importable class.
- ``name``: a built-in participant (module ``participants.<name>``, exactly one Participant subclass), else
  an entry point called ``name`` in the group ``boss.participants`` (separately packaged participants).
- ``package.module``: an importable module defining exactly one Participant subclass.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from skynet.errors import SpecError
from skynet.participant import Participant

ENTRY_POINT_GROUP = "boss.participants"
BUILTIN_PACKAGE = "participants"


def load_participant(spec: str) -> type[Participant]:
    """The Participant subclass that ``spec`` names.

    Raises:
        SpecError: one line saying what is missing or ambiguous and how to name the class instead.
    """
    spec = spec.strip()
    if not spec:
        raise SpecError("empty participant SPEC: give a name, package.module:Class, or file.py[:Class]")
    target, _, attribute = spec.rpartition(":") if _has_attribute(spec) else (spec, "", "")
    if target.endswith(".py") or "/" in target:
        module = _import_file(Path(target))
        label = target
    elif attribute:
        module = _import_module(target)
        label = target
    elif "." not in target:
        return _load_named(target)
    else:
        module = _import_module(target)
        label = target
    if attribute:
        return _attribute(module, attribute, f"{label}:{attribute}")
    return _only_participant(module, label)


def _has_attribute(spec: str) -> bool:
    head, sep, tail = spec.rpartition(":")
    return bool(sep and head and tail.isidentifier())


def _load_named(name: str) -> type[Participant]:
    module_name = f"{BUILTIN_PACKAGE}.{name}"
    if name.isidentifier() and _module_exists(module_name):
        return _only_participant(_import_module(module_name), module_name)
    for entry in _entry_points():
        if entry.name == name:
            return _from_entry_point(entry)
    raise SpecError(f"no participant named {name!r}: not a built-in (participants/{name}.py) nor an entry point "
                    f"in group {ENTRY_POINT_GROUP}; give package.module:Class or file.py[:Class] instead")


def _entry_points() -> list[metadata.EntryPoint]:
    """The installed entry points of the participant group (a seam for tests)."""
    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _from_entry_point(entry: metadata.EntryPoint) -> type[Participant]:
    label = f"entry point {entry.name!r} ({entry.value})"
    try:
        loaded = entry.load()
    except ModuleNotFoundError as exc:
        raise SpecError(f"{label}: no such module: {exc.name}") from exc
    except AttributeError as exc:
        raise SpecError(f"{label}: no such attribute: {exc}") from exc
    except Exception as exc:
        raise SpecError(f"{label}: import failed: {type(exc).__name__}: {exc}") from exc
    if isinstance(loaded, ModuleType):
        return _only_participant(loaded, label)
    return _checked(loaded, label)


def _module_exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def _import_module(module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise SpecError(f"no such module: {module_name}") from exc
        raise SpecError(f"cannot import {module_name}: it needs module {exc.name!r}, which is not installed") from exc
    except Exception as exc:
        raise SpecError(f"cannot import {module_name}: {_one_line(exc)}") from exc


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise SpecError(f"no such file: {path}")
    resolved = path.resolve()
    digest = hashlib.sha1(str(resolved).encode(), usedforsecurity=False).hexdigest()[:12]
    module_name = f"skynet_file_{resolved.stem}_{digest}"
    if module_name in sys.modules:  # importing twice would make two distinct classes of one participant
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise SpecError(f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # pydantic resolves the module's annotations through sys.modules
    if str(resolved.parent) not in sys.path:
        sys.path.append(str(resolved.parent))  # last: helpers next to the file, never shadowing libraries
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[module_name]
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise SpecError(f"cannot import {path}: {_one_line(exc)}") from exc
    return module


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _attribute(module: ModuleType, attribute: str, label: str) -> type[Participant]:
    if not hasattr(module, attribute):
        where = label.rpartition(":")[0]
        raise SpecError(f"{where} has no attribute {attribute!r}")
    return _checked(getattr(module, attribute), label)


def _checked(candidate: Any, label: str) -> type[Participant]:
    if not (inspect.isclass(candidate) and issubclass(candidate, Participant)) or candidate is Participant:
        raise SpecError(f"{label} is not a Participant subclass (from skynet import Participant)")
    return candidate


def _only_participant(module: ModuleType, label: str) -> type[Participant]:
    found = [value for value in vars(module).values()
             if inspect.isclass(value) and issubclass(value, Participant) and value is not Participant
             and value.__module__ == module.__name__]
    if not found:
        raise SpecError(f"{label} defines no Participant subclass")
    if len(found) > 1:
        names = ", ".join(cls.__name__ for cls in found)
        raise SpecError(f"{label} defines {len(found)} Participant classes ({names}): name one, "
                        f"as {label}:{found[0].__name__}")
    return found[0]
