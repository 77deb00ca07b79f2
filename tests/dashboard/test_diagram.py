"""The flow diagram: well-formed SVG, one node per step named for people, coloured by status, text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.api.web import diagram
from engine.api.web.diagram import PALETTE, combine, render
from engine.api.web.labels import status_words
from engine.language import Definition, Library, load_text

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).parent.parent.parent
CSS = ROOT / "engine" / "api" / "web" / "static" / "boss.css"

BRANCHY = """
name: branchy
on_error: tidy
steps:
  - name: prepare
    echo: {}
  - name: both
    parallel:
      - name: left
        echo: {}
      - name: right
        echo: {}
  - name: decide
    if: "x > 1"
    then:
      - name: big
        echo: {}
    else:
      - name: small
        echo: {}
  - switch: "kind"
    cases:
      a: [{name: case-a, echo: {}}]
    default: [{name: other, echo: {}}]
  - name: each-repo
    foreach: "${repos}"
    as: repo
    do:
      - name: per-repo
        echo: {}
  - name: again
    loop:
      - name: poll
        echo: {}
    until: "done"
    max: 5
  - set: {finished: true}
subprocesses:
  tidy:
    - name: clean-up
      echo: {}
"""


def definition(text: str = BRANCHY) -> Definition:
    return load_text(text, "<test>")


def nodes(svg: str) -> dict[str, ET.Element]:
    """The diagram's step nodes by path."""
    root = ET.fromstring(svg)
    return {g.attrib["data-path"]: g for g in root.iter(f"{SVG}g") if "node" in g.attrib.get("class", "").split()}


def shape(node: ET.Element) -> ET.Element:
    for tag in ("rect", "polygon", "a/rect", "a/polygon"):
        found = node.find(SVG + tag.replace("/", "/" + SVG))
        if found is not None:
            return found
    raise AssertionError("a node without a shape")


def texts(node: ET.Element) -> list[str]:
    return [t.text or "" for t in node.iter(f"{SVG}text")]


def test_the_diagram_is_well_formed_svg_with_one_node_per_step():
    d = definition()
    svg = render(d)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.attrib["role"] == "img"
    assert set(nodes(svg)) == {step.path for step in d.all_steps()}


def test_nodes_are_named_after_their_steps_or_say_what_an_unnamed_step_does():
    found = nodes(render(definition()))
    assert texts(found["steps[0]"])[0] == "prepare"
    assert texts(found["steps[0]"])[1] == "echo"
    assert texts(found["steps[6]"])[0] == "set finished"
    assert texts(found["steps[3]"])[0] == "choose by kind"


def test_each_status_has_its_own_colour_and_class():
    d = definition()
    for status, (fill, stroke) in PALETTE.items():
        node = nodes(render(d, {"steps[0]": [status]}))["steps[0]"]
        assert f"st-{status}" in node.attrib["class"].split()
        assert (shape(node).attrib["fill"], shape(node).attrib["stroke"]) == (fill, stroke)
        assert texts(node)[1] == f"echo · {status_words(status)}"


def test_a_step_that_has_not_run_in_a_process_is_not_started_and_without_a_process_has_no_status():
    d = definition()
    in_process = nodes(render(d, {"steps[0]": ["done"]}))["steps[1]"]
    assert "st-pending" in in_process.attrib["class"] and texts(in_process)[1].endswith("not started")
    alone = nodes(render(d))["steps[1]"]
    assert not any(c.startswith("st-") for c in alone.attrib["class"].split())
    assert shape(alone).attrib["fill"] == diagram.UNKNOWN[0]


def test_a_step_run_several_times_shows_its_most_telling_status_and_how_many_runs():
    node = nodes(render(definition(), {"steps[4].do[0]": ["done", "running", "done"]}))["steps[4].do[0]"]
    assert "st-running" in node.attrib["class"] and "\u00d73" in texts(node)
    assert combine(["done", "failed", "running"]) == "failed"
    assert combine(["skipped", "done"]) == "done"


def test_parallel_branches_stand_side_by_side_under_their_step():
    found = nodes(render(definition()))

    def box(path: str) -> tuple[float, float]:
        rect = shape(found[path])
        return float(rect.attrib["x"]), float(rect.attrib["y"])

    (left_x, left_y), (right_x, right_y) = box("steps[1].parallel[0]"), box("steps[1].parallel[1]")
    assert left_y == right_y and right_x > left_x
    assert left_y > box("steps[1]")[1]
    (big_x, big_y), (small_x, small_y) = box("steps[2].then[0]"), box("steps[2].else[0]")
    assert big_y == small_y and small_x > big_x


def test_decisions_are_hexagons_with_labelled_branches():
    svg = render(definition())
    assert shape(nodes(svg)["steps[2]"]).tag == f"{SVG}polygon"
    labels = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.attrib.get("class") == "edge-label"]
    assert {"yes", "no", "= a", "otherwise", "again"} <= set(labels)


def test_a_loop_has_an_arrow_going_back_up():
    svg = render(definition())
    loops = [p for p in ET.fromstring(svg).iter(f"{SVG}path") if "loop" in p.attrib.get("class", "")]
    assert len(loops) == 1


def test_subprocesses_are_drawn_under_the_main_flow_with_a_heading_for_people():
    svg = render(definition())
    assert "When the process fails: tidy" in svg
    found = nodes(svg)
    assert float(shape(found["subprocesses.tidy[0]"]).attrib["y"]) > float(shape(found["steps[6]"]).attrib["y"])


def test_every_text_is_escaped():
    evil = definition("""
name: evil
steps:
  - name: '<script>alert("x")</script> & co'
    echo: {}
  - fail: "<b>bold</b> & 'quoted'"
""")
    svg = render(evil, {"steps[0]": ["failed"]}, link=lambda path: f"#t-{path}?a=1&b=\"2\"")
    ET.fromstring(svg)  # still well-formed
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in svg
    assert 'href="#t-steps[0]?a=1&amp;b=&quot;2&quot;"' in svg


def test_long_names_are_cut_with_an_ellipsis_and_kept_whole_in_the_title():
    long = definition("name: long\nsteps:\n  - name: " + "x" * 80 + "\n    echo: {}\n")
    node = nodes(render(long))["steps[0]"]
    assert texts(node)[0].endswith("…") and len(texts(node)[0]) < 40
    title = node.find(f"{SVG}title")
    assert title is not None and title.text == "x" * 80


def test_nodes_link_to_their_timeline_rows_when_asked():
    svg = render(definition(), {}, link=lambda path: "#t-" + diagram.slug(path))
    assert 'href="#t-steps-1-parallel-0"' in svg
    assert "<a " not in render(definition())


def test_two_diagrams_on_one_page_have_distinct_ids():
    first, second = render(definition(), prefix="a"), render(definition(), prefix="b")
    assert 'id="a-arrow"' in first and 'id="b-arrow"' in second and 'id="b-steps-0"' in second


@pytest.mark.parametrize("name", ["monthly-release", "hotfix"])
def test_the_shipped_processes_draw(name: str):
    library = Library([ROOT / "processes"])
    if name not in library.names():
        pytest.skip(f"{name} is not shipped")
    d = library.load(name)
    assert set(nodes(render(d, {}))) == {step.path for step in d.all_steps()}


def test_the_stylesheet_badges_use_the_diagram_colours():
    css = CSS.read_text()
    for status, (fill, stroke) in PALETTE.items():
        rule = re.search(rf"\.st-{status} \{{([^}}]*)\}}", css)
        assert rule is not None, status
        assert f"background: {fill}" in rule.group(1) and f"border-color: {stroke}" in rule.group(1), status
