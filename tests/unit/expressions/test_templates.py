"""Templates: ``${ ... }`` in strings, typed when alone, text otherwise."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from markupsafe import Markup

from engine.errors import ExpressionError
from engine.expressions import check_template, has_template, render, template_names
from engine.expressions.values import normalise

SCOPE = {
    "version": "1.4.0",
    "count": 3,
    "items": [1, 2, 3],
    "pr": {"items": 3, "title": "Fix the build", "labels": ["bug", "ci"]},
    "gate": {"approved": True, "by": "alice"},
    "dry_run": False,
    "nothing": None,
    "notes": [],
    "now": dt.datetime(2024, 5, 17, 9, 30, tzinfo=dt.UTC),
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${count}", 3),
        ("${ items }", [1, 2, 3]),
        ("${pr}", {"items": 3, "title": "Fix the build", "labels": ["bug", "ci"]}),
        ("${gate.approved}", True),
        ("${nothing}", None),
        ("${count * 2.5}", 7.5),
        ("${ (1, 2) }", [1, 2]),
    ],
)
def test_a_lone_template_keeps_the_type_of_its_value(template, expected):
    assert render(template, SCOPE) == expected


def test_text_around_a_template_makes_the_result_text():
    assert render("v${version}-rc${count}", SCOPE) == "v1.4.0-rc3"
    assert render(" ${count}", SCOPE) == " 3"


def test_values_inside_text_read_like_json_and_none_reads_as_nothing():
    assert render("${dry_run} ${gate.approved} [${nothing}] ${items}", SCOPE) == "false true [] [1, 2, 3]"
    assert render("${pr.labels} ${ {'a': 1} }!", SCOPE) == '["bug", "ci"] {"a": 1}!'


def test_a_string_without_templates_is_returned_as_it_is():
    text = "plain text, $ and { and } included"
    assert render(text, SCOPE) is text


def test_double_dollar_escapes_a_literal_template_opening():
    assert render("$${version} is ${version}", SCOPE) == "${version} is 1.4.0"
    assert render("$${version}", SCOPE) == "${version}"
    assert not has_template("$${version}")


def test_braces_and_strings_inside_an_expression_do_not_end_it():
    assert render("${ {'a': 1}['a'] }", SCOPE) == 1
    assert render('${ "}" ~ count }', SCOPE) == "}3"
    assert render("${ '${' ~ '}' }", SCOPE) == "${}"
    assert render(r"${ 'it\'s }' } ok", SCOPE) == "it's } ok"


def test_render_walks_mappings_and_lists_but_not_keys():
    params = {"${version}": ["${count}", {"title": "PR: ${pr.title}"}], "n": 5, "flag": True}
    assert render(params, SCOPE) == {"${version}": [3, {"title": "PR: Fix the build"}], "n": 5, "flag": True}


def test_render_never_changes_the_scope_or_returns_its_containers():
    before = copy.deepcopy(SCOPE)
    result = render("${items}", SCOPE)
    result.append(4)
    assert before == SCOPE


def test_keys_can_be_read_by_attribute_or_by_index():
    assert render("${gate.by}", SCOPE) == "alice"
    assert render("${gate['by']}", SCOPE) == "alice"
    assert render("${pr.labels[1]}", SCOPE) == "ci"


def test_attribute_syntax_prefers_a_key_over_a_mapping_method():
    assert render("${pr.items}", SCOPE) == 3
    assert render("${pr['items']}", SCOPE) == 3
    assert render("${gate.keys() | list}", SCOPE) == ["approved", "by"]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${items | length}", 3),
        ("${items | join(',')}", "1,2,3"),
        ("${missing | default('x')}", "x"),
        ("${gate.missing | default('x')}", "x"),
        ("${release_notes.markdown | default('Release ' ~ version)}", "Release 1.4.0"),
        ("${pr.labels | map('upper') | list}", ["BUG", "CI"]),
        ("${pr.labels | join(', ') | upper}", "BUG, CI"),
        ("${[true, none] | join('/')}", "true/"),
        ("${items | sum}", 6),
        ("${pr | tojson}", '{"items": 3, "title": "Fix the build", "labels": ["bug", "ci"]}'),
        ("${'a-b' | replace('-', '.')}", "a.b"),
        ("${items | select('odd') | list}", [1, 3]),
        ("${items | reverse}", [3, 2, 1]),
    ],
)
def test_filters_transform_values(template, expected):
    assert render(template, SCOPE) == expected


def test_a_datetime_in_scope_can_be_read_and_renders_as_iso_8601():
    assert render("${now.year}", SCOPE) == 2024
    assert render("${now.strftime('%Y.%m')}", SCOPE) == "2024.05"
    assert render("${now}", SCOPE) == "2024-05-17T09:30:00+00:00"
    assert render("built at ${now}", SCOPE) == "built at 2024-05-17T09:30:00+00:00"


def test_results_are_normalised_to_json_values():
    assert normalise({"when": dt.date(2024, 1, 2), "pair": (1, 2), "set": {3, 1}}) == {
        "when": "2024-01-02",
        "pair": [1, 2],
        "set": [1, 3],
    }
    text = normalise(Markup("<b>"))
    assert text == "<b>" and type(text) is str


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${no_such_field}", "${no_such_field}: 'no_such_field' is undefined"),
        ("v${no_such_field}", "${no_such_field}: 'no_such_field' is undefined"),
        ("${gate.foo}", "${gate.foo}: no key 'foo' (keys: approved, by)"),
        ("${gate['foo']}", "no key 'foo'"),
        ("${release_notes.markdown}", "${release_notes.markdown}: 'release_notes' is undefined"),
        ("${gate.foo.bar}", "no key 'foo'"),
        ("${items[7]}", "no element 7"),
        ("${now - now}", "a value of type 'timedelta' cannot be a result"),
        ("${ {1: 'a'} }", "mapping keys must be strings"),
        ("${'nan' | float}", "not a finite number"),
        ("${1 / 0}", "${1 / 0}: division by zero"),
        ("${count + 'a'}", "unsupported operand"),
    ],
)
def test_evaluation_problems_are_expression_errors_naming_the_expression(template, message):
    with pytest.raises(ExpressionError) as caught:
        render(template, SCOPE)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${count ==}", "syntax error in ${count ==}: unexpected end of expression"),
        ("a ${count", "'${' is never closed"),
        ("a ${ }", "empty ${}"),
        ("${count | center(9)}", "no filter named 'center'"),
        ("${count count}", "unexpected text after the expression"),
    ],
)
def test_syntax_errors_are_found_without_running_anything(template, message):
    with pytest.raises(ExpressionError, match="syntax error") as caught:
        check_template(template)
    assert message in str(caught.value)
    with pytest.raises(ExpressionError):
        render(template, SCOPE)


def test_a_valid_template_passes_the_static_check():
    check_template("release ${version} with ${items | length} items, $${literal}")
    check_template("no templates at all")


def test_has_template_finds_unescaped_openings_only():
    assert has_template("a ${b}")
    assert has_template("a ${b")
    assert not has_template("a $b {c}")
    assert not has_template("$${b}")


def test_template_names_lists_the_top_level_names_read():
    names = template_names("${pr.title ~ version} and ${items | join(sep)}")
    assert names == {"pr", "version", "items", "sep"}
    assert template_names("no templates") == set()
    assert template_names("gate.approved and not dry_run", condition=True) == {"gate", "dry_run"}
