"""The ``tree`` query parameter of Jenkins' JSON API: keep only the named properties, at any depth.

Jenkins clients ask for exactly the fields they read (``tree=builds[number,result]{0,50}``) because whole
objects are large; the stand-in honours the same syntax, so a client that forgets to ask for a field finds
it missing here as it would against a real Jenkins. Grammar (as Jenkins' ``TreeString`` reads it)::

    tree  := item ("," item)*
    item  := name ("[" tree "]")? ("{" range "}")?
    range := N | M "," | "," N | M "," N        (list slices: {0,50} keeps items 0..49)

Unknown names are ignored, as Jenkins ignores them; ``_class`` is always kept, as Jenkins keeps it; an
object named without ``[...]`` keeps only its ``_class``, as in Jenkins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class TreeError(ValueError):
    """A ``tree`` parameter that does not parse (Jenkins answers 400 for it too)."""


@dataclass
class Node:
    """One name of a tree: what to keep inside it, and which slice of a list to keep."""

    children: dict[str, Node] = field(default_factory=dict)
    start: int | None = None
    stop: int | None = None


def parse(text: str) -> Node:
    """The tree spec ``text`` as nested nodes."""
    node, end = _items(text, 0)
    if end != len(text):
        raise TreeError(f"unexpected {text[end]!r} at {end} in tree={text}")
    return node


def _items(text: str, pos: int) -> tuple[Node, int]:
    node = Node()
    while True:
        start = pos
        while pos < len(text) and text[pos] not in ",[]{}":
            pos += 1
        name = text[start:pos].strip()
        if not name:
            raise TreeError(f"empty name at {start} in tree={text}")
        child = Node()
        if pos < len(text) and text[pos] == "[":
            child, pos = _items(text, pos + 1)
            if pos >= len(text) or text[pos] != "]":
                raise TreeError(f"missing ] in tree={text}")
            pos += 1
        if pos < len(text) and text[pos] == "{":
            close = text.find("}", pos)
            if close < 0:
                raise TreeError(f"missing }} in tree={text}")
            child.start, child.stop = _range(text[pos + 1:close], text)
            pos = close + 1
        node.children[name] = child
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return node, pos


def _range(spec: str, text: str) -> tuple[int | None, int | None]:
    try:
        if "," not in spec:
            index = int(spec)
            return index, index + 1
        low, high = spec.split(",", 1)
        return (int(low) if low.strip() else None), (int(high) if high.strip() else None)
    except ValueError:
        raise TreeError(f"bad range {{{spec}}} in tree={text}") from None


def prune(value: Any, node: Node) -> Any:
    """``value`` with only what ``node`` names (lists: each element pruned alike)."""
    if isinstance(value, list):
        return [prune(item, node) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {"_class": value["_class"]} if "_class" in value else {}
    for name, child in node.children.items():
        if name not in value:
            continue
        inner = value[name]
        if isinstance(inner, list) and (child.start is not None or child.stop is not None):
            inner = inner[child.start:child.stop]
        kept[name] = prune(inner, child)
    return kept
