"""Registries against the manifest, analysis semantics, state and lock, without processes."""

from __future__ import annotations

import json
import os
import typing

import pytest

from shipline import manifest
from shipline.deploy.analysis import analyze
from shipline.deploy.events import Timeline
from shipline.deploy.providers import PROVIDERS, MeasurementError, Sample
from shipline.deploy.routers import ROUTERS
from shipline.deploy.state import State, StateStore
from shipline.deploy.strategies import STRATEGIES
from shipline.errors import LockTimeout


def test_router_registry_matches_the_manifest():
    union = typing.get_args(typing.get_args(manifest.Router)[0])
    types = {typing.get_args(m.model_fields["type"].annotation)[0] for m in union}
    assert set(ROUTERS) == set(manifest.ROUTER_TYPES) == types


def test_strategy_and_provider_registries_match_the_manifest():
    assert set(STRATEGIES) == set(typing.get_args(manifest.Deploy.model_fields["strategy"].annotation))
    assert set(PROVIDERS) == set(typing.get_args(manifest.Analysis.model_fields["provider"].annotation))


class Scripted:
    """A provider replaying outcomes: an error rate, or an exception for a measurement error."""

    settle = 0.0

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def measure(self, targets):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if outcome == "error":
            raise MeasurementError("no data")
        if outcome == "empty":
            return {"live": Sample("live", 0, 0, None, None, None)}
        return {"live": Sample("live", 100, int(outcome * 100), 5.0, 10.0, 12.0)}


def run(provider, **settings):
    analysis = manifest.Analysis(interval=0, **settings)
    return analyze(provider, analysis, {"live": "http://127.0.0.1:1"}, "live", Timeline(), "test", sleep=lambda s: None)


def test_failure_limit_allows_that_many_failures_then_stops_at_once():
    ok = run(Scripted(0.5, 0.0, 0.0), count=3, failure_limit=1)
    assert (ok.promote, ok.outcome) == (True, "successful")
    provider = Scripted(0.5, 0.5, 0.0, 0.0)
    bad = run(provider, count=4, failure_limit=1)
    assert (bad.promote, bad.outcome, provider.calls) == (False, "failed", 2)
    assert "error rate 50.0% over 5.0%" in bad.reason


def test_consecutive_errors_over_the_limit_end_in_error_but_a_success_resets_them():
    assert run(Scripted("error", "error", 0.0, "error", 0.0), count=5, consecutive_error_limit=2).outcome == "successful"
    provider = Scripted("error", "error", "error", 0.0)
    decision = run(provider, count=4, consecutive_error_limit=2)
    assert (decision.promote, decision.outcome, provider.calls) == (False, "error", 3)


def test_an_analysis_whose_every_measurement_is_an_error_is_not_promoted():
    # within consecutive_error_limit, but nothing was judged
    decision = run(Scripted("error", "error"), count=2, consecutive_error_limit=4)
    assert (decision.promote, decision.outcome) == (False, "error")
    assert "none of 2 measurement(s) could be taken" in decision.reason and "no data" in decision.reason
    tolerated = run(Scripted("error", 0.0), count=2, consecutive_error_limit=4)
    assert (tolerated.promote, tolerated.outcome) == (True, "successful")
    assert "1 of 2 measurement(s) passed, 1 error(s) within consecutive_error_limit 4" in tolerated.reason


@pytest.mark.parametrize("setting, promote", [("rollback", False), ("promote", True)])
def test_inconclusive_follows_the_manifest(setting, promote):
    decision = run(Scripted(0.0, "empty"), count=2, inconclusive=setting)
    assert (decision.outcome, decision.promote) == ("inconclusive", promote)


def test_state_is_replaced_atomically_and_round_trips(tmp_path):
    store = StateStore(tmp_path, "prod")
    assert store.load() == State("prod")
    state = State("prod", active="blue", version="v1")
    state.record(operation="deploy", version="v1", result="promoted", reason="ok")
    store.save(state)
    assert store.load() == state
    assert json.loads((tmp_path / "prod.json").read_text())["history"][0]["result"] == "promoted"
    assert [p.name for p in tmp_path.iterdir()] == ["prod.json"], "no temp file left behind"


def test_lock_names_its_holder_and_times_out(tmp_path):
    store = StateStore(tmp_path, "prod")
    with store.lock(1, "deploy v9"):
        info = json.loads(store.lock_path.read_text())
        assert info["pid"] == os.getpid() and info["operation"] == "deploy v9"
        other = StateStore(tmp_path, "prod")
        with pytest.raises(LockTimeout, match=f"locked by pid {os.getpid()} on .*deploy v9"):
            with other.lock(0.3, "deploy v10"):
                pass
    with store.lock(0.1, "again"):
        pass


def test_canary_is_judged_against_stable_when_a_factor_is_set():
    from shipline.deploy.analysis import judge

    analysis = manifest.Analysis(relative_p95_factor=1.5, max_p95_ms=3000)
    canary = Sample("canary", 10, 0, 100.0, 400.0, 400.0)
    assert judge({"canary": canary, "stable": Sample("stable", 10, 0, 100.0, 300.0, 300.0)}, analysis, "canary", "stable")[0] == "successful"
    status, reason = judge({"canary": canary, "stable": Sample("stable", 10, 0, 50.0, 200.0, 200.0)}, analysis, "canary", "stable")
    assert status == "failed" and "canary p95 400 ms over stable p95 200 ms x 1.5" in reason
    status, reason = judge({"canary": canary, "stable": Sample("stable", 10, 10, None, None, None)}, analysis, "canary", "stable")
    assert status == "inconclusive" and "cannot be compared" in reason


class PromoteWhenPaused:
    """A listener playing the operator: answers a pause with ``action``."""

    def __init__(self, controls, action):
        self.controls, self.action = controls, action

    def on_event(self, event):
        if event.kind == "paused":
            self.controls.request(self.action, "tester")


@pytest.mark.parametrize("action, promote, outcome", [("promote", True, "promoted"), ("abort", False, "aborted")])
def test_inconclusive_over_the_limit_pauses_for_a_person(tmp_path, action, promote, outcome):
    from shipline.deploy.controls import Controls

    controls = Controls(tmp_path, "prod")
    timeline = Timeline([PromoteWhenPaused(controls, action)])
    analysis = manifest.Analysis(interval=0, count=3, inconclusive_limit=0)
    provider = Scripted(0.0, "empty", 0.0)
    decision = analyze(provider, analysis, {"live": "http://127.0.0.1:1"}, "live", timeline, "test", controls=controls, progress_deadline=30)
    assert (decision.promote, decision.outcome, provider.calls) == (promote, outcome, 2)
    assert "by tester" in decision.reason
    assert [e.kind for e in timeline.events] == ["measurement", "measurement", "paused"]


def test_a_pause_nobody_answers_ends_at_the_progress_deadline_as_failed(tmp_path):
    from shipline.deploy.controls import Controls

    analysis = manifest.Analysis(interval=0, count=2, inconclusive_limit=0)
    decision = analyze(Scripted("empty"), analysis, {"live": "http://127.0.0.1:1"}, "live", Timeline(), "test", controls=Controls(tmp_path, "prod"), progress_deadline=0.2)
    assert (decision.promote, decision.outcome) == (False, "failed")
    assert "progress_deadline" in decision.reason


def test_initial_delay_comes_before_the_first_measurement():
    slept = []
    analysis = manifest.Analysis(interval=1, count=2, initial_delay=5)
    analyze(Scripted(0.0, 0.0), analysis, {"live": "http://127.0.0.1:1"}, "live", Timeline(), "test", sleep=slept.append)
    assert len(slept) == 2 and slept[0] > 4 and slept[1] > 5


def test_a_measurement_past_its_deadline_fails_and_a_dead_target_fails_at_once():
    import threading

    release = threading.Event()

    class Stuck:
        calls = 0
        settle = 0.0

        def measure(self, targets):
            self.calls += 1
            release.wait(30)
            return {}

    stuck = Stuck()
    try:
        decision = analyze(stuck, manifest.Analysis(interval=0, count=3), {"live": "http://127.0.0.1:1"}, "live", Timeline(), "test")
    finally:
        release.set()
    assert (decision.outcome, stuck.calls) == ("failed", 1)
    assert "no figures within 0.5" in decision.reason and "(the measurement deadline)" in decision.reason
    dead = Stuck()
    decision = analyze(dead, manifest.Analysis(interval=0, count=3), {"live": "http://127.0.0.1:1"}, "live", Timeline(), "test", check=lambda: "the process exited")
    assert (decision.outcome, dead.calls) == ("failed", 0) and "the process exited" in decision.reason


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"active": "blue"', "corrupt"),
        ("", "empty"),
        ("[]", "expected a JSON object"),
        ('{"history": null}', "history is null, expected a list"),
        ('{"active": "red"}', 'active is "red", expected blue or green'),
        ('{"pending": {"op": "deploy", "color": "blue", "pid": "x"}}', "pending.pid"),
        ('{"previous": {"version": "v1"}}', "previous.color"),
        ('{"history": ["promoted"]}', 'history[0] is "promoted", expected an object'),
        ('{"history": [{"result": 1}]}', "history[0].result is 1, expected a string or null"),
    ],
)
def test_a_corrupt_state_file_names_itself_and_the_field(tmp_path, content, words):
    from shipline.deploy.state import StateFileError

    store = StateStore(tmp_path, "prod")
    store.path.write_text(content)
    with pytest.raises(StateFileError) as caught:
        store.load()
    assert str(store.path) in str(caught.value) and words in str(caught.value)


def test_a_history_entry_without_some_fields_reads_them_as_empty(tmp_path):
    store = StateStore(tmp_path, "prod")
    store.path.write_text('{"active": "blue", "version": "v1", "history": [{"version": "v1", "result": "promoted"}]}')
    entry = store.load().history[0]
    assert (entry.version, entry.result, entry.reason, entry.color, entry.started) == ("v1", "promoted", "", None, None)


def test_a_runner_behind_its_schedule_still_gives_each_measurement_its_full_time():
    """A loaded runner that oversleeps must not turn a healthy, slightly slow answer into a failure."""
    import time

    class Slow(Scripted):
        def measure(self, targets):
            time.sleep(0.3)  # a healthy answer, well inside interval + grace
            return super().measure(targets)

    def oversleep(seconds):
        time.sleep(seconds + 2.0)  # the runner wakes up late, past the next measurement's time

    provider = Slow(0.0, 0.0, 0.0)
    analysis = manifest.Analysis(interval=1, count=3)
    decision = analyze(provider, analysis, {"live": "http://127.0.0.1:1"}, "live", Timeline(), "test", sleep=oversleep)
    assert (decision.outcome, provider.calls) == ("successful", 3), decision.reason
