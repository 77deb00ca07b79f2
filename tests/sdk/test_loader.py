"""Finding a participant class from every SPEC form, and one-line errors for every bad one."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

import participants
from skynet import Participant, loader
from skynet.errors import SpecError
from skynet.loader import load_participant
from tests.sdk.participants import Echo

ONE = """
from skynet import Participant

class Deploy(Participant):
    '''Deploys things.'''
"""
TWO = ONE + """
class Rollback(Participant):
    pass
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def spec_error(spec: str) -> str:
    with pytest.raises(SpecError) as caught:
        load_participant(spec)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_file_with_one_participant_class_loads_it(tmp_path):
    cls = load_participant(str(write(tmp_path, "deploy.py", ONE)))
    assert cls.__name__ == "Deploy" and cls.name == "deploy" and issubclass(cls, Participant)


def test_a_file_and_class_name_load_that_class(tmp_path):
    path = write(tmp_path, "both.py", TWO)
    assert load_participant(f"{path}:Rollback").__name__ == "Rollback"


def test_loading_the_same_file_twice_gives_the_same_class(tmp_path):
    path = write(tmp_path, "again.py", ONE)
    assert load_participant(str(path)) is load_participant(f"{path}:Deploy")


def test_a_file_with_two_participant_classes_must_name_one(tmp_path):
    path = write(tmp_path, "both.py", TWO)
    message = spec_error(str(path))
    assert "defines 2 Participant classes (Deploy, Rollback)" in message
    assert f"{path}:Deploy" in message


def test_a_file_without_participant_classes_is_refused(tmp_path):
    path = write(tmp_path, "empty.py", "from skynet import Participant\nX = 1\n")
    assert spec_error(str(path)) == f"{path} defines no Participant subclass"


def test_imported_participant_classes_do_not_count(tmp_path):
    path = write(tmp_path, "reexport.py", "from tests.sdk.participants import Echo\n")
    assert "defines no Participant subclass" in spec_error(str(path))


def test_a_missing_file_is_named(tmp_path):
    assert spec_error(str(tmp_path / "nope.py")) == f"no such file: {tmp_path / 'nope.py'}"


def test_a_missing_class_in_a_file_is_named(tmp_path):
    path = write(tmp_path, "deploy.py", ONE)
    assert spec_error(f"{path}:Nope") == f"{path} has no attribute 'Nope'"


def test_a_class_that_is_not_a_participant_is_refused(tmp_path):
    path = write(tmp_path, "plain.py", ONE + "\nclass Plain:\n    pass\n")
    assert spec_error(f"{path}:Plain") == f"{path}:Plain is not a Participant subclass (from skynet import Participant)"


def test_a_file_that_fails_to_import_gives_the_reason(tmp_path):
    broken = write(tmp_path, "broken.py", "def f(:\n")
    assert spec_error(str(broken)).startswith(f"cannot import {broken}: SyntaxError:")
    raising = write(tmp_path, "raising.py", "raise RuntimeError('no config')\n")
    assert spec_error(str(raising)) == f"cannot import {raising}: RuntimeError: no config"
    assert not any(name.startswith("skynet_file_raising") for name in sys.modules)


def test_a_file_directory_never_shadows_installed_modules(tmp_path):
    write(tmp_path, "json.py", "raise ImportError('the shadow was imported')\n")
    write(tmp_path, "helper.py", "VALUE = 42\n")
    path = write(tmp_path, "user.py", ONE + "\nimport json\nimport helper\nANSWER = helper.VALUE\n")
    cls = load_participant(str(path))
    assert sys.modules[cls.__module__].ANSWER == 42
    assert sys.path.index(str(tmp_path)) > max(i for i, p in enumerate(sys.path) if "site-packages" in p)


def test_a_module_and_class_load_that_class():
    assert load_participant("tests.sdk.participants:Echo") is Echo


def test_a_missing_module_is_named():
    assert spec_error("no_such_package.jobs:Deploy") == "no such module: no_such_package.jobs"


def test_a_missing_class_in_a_module_is_named():
    assert spec_error("tests.sdk.participants:Nope") == "tests.sdk.participants has no attribute 'Nope'"


def test_a_module_attribute_that_is_not_a_participant_is_refused():
    assert "is not a Participant subclass" in spec_error("tests.sdk.participants:record")


def test_a_module_with_several_participants_must_name_one():
    assert "defines 4 Participant classes (Echo, Gated, Stoppable, Typed)" in spec_error("tests.sdk.participants")


def test_a_module_that_needs_a_missing_library_says_which(tmp_path, monkeypatch):
    write(tmp_path, "needs_lib.py", "import a_library_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert spec_error("needs_lib:X") == ("cannot import needs_lib: it needs module 'a_library_nobody_installed', "
                                         "which is not installed")


@pytest.fixture
def builtins(tmp_path, monkeypatch):
    """A directory that acts as part of the built-in ``participants`` package."""
    monkeypatch.setattr(participants, "__path__", [*participants.__path__, str(tmp_path)])
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("participants.")]:
        del sys.modules[name]


def test_a_builtin_name_loads_participants_module(builtins):
    write(builtins, "deployer.py", ONE)
    assert load_participant("deployer").__module__ == "participants.deployer"


def test_a_builtin_module_with_two_participants_is_refused(builtins):
    write(builtins, "twice.py", TWO)
    assert "participants.twice defines 2 Participant classes" in spec_error("twice")


@pytest.fixture
def entry_points(monkeypatch):
    points: list[metadata.EntryPoint] = []
    monkeypatch.setattr(loader, "_entry_points", lambda: points)
    return points


def test_an_entry_point_name_loads_its_class(entry_points):
    entry_points.append(metadata.EntryPoint("echoer", "tests.sdk.participants:Echo", loader.ENTRY_POINT_GROUP))
    assert load_participant("echoer") is Echo


def test_an_entry_point_may_name_a_module_with_one_participant(entry_points, tmp_path, monkeypatch):
    write(tmp_path, "single_ep.py", ONE)
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_points.append(metadata.EntryPoint("single", "single_ep", loader.ENTRY_POINT_GROUP))
    assert load_participant("single").__name__ == "Deploy"


def test_a_broken_entry_point_is_reported(entry_points):
    entry_points.append(metadata.EntryPoint("gone", "no_such_dist.mod:Thing", loader.ENTRY_POINT_GROUP))
    entry_points.append(metadata.EntryPoint("notone", "tests.sdk.participants:record", loader.ENTRY_POINT_GROUP))
    assert spec_error("gone") == "entry point 'gone' (no_such_dist.mod:Thing): no such module: no_such_dist"
    assert "is not a Participant subclass" in spec_error("notone")


def test_an_unknown_name_says_where_it_looked(entry_points):
    message = spec_error("nothing-here")
    assert message.startswith("no participant named 'nothing-here': not a built-in (participants/nothing-here.py)")
    assert "boss.participants" in message


def test_an_empty_spec_is_refused():
    assert "empty participant SPEC" in spec_error("  ")
