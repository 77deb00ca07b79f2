"""``GET /metrics``: Prometheus text that parses, with the numbers of the store and the broker."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import pytest

from engine.api.metrics import BUCKETS, Exposition, StepLatency
from tests.api.conftest import READER, Api

pytestmark = pytest.mark.integration

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, checking each line's syntax and that HELP/TYPE come before samples."""
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    typed: dict[str, str] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert kind in ("gauge", "counter", "histogram"), line
            typed[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name = match.group(1)
        family = name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
        assert name in typed or typed.get(family) == "histogram", f"sample without its TYPE: {line}"
        labels = tuple(LABEL.findall(match.group(3) or ""))
        samples[(name, labels)] = math.inf if match.group(4) == "+Inf" else float(match.group(4))
    return samples


def test_metrics_parse_and_count_processes_instances_dispatches_and_durations(api: Api):
    pid = api.launch("api-hello", who="metrics")
    api.wait(pid, "done")
    answer = api.get("/metrics", token=READER)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(answer.text)
    assert samples[("boss_processes", (("state", "done"),))] >= 1
    assert ("boss_processes", (("state", "cancelling"),)) in samples
    assert samples[("boss_participant_instances", (("participant", "echo"), ("state", "alive")))] == 1
    assert samples[("boss_dispatches_total", ())] >= 1
    assert ("boss_retries_total", (("by", "policy"),)) in samples
    assert samples[("boss_broker_up", ())] == 1
    assert samples[("boss_dead_letters", ())] >= 0
    echo = (("kind", "participant"), ("participant", "echo"))
    buckets = [samples[("boss_step_duration_seconds_bucket", (*echo, ("le", le)))]
               for le in ("0.1", "0.5", "1", "5", "15", "60", "300", "900", "3600", "14400", "86400", "+Inf")]
    assert buckets == sorted(buckets) and buckets[-1] >= 1
    assert samples[("boss_step_duration_seconds_count", echo)] == buckets[-1]
    assert samples[("boss_step_duration_seconds_sum", echo)] > 0


def test_counters_only_grow_between_scrapes(api: Api):
    first = parse(api.get("/metrics").text)
    api.wait(api.launch("api-hello", who="again"), "done")
    second = parse(api.get("/metrics").text)
    for key, value in first.items():
        if key[0].endswith(("_total", "_bucket", "_count", "_sum")):
            assert second.get(key, 0) >= value, key
    echo = (("kind", "participant"), ("participant", "echo"))
    assert second[("boss_step_duration_seconds_count", echo)] == first[("boss_step_duration_seconds_count", echo)] + 1
    assert second[("boss_dispatches_total", ())] == first[("boss_dispatches_total", ())] + 1


def test_a_step_run_is_counted_once_however_often_its_row_is_read_again(monkeypatch: pytest.MonkeyPatch):
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"process_id": "p", "node": "n1", "kind": "participant", "participant": "echo",
             "started_at": t0, "ended_at": t0 + timedelta(seconds=2), "updated_at": t0 + timedelta(seconds=2)}]
    monkeypatch.setattr("engine.api.queries.finished_steps",
                        lambda store, since: [r for r in rows if since is None or r["updated_at"] >= since])
    latency = StepLatency()
    latency.update(None)  # type: ignore[arg-type]
    latency.update(None)  # type: ignore[arg-type]
    rows.append({**rows[0], "started_at": t0 + timedelta(seconds=10), "ended_at": t0 + timedelta(seconds=10.05),
                 "updated_at": t0 + timedelta(seconds=10.05)})  # the same step, run again (a retry)
    del rows[0]
    latency.update(None)  # type: ignore[arg-type]
    samples = {(suffix, labels[-1][1] if suffix == "_bucket" else ""): value
               for suffix, labels, value in latency.samples()}
    assert samples[("_count", "")] == 2
    assert samples[("_bucket", "0.1")] == 1 and samples[("_bucket", "5")] == 2
    assert samples[("_sum", "")] == pytest.approx(2.05)
    assert len([s for s in latency.samples() if s[0] == "_bucket"]) == len(BUCKETS)


def test_label_values_are_escaped():
    out = Exposition()
    out.family("x", "gauge", "A test.", [("", (("name", 'a"b\\c\nd'),), 1.5)])
    assert out.text() == '# HELP x A test.\n# TYPE x gauge\nx{name="a\\"b\\\\c\\nd"} 1.5\n'
