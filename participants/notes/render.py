"""Render the notes with a Jinja2 template from the operator's templates directory.

A plain :class:`jinja2.Environment`, not a sandboxed one: the templates are the operator's own files
(``etc/templates/``; a step may only pick a file name there), as trusted as the daemon's config, so a
sandbox would guard nothing. What is untrusted is the data (commit messages, titles, issue summaries),
and that only ever fills variables; it is never compiled as a template. Autoescaping is off because the
output is Markdown, not HTML: escaping ``<`` and ``&`` would garble titles. ``StrictUndefined`` makes a
misspelt variable an error instead of a silently missing line.

Templates are looked up in the configured directory first, then in the ``etc/templates`` shipped with
boss, so an operator overrides the default by putting a file of the same name in their directory.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import jinja2

from participants.notes.classify import Entry
from participants.notes.config import Section
from participants.notes.model import RepoRange
from skynet import ParticipantError

SHIPPED = Path(__file__).resolve().parents[2] / "etc" / "templates"


class TemplateProblem(ParticipantError):
    """The notes template is missing, does not compile, or failed while rendering."""


class Renderer:
    """Loads and renders templates; thread-safe (Jinja2 environments are, once configured)."""

    def __init__(self, directory: Path) -> None:
        self.directories = [str(directory)] + ([str(SHIPPED)] if SHIPPED.resolve() != directory.resolve() else [])
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.directories), autoescape=False, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

    def check(self, name: str) -> None:
        """Load and compile ``name`` now, so a broken template stops the daemon at start."""
        self._template(name)

    def render(self, name: str, context: dict[str, Any]) -> str:
        """The notes; ends with exactly one newline."""
        template = self._template(name)
        try:
            text = template.render(context)
        except jinja2.TemplateError as exc:
            raise TemplateProblem(f"template {name}{_line_of(exc)}: {exc.message or type(exc).__name__}") from exc
        return text.strip("\n") + "\n"

    def _template(self, name: str) -> jinja2.Template:
        try:
            return self.environment.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(f"no template {name} in {', '.join(self.directories)}") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(f"template {name} line {exc.lineno}: {exc.message}") from exc


def _line_of(exc: BaseException) -> str:
    # Jinja2 rewrites tracebacks so that template lines appear as frames of the template file.
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename.endswith((".j2", ".jinja", ".md", ".txt"))]
    return f" line {lines[-1]}" if lines else ""


def context(*, version: str, title: str, date: str | None, sections: Sequence[Section], entries: Iterable[Entry],
            ranges: Sequence[RepoRange], issues: list[dict[str, Any]] | None,
            jira: dict[str, Any] | None) -> dict[str, Any]:
    """The template variables (documented in docs/participants/notes.md, "Template variables")."""
    shown = [entry.as_dict() for entry in entries]
    by_section: list[dict[str, Any]] = [
        {"key": section.key, "title": section.title, "catch_all": not section.types and not section.labels,
         "entries": [entry for entry in shown if entry["section"] == section.key]} for section in sections]
    repos = [{"name": r.name, "from": r.from_ref, "to": r.to_ref, "from_sha": r.from_sha, "to_sha": r.to_sha,
              "commits": r.commits, "changes": sum(1 for e in shown if e["repo"] == r.name), "url": r.url,
              "compare_url": r.compare_url} for r in ranges]
    return {"version": version, "title": title, "date": date, "sections": by_section, "entries": shown,
            "breaking": [entry for entry in shown if entry["breaking"]], "repos": repos,
            "multi_repo": len(repos) > 1, "counts": {s["key"]: len(s["entries"]) for s in by_section},
            "issues": issues, "jira": jira}
