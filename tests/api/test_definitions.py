"""``/api/definitions``: the definitions of the process path, their launch fields as JSON Schema, validation."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.integration


def test_definitions_are_listed_by_name_and_paged(api: Api):
    listed = api.get("/api/definitions").json()
    names = [d["name"] for d in listed["items"]]
    assert names == ["api-count", "api-fails", "api-gate", "api-hello"]
    hello = listed["items"][3]
    assert hello["ok"] is True and hello["version"] == 2 and hello["description"].startswith("Greets")
    first = api.get("/api/definitions?limit=3").json()
    assert [d["name"] for d in first["items"]] == names[:3]
    rest = api.get(first["next"]).json()
    assert [d["name"] for d in rest["items"]] == names[3:] and rest["next"] is None


def test_a_definition_shows_its_fields_as_a_json_schema_and_its_steps(api: Api):
    shown = api.get("/api/definitions/api-hello").json()
    assert shown["fields_schema"] == {
        "type": "object", "additionalProperties": False, "required": ["who"],
        "properties": {"who": {"type": "string", "description": "whom to greet"},
                       "password": {"type": "string", "default": "", "writeOnly": True},
                       "times": {"type": "integer", "default": 1}}}  # fmt: skip
    assert shown["fields"]["who"]["required"] is True
    assert shown["steps"][0] == {"path": "steps[0]", "name": "greet", "kind": "participant", "line": 10,
                                 "participant": "echo"}
    assert shown["source"].startswith("# The API tests' work process")
    assert shown["calls"] == []


def test_an_unknown_definition_is_404_and_a_path_is_never_read(api: Api):
    answer = api.get("/api/definitions/nosuch")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert api.get("/api/definitions/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)
    assert api.get("/api/definitions/api-hello.yaml").status_code == 422


def test_validate_reports_every_problem_with_its_line(api: Api):
    answer = api.post("/api/definitions/validate", {"source": "name: x\nsteps:\n  - wait: banana\n"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is False
    assert body["problems"][0]["line"] == 3 and body["problems"][0]["path"] == "steps[0]"


def test_validate_checks_params_against_registered_participants_and_passes_good_ones(api: Api):
    good = api.post("/api/definitions/validate", {"source": "name: x\nsteps:\n  - echo: {a: 1}\n"}).json()
    assert good == {"ok": True, "name": "x", "steps": 1, "digest": good["digest"], "problems": []}


def test_validate_needs_a_source(api: Api):
    assert api.post("/api/definitions/validate", {}).status_code == 422
