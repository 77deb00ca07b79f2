"""How pools read in a terminal: one row per program, instance states folded, refusals and errors said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.transport.pool_messages import InstanceState, PoolControlAnswer, PoolState, ProgramState
from skynet.agent.render import answers_json, cluster_rows, instance_states, name_clashes, outcome_line, table

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def program(name: str, *states: str, enabled: bool = True) -> ProgramState:
    return ProgramState(name=name, enabled=enabled,
                        instances=[InstanceState(name=f"{name}-{i}", state=s) for i, s in enumerate(states)])


def answer(pool: str, *programs: ProgramState, error: str | None = None, refused: str | None = None,
           seen: float = 3) -> PoolControlAnswer:
    state = PoolState(host="h", pool=pool, agent_started_at=NOW, sent_at=NOW - timedelta(seconds=seen),
                      programs=list(programs), error=error)
    if refused:
        return PoolControlAnswer(request_id="r", pool=pool, host="h", ok=False, refused=True, error=refused)
    return PoolControlAnswer(request_id="r", pool=pool, host="h", ok=True, state=state)


def test_instance_states_are_one_word_when_alike_and_counted_when_not():
    assert instance_states(program("a", "RUNNING", "RUNNING")) == "RUNNING"
    assert instance_states(program("a", "RUNNING", "BACKOFF", "RUNNING")) == "2 RUNNING, 1 BACKOFF"
    assert instance_states(program("a")) == "-"


def test_the_cluster_table_has_a_row_per_program_sorted_by_pool():
    rows = cluster_rows([answer("beta", program("sleeper", "STOPPED"), seen=300),
                         answer("alpha", program("greeter", "RUNNING", "RUNNING"), program("jira", "FATAL",
                                                                                          enabled=False))], NOW)
    assert rows == [("alpha", "h", "greeter", "yes", "2/2", "RUNNING", "3s ago"),
                    ("alpha", "h", "jira", "no", "0/1", "FATAL", "3s ago"),
                    ("beta", "h", "sleeper", "yes", "0/1", "STOPPED", "5m ago")]
    lines = table(rows).splitlines()
    assert lines[0].split() == ["POOL", "HOST", "PROGRAM", "ENABLED", "RUNNING", "STATES", "SEEN"]
    assert lines[1].index("greeter") == lines[0].index("PROGRAM")


def test_a_pool_that_cannot_be_read_or_refused_says_so_in_its_row():
    rows = cluster_rows([answer("a", error="supervisord is not running"), answer("b"),
                         answer("c", refused="bad or missing signature")], NOW)
    assert [row[2] for row in rows] == ["(supervisord is not running)", "(no programs)",
                                        "(refused: bad or missing signature)"]


def test_json_drops_the_request_id_and_keeps_the_state():
    [data] = answers_json([answer("a", program("x", "RUNNING"))])
    assert set(data) == {"pool", "host", "ok", "refused", "error", "state"}
    assert data["state"]["programs"][0]["instances"][0]["state"] == "RUNNING"


def test_an_outcome_line_says_done_failed_or_refused():
    ok = PoolControlAnswer(request_id="r", pool="b", host="h", ok=True)
    failed = PoolControlAnswer(request_id="r", pool="b", host="h", ok=False, error="no program named x")
    refused = PoolControlAnswer(request_id="r", pool="b", host="h", ok=False, refused=True, error="not allowed")
    assert outcome_line(ok, "stop", ["x", "y"]) == "pool b (h): stop x y: done"
    assert outcome_line(failed, "stop", ["x"]) == "pool b (h): stop x: failed: no program named x"
    assert outcome_line(refused, "stop", ["x"]) == "pool b (h): stop x: refused: not allowed"


def test_two_agents_answering_as_one_pool_are_a_name_clash():
    answers = [answer("a"), answer("b"), answer("a")]
    assert name_clashes(answers) == ["2 agents answer as pool a (hosts h, h): each acts on requests for it; give "
                                     "every pool its own name (SKYNET_POOL before skynet up)"]
    assert name_clashes(answers[:2]) == []
