"""Programs the engine runs: resolved at launch, snapshotted in the store, cached by digest.

A launch names a definition (looked up on the engine's process path) or carries its YAML inline (with the
definitions it calls). Either way the engine stores the whole bundle as YAML text under a digest, and every
later event of the process is interpreted against that snapshot, never against the files on disk.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

from engine.language import Library, Program, load_text
from engine.store import Tx

CACHE_SIZE = 256


def digest_of(program: Program) -> str:
    """A content hash of a program's snapshot."""
    text = json.dumps({"main": program.main, "sources": program.snapshot()}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class Programs:
    """Resolves launch requests to programs and keeps parsed snapshots by digest."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._cache: OrderedDict[str, Program] = OrderedDict()

    def for_launch(self, definition: str, bundle: dict[str, str] | None = None) -> Program:
        """The program a launch asks for: a name on the process path, or inline YAML (+ called definitions).

        Raises:
            NotFoundError: no definition of that name.
            DefinitionError: the definition (or one it calls) has problems.
        """
        if "\n" not in definition and ":" not in definition:
            return self.library.program(definition)
        sources = dict(bundle or {})
        main = load_text(definition, "<launch>", lambda name: name in sources or self.library.exists(name))
        if not sources:
            called = self.library.program_calls(main)
            return Program(main=main.name, definitions={main.name: main, **called})
        program = Program.from_snapshot(main.name, {main.name: definition, **sources})
        return program

    def remember(self, tx: Tx, program: Program) -> str:
        """Store the program's snapshot (once) and return its digest."""
        digest = digest_of(program)
        tx.save_program(digest, program.main, program.snapshot())  # insert-if-absent: cheap, and rollback-safe
        self._put(digest, program)
        return digest

    def get(self, tx: Tx, digest: str) -> Program:
        """The program of a stored digest."""
        program = self._cache.get(digest)
        if program is None:
            main, sources = tx.load_program(digest)
            program = Program.from_snapshot(main, sources)
            self._put(digest, program)
        else:
            self._cache.move_to_end(digest)
        return program

    def _put(self, digest: str, program: Program) -> None:
        self._cache[digest] = program
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
