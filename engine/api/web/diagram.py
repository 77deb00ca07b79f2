"""A definition drawn as a top-to-bottom flow diagram (an SVG string), each step coloured by its status.

Pure: a :class:`~engine.language.Definition` and the status of each step path in, SVG text out; no I/O,
no clock. Drawn on the server so that the page needs no drawing library (the dashboard must work on
closed networks, without a CDN) and so that the same picture appears with JavaScript turned off.

Layout: every piece is a box whose entry is the middle of its top edge and whose exit is the middle of its
bottom edge, so steps in order stack with straight arrows between them. Branches (``parallel``, ``if``,
``switch``) stand side by side between a fork line and a join line; bodies of ``foreach`` and ``loop``
sit in a dashed frame under their step, the loop with an arrow going back up. Subprocesses (error and
cancel handlers) are drawn under the main flow. A ``call`` of another definition is one box.

Colours are presentation attributes (``fill``, ``stroke``), so the SVG is complete on its own; each node
also carries ``st-<status>`` and ``kind-<kind>`` classes and ``data-path`` for styles, tests and scripts.
Every text is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from engine.api.web.labels import STATUS_MEANINGS, kind_words, status_words, title
from engine.language.model import (
    Definition,
    ForeachStep,
    IfStep,
    LoopStep,
    ParallelStep,
    SequenceStep,
    Step,
    Steps,
    SwitchStep,
)

PALETTE: dict[str, tuple[str, str]] = {
    "pending": ("#f3f4f6", "#9ca3af"),
    "running": ("#dbeafe", "#2563eb"),
    "waiting": ("#ede9fe", "#7c3aed"),
    "retrying": ("#ffedd5", "#ea580c"),
    "failed": ("#fee2e2", "#dc2626"),
    "parked": ("#e0e7ff", "#475569"),
    "done": ("#dcfce7", "#16a34a"),
    "skipped": ("#f8fafc", "#94a3b8"),
    "continued": ("#fef9c3", "#ca8a04"),
    "recovered": ("#ccfbf1", "#0d9488"),
    "cancelled": ("#e5e7eb", "#4b5563"),
}
"""Fill and stroke of each step status (boss.css uses the same colours for its badges)."""

UNKNOWN = ("#ffffff", "#64748b")  # a definition without a process: no status, plain boxes

# When several runs share a step (foreach items, loop rounds), the step shows the most telling status.
PRECEDENCE = ("failed", "retrying", "running", "waiting", "parked", "cancelled", "continued", "recovered", "done",
              "skipped", "pending")

NODE_W, NODE_H = 200, 46
GAP = 28  # vertical space between two pieces (an arrow)
COL_GAP = 22  # horizontal space between branches
PAD = 12  # inside a frame
FRAME_TITLE = 18
CHAR_W = 7.0  # average width of a 13px character, to cut labels that would overflow
MARGIN = 16
LOOP_LANE = 18  # room for a loop's arrow going back up


def combine(statuses: Sequence[str]) -> str:
    """The status a step shows when it ran several times: the first of :data:`PRECEDENCE` among them."""
    for status in PRECEDENCE:
        if status in statuses:
            return status
    return statuses[0] if statuses else "pending"


@dataclass(frozen=True)
class Box:
    """A laid-out piece: its size, and how to draw it with its top-left corner at (x, y)."""

    width: float
    height: float
    draw: Callable[[float, float], Iterator[str]]


@dataclass(frozen=True)
class Look:
    """What a step looks like in a diagram: its status and how many runs it had."""

    status: str | None  # None: no process (a definition page)
    runs: int = 0


class Drawing:
    """Lays out one definition; :meth:`svg` gives the picture."""

    def __init__(self, definition: Definition, looks: Mapping[str, Look] | None, link: Callable[[str], str] | None,
                 prefix: str) -> None:
        self.definition = definition
        self.looks = looks
        self.link = link
        self.prefix = prefix

    # ---- the whole picture -------------------------------------------------------------------------
    def svg(self) -> str:
        """The SVG document (an ``<svg>`` element to put inline in a page)."""
        pieces = [self.flow(self.definition.steps, start=True)]
        for name, body in self.definition.subprocesses.items():
            pieces.append(self.titled(_subprocess_title(self.definition, name), self.flow(body, start=False)))
        whole = _stack(pieces, gap=GAP * 2, arrows=False)
        width, height = whole.width + 2 * MARGIN, whole.height + 2 * MARGIN
        name = escape(self.definition.name)
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {width:g} {height:g}" '
                f'width="{width:g}" height="{height:g}" role="img" aria-label="flow of {name}" '
                f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="13">')
        defs = (f'<defs><marker id="{self.prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/>'
                f"</marker></defs>")
        return "".join([head, f"<title>flow of {name}</title>", defs, *whole.draw(MARGIN, MARGIN), "</svg>"])

    def flow(self, steps: Steps, *, start: bool) -> Box:
        """A step list between a start dot and an end ring (the main flow), or as it is (a subprocess)."""
        body = self.sequence(steps)
        if not start:
            return body
        return _stack([_dot(filled=True), body, _dot(filled=False)], gap=GAP, arrows=True, marker=self.marker)

    def titled(self, text: str, body: Box) -> Box:
        """A piece under a heading."""
        def draw(x: float, y: float) -> Iterator[str]:
            yield (f'<text x="{x + width / 2:g}" y="{y + 14:g}" text-anchor="middle" font-weight="600" '
                   f'class="heading">{escape(text)}</text>')
            yield from body.draw(x + (width - body.width) / 2, y + FRAME_TITLE + 8)

        width = max(body.width, _text_width(text))
        return Box(width, body.height + FRAME_TITLE + 8, draw)

    @property
    def marker(self) -> str:
        """The arrow head of this diagram (ids are per diagram: a page may show two)."""
        return f"url(#{self.prefix}-arrow)"

    # ---- steps -------------------------------------------------------------------------------------
    def sequence(self, steps: Steps) -> Box:
        """Steps in order, one under the other."""
        if not steps:
            return _passage()
        return _stack([self.step(step) for step in steps], gap=GAP, arrows=True, marker=self.marker)

    def step(self, step: Step) -> Box:
        """One step, with what it contains."""
        if isinstance(step, ParallelStep):
            return self.with_branches(step, [("", self.step(branch)) for branch in step.branches])
        if isinstance(step, IfStep):
            return self.with_branches(step, [("yes", self.sequence(step.then)), ("no", self.sequence(step.else_))])
        if isinstance(step, SwitchStep):
            cases = [(f"= {case.value}", self.sequence(case.steps)) for case in step.cases]
            return self.with_branches(step, [*cases, ("otherwise", self.sequence(step.default))])
        if isinstance(step, ForeachStep):
            return self.with_body(step, self.framed(self.sequence(step.do), step), loop=False)
        if isinstance(step, LoopStep):
            return self.with_body(step, self.framed(self.sequence(step.body), step), loop=True)
        if isinstance(step, SequenceStep):
            return self.framed(self.sequence(step.steps), step, heading=title(step) if step.name else "")
        return self.node(step)

    def with_branches(self, step: Step, branches: list[tuple[str, Box]]) -> Box:
        """A step's box, then its branches side by side."""
        return _stack([self.node(step), _columns(branches, self.marker)], gap=GAP, arrows=True, marker=self.marker)

    def with_body(self, step: Step, body: Box, *, loop: bool) -> Box:
        """A step's box, then its framed body (with the way back up, for a loop)."""
        inner = _loop_back(body, self.marker) if loop else body
        return _stack([self.node(step), inner], gap=GAP, arrows=True, marker=self.marker)

    def framed(self, body: Box, step: Step, heading: str = "") -> Box:
        """A body in a dashed frame whose colour follows the step's status."""
        stroke = self._colours(step)[1]
        top = FRAME_TITLE if heading else PAD

        def draw(x: float, y: float) -> Iterator[str]:
            yield (f'<rect x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}" rx="10" fill="none" '
                   f'stroke="{stroke}" stroke-dasharray="5 4" class="frame"/>')
            if heading:
                yield f'<text x="{x + 10:g}" y="{y + 14:g}" class="frame-title">{escape(heading)}</text>'
            yield from body.draw(x + (width - body.width) / 2, y + top)

        width = max(body.width, _text_width(heading)) + 2 * PAD
        height = body.height + top + PAD
        return Box(width, height, draw)

    def node(self, step: Step) -> Box:
        """A step's box: its name, then who does it and its status; a link to its row of the timeline."""
        look = self._look(step)
        fill, stroke = self._colours(step)
        label = title(step)
        second = _second_line(kind_words(step), look.status)
        shape = _shape(step)

        def draw(x: float, y: float) -> Iterator[str]:
            classes = f"node kind-{_word(step.kind)}" + (f" st-{_word(look.status)}" if look.status else "")
            hint = label if look.status is None else f"{label}: {STATUS_MEANINGS.get(look.status, look.status)}"
            yield (f'<g class="{classes}" id="{self.prefix}-{slug(step.path)}" data-path="{escape(step.path)}">'
                   f"<title>{escape(hint)}</title>")
            if self.link is not None:
                yield f'<a href="{escape(self.link(step.path))}">'
            dash = ' stroke-dasharray="4 3"' if look.status == "skipped" else ""
            yield shape(x, y, fill, stroke, dash)
            middle = x + NODE_W / 2
            yield (f'<text x="{middle:g}" y="{y + 19:g}" text-anchor="middle" font-weight="600" class="label">'
                   f"{escape(_fit(label, NODE_W - 20))}</text>")
            yield (f'<text x="{middle:g}" y="{y + 36:g}" text-anchor="middle" font-size="11" fill="#475569" '
                   f'class="sub">{escape(second)}</text>')
            if look.runs > 1:
                yield (f'<text x="{x + NODE_W - 6:g}" y="{y + 12:g}" text-anchor="end" font-size="10" '
                       f'fill="#475569" class="runs">&#215;{look.runs}</text>')
            if self.link is not None:
                yield "</a>"
            yield "</g>"

        return Box(NODE_W, NODE_H, draw)

    def _look(self, step: Step) -> Look:
        if self.looks is None:
            return Look(None)
        return self.looks.get(step.path, Look("pending"))

    def _colours(self, step: Step) -> tuple[str, str]:
        return PALETTE.get(self._look(step).status or "", UNKNOWN)


def render(definition: Definition, statuses: Mapping[str, Sequence[str]] | None = None, *,
           link: Callable[[str], str] | None = None, prefix: str = "d") -> str:
    """The flow diagram of ``definition`` as an SVG element.

    Args:
        definition: what to draw.
        statuses: for a process, the statuses of the runs of each step, by step path (several for the
            steps of a ``foreach`` or a loop); a step without runs is "not started". None draws the
            definition alone, without statuses.
        link: makes each step a link, to ``link(path)`` (the process page links to the timeline row).
        prefix: prefix of the element ids, unique per diagram on a page.
    """
    looks = None if statuses is None else {
        path: Look(combine(list(runs)), len(runs)) for path, runs in statuses.items() if runs}
    return Drawing(definition, looks, link, _word(prefix)).svg()


def slug(path: str) -> str:
    """A step path as a fragment of an element id: ``steps[4].parallel[0]`` -> ``steps-4-parallel-0``."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-") or "step"


# ---- pieces ----------------------------------------------------------------------------------------
def _stack(pieces: list[Box], *, gap: float, arrows: bool, marker: str = "") -> Box:
    """Pieces one under the other, centred; with an arrow from each to the next when ``arrows``."""
    width = max(p.width for p in pieces)
    height = sum(p.height for p in pieces) + gap * (len(pieces) - 1)

    def draw(x: float, y: float) -> Iterator[str]:
        middle, top = x + width / 2, y
        for index, piece in enumerate(pieces):
            yield from piece.draw(middle - piece.width / 2, top)
            top += piece.height
            if arrows and index < len(pieces) - 1:
                yield _arrow(middle, top, top + gap, marker)
            top += gap

    return Box(width, height, draw)


def _columns(branches: list[tuple[str, Box]], marker: str) -> Box:
    """Branches side by side between a fork line and a join line, each with its label on its way in."""
    width = sum(b.width for _, b in branches) + COL_GAP * (len(branches) - 1)
    tallest = max(b.height for _, b in branches)
    height = GAP + tallest + GAP

    def draw(x: float, y: float) -> Iterator[str]:
        centres, left = [], x
        for _, box in branches:
            centres.append(left + box.width / 2)
            left += box.width + COL_GAP
        join = y + GAP + tallest + GAP / 2
        yield _line(centres[0], y, centres[-1], y, "fork")
        yield _line(centres[0], join, centres[-1], join, "join")
        yield _line(x + width / 2, join, x + width / 2, y + height, "edge")
        left = x
        for (label, box), middle in zip(branches, centres, strict=True):
            yield _arrow(middle, y, y + GAP, marker)
            if label:
                yield (f'<text x="{middle + 5:g}" y="{y + GAP / 2 + 4:g}" font-size="11" fill="#475569" '
                       f'class="edge-label">{escape(_fit(label, box.width / 2 + COL_GAP, small=True))}</text>')
            yield from box.draw(left, y + GAP)
            yield _line(middle, y + GAP + box.height, middle, join, "edge")
            left += box.width + COL_GAP

    return Box(width, height, draw)


def _loop_back(body: Box, marker: str) -> Box:
    """A body with an arrow on its right going from its bottom back to its top: "again"."""
    width = body.width + 2 * LOOP_LANE

    def draw(x: float, y: float) -> Iterator[str]:
        yield from body.draw(x + LOOP_LANE, y)
        right = x + LOOP_LANE + body.width
        bottom, top = y + body.height - 10, y + 10
        yield (f'<path d="M{right:g},{bottom:g} H{right + LOOP_LANE - 4:g} V{top:g} H{right + 2:g}" fill="none" '
               f'stroke="#64748b" stroke-width="1.5" marker-end="{marker}" class="edge loop"/>')
        yield (f'<text x="{right + LOOP_LANE - 7:g}" y="{(top + bottom) / 2:g}" font-size="11" fill="#475569" '
               f'text-anchor="middle" writing-mode="tb" class="edge-label">again</text>')

    return Box(width, body.height, draw)


def _passage() -> Box:
    """An empty branch: a line passing through."""
    def draw(x: float, y: float) -> Iterator[str]:
        yield from ()

    return Box(60, 0, draw)


def _dot(*, filled: bool) -> Box:
    """The start (a dot) or the end (a ring) of the main flow."""
    radius = 9

    def draw(x: float, y: float) -> Iterator[str]:
        cx, cy = x + radius, y + radius
        if filled:
            yield (f'<circle cx="{cx:g}" cy="{cy:g}" r="{radius}" fill="#334155" class="start">'
                   "<title>start</title></circle>")
        else:
            yield (f'<circle cx="{cx:g}" cy="{cy:g}" r="{radius}" fill="#ffffff" stroke="#334155" stroke-width="2" '
                   f'class="end"><title>end</title></circle>'
                   f'<circle cx="{cx:g}" cy="{cy:g}" r="{radius - 4}" fill="#334155"/>')

    return Box(2 * radius, 2 * radius, draw)


def _arrow(x: float, top: float, bottom: float, marker: str) -> str:
    return (f'<path d="M{x:g},{top:g} V{bottom - 1:g}" stroke="#64748b" stroke-width="1.5" fill="none" '
            f'marker-end="{marker}" class="edge"/>')


def _line(x1: float, y1: float, x2: float, y2: float, kind: str) -> str:
    return (f'<path d="M{x1:g},{y1:g} L{x2:g},{y2:g}" stroke="#64748b" stroke-width="1.5" fill="none" '
            f'class="{kind}"/>')


Shape = Callable[[float, float, str, str, str], str]


def _shape(step: Step) -> Shape:
    """The outline of a step: rounded box; pill for waits and approvals; hexagon for decisions."""
    if step.kind in ("if", "switch"):
        def hexagon(x: float, y: float, fill: str, stroke: str, dash: str) -> str:
            h, w, cut = NODE_H, NODE_W, 14
            points = (f"{x + cut:g},{y:g} {x + w - cut:g},{y:g} {x + w:g},{y + h / 2:g} {x + w - cut:g},{y + h:g} "
                      f"{x + cut:g},{y + h:g} {x:g},{y + h / 2:g}")
            return f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-width="2"{dash}/>'

        return hexagon
    radius = NODE_H / 2 if step.kind in ("wait", "approve") else 8

    def box(x: float, y: float, fill: str, stroke: str, dash: str) -> str:
        return (f'<rect x="{x:g}" y="{y:g}" width="{NODE_W}" height="{NODE_H}" rx="{radius:g}" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="2"{dash}/>')

    return box


def _subprocess_title(definition: Definition, name: str) -> str:
    if definition.on_error == name:
        return f"When the process fails: {name}"
    if definition.on_cancel == name:
        return f"When the process is cancelled: {name}"
    return f"Subprocess {name}"


def _second_line(kind: str, status: str | None) -> str:
    """Who does the step, then its status; the status is never cut, the rest is when it must."""
    if status is None:
        return _fit(kind, NODE_W - 16, small=True)
    words = f" · {status_words(status)}"
    room = NODE_W - 16 - len(words) * CHAR_W * 0.85
    return _fit(kind, room, small=True) + words


def _fit(text: str, width: float, *, small: bool = False) -> str:
    """``text`` cut with an ellipsis to fit ``width`` pixels (the full text is in the node's title)."""
    fits = max(4, int(width / (CHAR_W * (0.85 if small else 1.0))))
    return text if len(text) <= fits else text[: fits - 1] + "…"


def _text_width(text: str) -> float:
    return len(text) * CHAR_W + 20


def _word(text: str) -> str:
    """``text`` safe inside a class name or an id."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)
