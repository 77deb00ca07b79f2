"""The Participant base class and the Workitem a handler receives."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel

from skynet import Cancelled, Participant, ParticipantError, RetryableError, Workitem, __version__
from skynet.errors import SpecError
from skynet.participant import check_name


class JiraVersion(Participant):
    """Creates a Jira version.

    More text that is not the description.
    """

    class Params(BaseModel):
        project: str


class Named(Participant):
    name = "custom-name"
    description = "Set by hand."
    version = "2.1"


def test_a_participant_defaults_its_name_and_description_from_the_class():
    assert JiraVersion.name == "jiraversion"
    assert JiraVersion.description == "Creates a Jira version."
    assert JiraVersion.version == "0"
    assert (Named.name, Named.description, Named.version) == ("custom-name", "Set by hand.", "2.1")


def test_a_subclass_is_a_participant_of_its_own_name():
    class Child(Named):
        pass

    assert (Child.name, Child.description) == ("child", "")


def test_params_are_published_as_json_schema():
    schema = JiraVersion.params_schema()
    assert schema is not None and schema["required"] == ["project"]
    assert Named.params_schema() is None


def test_handle_must_be_implemented():
    with pytest.raises(NotImplementedError):
        Named().handle(Workitem(id="w", process_id="p"))


def test_names_must_fit_queues_and_variables():
    assert check_name("jira-cloud_2") == "jira-cloud_2"
    for bad in ("", "has space", "dotted.name", "-leading"):
        with pytest.raises(SpecError):
            check_name(bad)


def test_errors_say_whether_they_are_retryable():
    assert not ParticipantError("x").retryable and RetryableError("x").retryable
    assert issubclass(Cancelled, ParticipantError) and not Cancelled().retryable
    assert ParticipantError().message == "ParticipantError"
    assert ParticipantError("gone", detail={"status": 404}).detail == {"status": 404}
    assert __version__


def test_changed_fields_are_top_level_keys_added_or_changed():
    wi = Workitem(id="w", process_id="p", fields={"a": 1, "nested": {"x": [1]}, "flag": 0, "gone": 1})
    wi.fields["nested"]["x"].append(2)
    wi.fields["flag"] = False
    wi.fields["new"] = "n"
    del wi.fields["gone"]
    assert wi.changed_fields() == {"nested": {"x": [1, 2]}, "flag": False, "new": "n"}


def test_progress_sends_the_message_and_data():
    sent: list[dict[str, object]] = []
    wi = Workitem(id="w", process_id="p", on_progress=sent.append)
    wi.progress("building", url="https://ci/1")
    wi.progress(percent=50)
    assert sent == [{"url": "https://ci/1", "message": "building"}, {"percent": 50}]


def test_check_cancelled_raises_once_cancelled():
    wi = Workitem(id="w", process_id="p", attempt=2)
    wi.check_cancelled()
    wi.cancelled.set()
    with pytest.raises(Cancelled, match="workitem w attempt 2 was cancelled"):
        wi.check_cancelled()


def test_the_workitem_log_names_the_process_and_step(caplog):
    wi = Workitem(id="w", process_id="proc-1", step="build", logger=logging.getLogger("skynet.test"))
    with caplog.at_level(logging.INFO, logger="skynet.test"):
        wi.log.info("started %s", "job")
    assert caplog.messages == ["[proc-1 build] started job"]


def test_the_idempotency_key_defaults_to_the_workitem_id():
    assert Workitem(id="p/3", process_id="p").idempotency_key == "p/3"
