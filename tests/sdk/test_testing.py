"""skynet.testing.run: a participant on one workitem without a broker, judged as the engine would."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from skynet import Participant, Workitem
from skynet.testing import run
from tests.sdk.participants import Echo, Stoppable, Typed

EXAMPLE = Path(__file__).resolve().parents[2] / "etc" / "examples" / "greeter.py"


def greeter() -> type[Participant]:
    spec = importlib.util.spec_from_file_location("greeter_example", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Greeter  # type: ignore[no-any-return]


def test_the_greeter_greets_with_its_configured_greeting():
    outcome = run(greeter(), params={"who": "world"}, fields={"release": "1.0"}, config={"greeting": "hi"})
    assert outcome.ok and outcome.error is None
    assert outcome.result == {"text": "hi world"}
    assert outcome.changed == {"greeted": "world"}
    assert outcome.fields == {"release": "1.0", "greeted": "world"}
    assert outcome.progress == [{"message": "greeting", "who": "world"}]


def test_only_changed_fields_are_reported_and_the_callers_fields_stay_untouched():
    fields = {"a": 1, "b": {"x": 1}, "flag": 1}
    outcome = run(Echo, params={"set_fields": {"a": 1, "b": {"x": 2}, "flag": True, "c": None}}, fields=fields)
    assert outcome.changed == {"b": {"x": 2}, "flag": True, "c": None}
    assert fields == {"a": 1, "b": {"x": 1}, "flag": 1}


def test_a_retryable_error_is_captured_as_retryable():
    outcome = run(Echo, params={"fail": "retryable"})
    assert outcome.error is not None and not outcome.ok
    assert (outcome.error.type, outcome.error.retryable, outcome.error.message) == (
        "RetryableError", True, "the service is busy")
    assert outcome.error.detail == {"retry_in": 5}
    assert outcome.result is None


def test_a_permanent_error_is_captured_as_permanent():
    outcome = run(Echo, params={"fail": "permanent"})
    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable) == ("ParticipantError", False)


def test_an_unexpected_exception_is_captured_as_a_permanent_error_named_after_its_class():
    outcome = run(Echo, params={"fail": "bug"})
    assert outcome.error is not None
    assert (outcome.error.type, outcome.error.retryable, outcome.error.message) == ("KeyError", False, "'missing'")


def test_params_that_do_not_fit_are_an_error_naming_the_field():
    outcome = run(Typed, params={"who": 3})
    assert outcome.error is not None
    assert outcome.error.type == "ParticipantError" and not outcome.error.retryable
    assert "count: Field required" in outcome.error.message and "who:" in outcome.error.message


def test_valid_params_arrive_as_the_params_model():
    assert run(Typed, params={"count": "2"}).result == {"count": 4, "who": "world"}


def test_a_cancelled_workitem_stops_with_cancelled():
    outcome = run(Stoppable, cancelled=True)
    assert outcome.error is not None and outcome.error.type == "Cancelled"


class Lifecycle(Participant):
    """Remembers its hooks."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def setup(self, config: dict[str, Any]) -> None:
        self.calls.append(("setup", config))

    def handle(self, wi: Workitem) -> Any:
        self.calls.append(("handle", wi.process_id, wi.attempt, wi.idempotency_key, wi.step))
        raise RuntimeError("boom")

    def teardown(self) -> None:
        self.calls.append(("teardown",))


def test_setup_handle_and_teardown_run_in_order_even_when_handle_fails():
    participant = Lifecycle()
    outcome = run(participant, config={"k": 1}, process_id="proc-9", attempt=3)
    assert outcome.error is not None and outcome.error.type == "RuntimeError"
    assert participant.calls == [("setup", {"k": 1}), ("handle", "proc-9", 3, "proc-9/1", "lifecycle"),
                                 ("teardown",)]


class Unsendable(Participant):
    def handle(self, wi: Workitem) -> Any:
        return {"handle": object()}


def test_a_result_that_cannot_be_json_is_a_permanent_error():
    outcome = run(Unsendable)
    assert outcome.error is not None and "cannot be sent as JSON" in outcome.error.message
