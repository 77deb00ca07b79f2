"""The small part of JQL the Jira stand-in understands, with Jira's own error messages for the rest.

Supported (keywords and field names in any case)::

    clause   := FIELD ("=" | "!=") VALUE  |  FIELD ["NOT"] "IN" "(" VALUE ("," VALUE)* ")"  |  summary "~" VALUE
    query    := [clause ("AND" clause)*] ["ORDER BY" FIELD ["ASC" | "DESC"] ("," FIELD ["ASC" | "DESC"])*]
    FIELD    := project | fixVersion | status | labels | issuetype (type) | key (issuekey, id)
    VALUE    := "double quoted" | 'single quoted' | bare-word

``OR``, parentheses around clauses, functions and the other operators are refused with a 400 saying the
stand-in does not support them. A value that names no project, version, status or issue is refused the
way Jira refuses it (``The value 'X' does not exist for the field 'project'.``). Without ``ORDER BY`` the
results come in key order (project, then number).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standins.jira.state import STATUSES, Issue, JiraState

_TOKEN = re.compile(r"""\s*(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<op>!=|=|~|\(|\)|,)"""
                    r"""|(?P<word>[^\s=!~(),"']+))""")
_FIELDS = {"project": "project", "fixversion": "fixVersion", "fixversions": "fixVersion", "status": "status",
           "labels": "labels", "label": "labels", "issuetype": "issuetype", "type": "issuetype", "key": "key",
           "issuekey": "key", "id": "key", "summary": "summary"}
_ORDERABLE = {"key", "project", "status", "summary", "created", "issuetype"}


class JqlError(ValueError):
    """The query cannot run: the message is what Jira would put in ``errorMessages``."""


@dataclass(frozen=True)
class Token:
    kind: str  # "value" (quoted), "word" or "op"
    text: str


@dataclass(frozen=True)
class Clause:
    field: str
    operator: str  # "=", "!=", "in", "not in", "~"
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """A parsed query: clauses joined by AND, and the sort order."""

    clauses: tuple[Clause, ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)

    def run(self, state: JiraState) -> list[Issue]:
        """The matching issues of ``state``, sorted."""
        with state.lock:
            for clause in self.clauses:
                _check_values(clause, state)
            found = [i for i in state.issues.values() if all(_matches(c, i, state) for c in self.clauses)]
        for name, descending in reversed(self.order or (("key", False),)):
            found.sort(key=_sort_key(name), reverse=descending)
        return found


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(f"Error in the JQL Query: The character '{text[position:].strip()[:1]}' is a reserved "
                           f"JQL character. (line 1, character {position + 1})")
        position = match.end()
        if match.group("dq") is not None or match.group("sq") is not None:
            raw = match.group("dq") if match.group("dq") is not None else match.group("sq")
            found.append(Token("value", re.sub(r"\\(.)", r"\1", raw)))
        elif match.group("op") is not None:
            found.append(Token("op", match.group("op")))
        else:
            found.append(Token("word", match.group("word")))
    return found


def parse(text: str) -> Query:
    """Parse ``text``, raising :class:`JqlError` with a Jira-like message when it is outside the subset."""
    parser = _Parser(tokens(text))
    return parser.query()


class _Parser:
    def __init__(self, items: list[Token]) -> None:
        self.items = items
        self.at = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.at + offset
        return self.items[index] if index < len(self.items) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: Expecting either a value, list or function but got <EOF>.")
        self.at += 1
        return token

    def keyword(self, *words: str) -> bool:
        """Consume the keywords ``words`` when they come next."""
        for offset, word in enumerate(words):
            token = self.peek(offset)
            if token is None or token.kind != "word" or token.text.lower() != word:
                return False
        self.at += len(words)
        return True

    def query(self) -> Query:
        clauses: list[Clause] = []
        if self.peek() is not None and not self._at_order_by():
            clauses.append(self.clause())
            while self.keyword("and"):
                clauses.append(self.clause())
        order: list[tuple[str, bool]] = []
        if self.keyword("order", "by"):
            order.append(self.order_item())
            while self.peek() is not None and self.peek() == Token("op", ","):
                self.take()
                order.append(self.order_item())
        extra = self.peek()
        if extra is not None:
            if extra.kind == "word" and extra.text.lower() == "or":
                raise JqlError("Error in the JQL Query: the Jira stand-in supports only AND between clauses, not OR.")
            raise JqlError(f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{extra.text}'.")
        return Query(tuple(clauses), tuple(order))

    def _at_order_by(self) -> bool:
        first, second = self.peek(), self.peek(1)
        return bool(first and second and first.text.lower() == "order" and second.text.lower() == "by")

    def clause(self) -> Clause:
        token = self.take()
        if token.kind != "word":
            raise JqlError(f"Error in the JQL Query: Expecting a field name but got '{token.text}'.")
        field = _FIELDS.get(token.text.lower())
        if field is None:
            raise JqlError(f"Field '{token.text}' does not exist or you do not have permission to view it.")
        if self.keyword("not", "in"):
            return Clause(field, "not in", self.value_list())
        if self.keyword("in"):
            return Clause(field, "in", self.value_list())
        operator = self.take()
        if operator.kind != "op" or operator.text not in ("=", "!=", "~"):
            raise JqlError(f"Error in the JQL Query: the Jira stand-in does not support the operator "
                           f"'{operator.text}' (use =, !=, in, not in, or ~ on summary).")
        if (operator.text == "~") != (field == "summary"):
            raise JqlError(f"The operator '{operator.text}' is not supported by the '{token.text}' field.")
        return Clause(field, operator.text, (self.value(),))

    def value(self) -> str:
        token = self.take()
        if token.kind == "op":
            raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got "
                           f"'{token.text}'.")
        return token.text

    def value_list(self) -> tuple[str, ...]:
        if self.take() != Token("op", "("):
            raise JqlError("Error in the JQL Query: Expecting '(' after IN.")
        values = [self.value()]
        while (token := self.take()) == Token("op", ","):
            values.append(self.value())
        if token != Token("op", ")"):
            raise JqlError(f"Error in the JQL Query: Expecting ')' but got '{token.text}'.")
        return tuple(values)

    def order_item(self) -> tuple[str, bool]:
        token = self.take()
        name = _FIELDS.get(token.text.lower(), token.text.lower())
        if name not in _ORDERABLE:
            raise JqlError(f"Not able to sort using field '{token.text}'.")
        if self.keyword("desc"):
            return name, True
        self.keyword("asc")
        return name, False


def _check_values(clause: Clause, state: JiraState) -> None:
    """Refuse values that name nothing, with Jira's messages (a typo must not silently match nothing)."""
    for value in clause.values:
        if clause.field == "project" and state.project(value.upper()) is None and state.project(value) is None:
            raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
        if clause.field == "fixVersion" and not any(v.name.lower() == value.lower() for v in state.versions.values()):
            raise JqlError(f"The value '{value}' does not exist for the field 'fixVersion'.")
        if clause.field == "status" and value.lower() not in (s.lower() for s in STATUSES):
            raise JqlError(f"The value '{value}' does not exist for the field 'status'.")
        if clause.field == "key" and state.issue(value.upper()) is None:
            raise JqlError(f"An issue with key '{value}' does not exist for field 'key'.")


def _values_of(field: str, issue: Issue, state: JiraState) -> list[str]:
    """The issue's values of ``field``, lower-cased where Jira compares ignoring case."""
    if field == "project":
        return [issue.project.lower(), str(state.projects[issue.project].id)]
    if field == "fixVersion":
        return [state.versions[v].name.lower() for v in issue.fix_versions if v in state.versions]
    if field == "status":
        return [issue.status.lower()]
    if field == "labels":
        return list(issue.labels)  # labels are compared exactly
    if field == "issuetype":
        return [issue.issuetype.lower()]
    if field == "key":
        return [issue.key.lower(), str(issue.id)]
    return [issue.summary.lower()]


def _matches(clause: Clause, issue: Issue, state: JiraState) -> bool:
    have = _values_of(clause.field, issue, state)
    wanted = [v if clause.field == "labels" else v.lower() for v in clause.values]
    if clause.operator == "~":
        return all(word in have[0] for word in wanted[0].split())
    hit = any(value in have for value in wanted)
    return not hit if clause.operator in ("!=", "not in") else hit


def _sort_key(name: str) -> Callable[[Issue], Any]:
    if name == "key":
        return lambda issue: (issue.project, issue.number)
    return lambda issue: getattr(issue, name)
