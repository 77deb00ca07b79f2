"""Sort changes into the sections of the notes by conventional-commit type and pull request label.

A title such as ``feat(api)!: drop v1 endpoints`` has a type (``feat``), a scope (``api``) and a breaking
mark (``!``); a ``BREAKING CHANGE:`` footer or a breaking label marks a change breaking too. Labels win
over the type because they are set (and corrected) by maintainers when they triage a pull request, while
the type is whatever the author typed. Changes with an excluded label or type are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from participants.notes.config import NotesConfig, Section
from participants.notes.model import Change

CONVENTIONAL = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?:[ \t]+(?P<text>\S.*)$")
BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:", re.MULTILINE)


@dataclass(frozen=True)
class Heading:
    """A title read as a conventional commit (``type`` None when it is not one)."""

    type: str | None
    scope: str | None
    text: str
    breaking: bool


def parse_title(title: str) -> Heading:
    """Read ``type(scope)!: text``; a title that does not follow the convention is all text."""
    match = CONVENTIONAL.match(title.strip())
    if not match:
        return Heading(type=None, scope=None, text=title.strip(), breaking=False)
    scope = (match["scope"] or "").strip() or None
    return Heading(type=match["type"].lower(), scope=scope, text=match["text"].strip(), breaking=bool(match["bang"]))


@dataclass(frozen=True)
class Entry:
    """A change placed in a section: what the templates show."""

    change: Change
    section: str
    type: str | None
    scope: str | None
    text: str
    breaking: bool

    def as_dict(self) -> dict[str, object]:
        """The template's view of the entry (see docs/participants/notes.md, "Template variables")."""
        change = self.change
        return {"repo": change.repo, "sha": change.sha, "short_sha": change.sha[:7], "title": change.title,
                "text": self.text, "type": self.type, "scope": self.scope, "breaking": self.breaking,
                "section": self.section, "number": change.number, "url": change.url, "author": change.author,
                "author_url": change.author_url, "labels": list(change.labels), "body": change.body}


class Classifier:
    """Places changes in the configured sections."""

    def __init__(self, config: NotesConfig) -> None:
        self.sections = config.sections
        self.catch_all = config.catch_all
        self.exclude_labels = _lowered(config.exclude_labels)
        self.exclude_types = _lowered(config.exclude_types)
        self.breaking_labels = _lowered(config.breaking_labels)

    def classify(self, change: Change) -> Entry | None:
        """The entry for ``change``, or None when an excluded label or type leaves it out."""
        heading = parse_title(change.title)
        labels = _lowered(change.labels)
        if labels & self.exclude_labels or (heading.type is not None and heading.type in self.exclude_types):
            return None
        breaking = (heading.breaking or bool(BREAKING_FOOTER.search(change.body))
                    or bool(labels & self.breaking_labels))
        section = self._section(heading.type, labels)
        return Entry(change=change, section=section.key, type=heading.type, scope=heading.scope,
                     text=heading.text, breaking=breaking)

    def _section(self, type_: str | None, labels: set[str]) -> Section:
        for section in self.sections:
            if labels & _lowered(section.labels):
                return section
        if type_ is not None:
            for section in self.sections:
                if type_ in _lowered(section.types):
                    return section
        return self.catch_all


def _lowered(words: list[str] | tuple[str, ...]) -> set[str]:
    return {word.lower() for word in words}
