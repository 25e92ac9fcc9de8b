"""The prometheus provider against real Prometheus scraping a real haproxy: canaries judged by the traffic users send."""

from __future__ import annotations

import json

import pytest

from shipline import manifest
from shipline.deploy.engine import Engine
from shipline.deploy.paths import deploy_paths
from shipline.deploy.providers.prometheus import PrometheusProvider, label_versions, preflight
from tests.deploy_support import live_versions
from tests.helpers import run_cli
from tests.prometheus_support import Load, monitored_site

pytestmark = pytest.mark.slow

ANALYSIS = {"interval": 1, "count": 2, "failure_limit": 0, "max_error_rate": "10%", "max_p95_ms": 2000}


def prometheus_analysis(url: str, **extra) -> dict:
    return {"provider": "prometheus", **ANALYSIS, "prometheus": {"url": url, "window": "4s", "settle": "1.5s", "timeout": 2}, **extra}


@pytest.fixture
def released(tmp_path):
    """v1 live on blue (deployed with the probe), load running through haproxy, the manifest switched to the prometheus provider."""
    with monitored_site(tmp_path) as (site, prometheus):
        site.manifest("canary", canary_steps=[50, 100])
        assert run_cli("deploy", "--env", "prod", "--version", "v1", cwd=site.root).code == 0
        assert live_versions(site.proxy.port) == {"v1"}
        site.manifest("canary", canary_steps=[50, 100], analysis=prometheus_analysis(prometheus.url))
        with Load(site.proxy.port):
            yield site, prometheus


def deploy(site, version: str):
    result = run_cli("deploy", "--env", "prod", "--version", version, "--format", "json", cwd=site.root)
    return result.code, (json.loads(result.out) if result.out.strip() else {}), result.err


def measurements(out: dict) -> list[dict]:
    return [e["data"] for e in out["timeline"] if e["kind"] == "measurement"]


def test_a_canary_answering_half_500s_is_rolled_back_at_its_first_step(released):
    site, _ = released
    site.faults({"v2": {"error_share": 0.5}})
    code, out, err = deploy(site, "v2")
    assert code == 1, err
    assert out["result"] == "rolled-back" and out["active_color"] == "blue"
    steps = [e["data"]["step"] for e in out["timeline"] if e["kind"] == "weights"]
    assert steps == [50], "rolled back at the first step, never raised further"
    judged = measurements(out)
    # failure_limit 0: the first failed measurement decides (interval x (failure_limit + 1))
    assert [m["status"] for m in judged] == ["failed"]
    canary = judged[0]["samples"]["canary"]
    assert canary["requests"] > 0 and 0.3 < canary["error_rate"] < 0.7, canary
    assert judged[0]["samples"]["stable"]["error_rate"] == 0
    assert "canary error rate" in out["reason"]
    assert live_versions(site.proxy.port) == {"v1"}


def test_a_healthy_canary_is_promoted_on_what_prometheus_saw(released):
    site, _ = released
    env = manifest.load(site.root / "shipline.yml").service(None).environment("prod")
    provider = PrometheusProvider(env.deploy.analysis.prometheus)
    assert provider.variables("stable", "blue") == {"environment": "prod", "target": "stable", "color": "blue", "server": "blue", "backend": "app", "window": "4s", "version": ""}
    label_versions(provider, {"blue": "v1"}, live="blue", slot_url=lambda color: f"http://127.0.0.1:{getattr(site, color)}")
    assert provider.variables("stable", "blue")["version"] == "v1" and provider.variables("live", "")["version"] == "v1"
    before = provider.measure({"stable": f"http://127.0.0.1:{site.blue}", "canary": f"http://127.0.0.1:{site.green}"})
    assert before["stable"].requests > 0 and before["stable"].errors == 0, "haproxy's exporter counts blue's answers"
    assert before["canary"].requests == 0, "green takes no traffic before the deploy"
    code, out, err = deploy(site, "v2")
    assert code == 0, err
    assert out["result"] == "promoted" and out["active_color"] == "green"
    judged = measurements(out)
    assert [m["status"] for m in judged] == ["successful"] * 4
    assert all(m["samples"]["canary"]["requests"] > 0 for m in judged), "every measurement read real traffic on the canary"
    assert live_versions(site.proxy.port) == {"v2"}


def test_a_canary_slower_than_stable_fails_the_comparison_the_manifest_asks_for(released):
    site, prometheus = released
    site.manifest("canary", canary_steps=[50, 100], analysis=prometheus_analysis(prometheus.url, relative_p95_factor=3))
    site.faults({"v2": {"latency_ms": 150}})
    code, out, err = deploy(site, "v2")
    assert code == 1, err
    judged = measurements(out)[0]
    assert judged["status"] == "failed", measurements(out)
    canary, stable = judged["samples"]["canary"], judged["samples"]["stable"]
    # haproxy's sliding average starts from zero: undone, the fresh canary's 150 ms show as such, not as 2 ms
    assert 100 < canary["p95_ms"] < 2000, canary
    assert canary["p95_ms"] > 3 * stable["p95_ms"], "within the absolute limit, over the relative one"
    assert "over stable p95" in out["reason"]


class StopAt:
    """Stops Prometheus when the canary first takes traffic."""

    def __init__(self, prometheus):
        self.prometheus = prometheus

    def on_event(self, event) -> None:
        if event.kind == "weights" and self.prometheus.process.poll() is None:
            self.prometheus.stop()


@pytest.mark.parametrize("inconclusive, result", [("rollback", "rolled-back"), ("promote", "promoted")])
def test_prometheus_going_down_makes_the_analysis_inconclusive_and_the_manifest_decides(released, inconclusive, result):
    site, prometheus = released
    site.manifest("canary", canary_steps=[50, 100], analysis=prometheus_analysis(prometheus.url, inconclusive=inconclusive))
    loaded = manifest.load(site.root / "shipline.yml")
    env = loaded.service(None).environment("prod")
    paths = deploy_paths(env, loaded.project.name, site.root, {})
    engine = Engine(env, manifest.Smoke(enabled=False), site.root, {}, paths, [StopAt(prometheus)])
    preflight(engine.provider)  # Prometheus is up when the deploy starts
    outcome = engine.run_deploy("v2")
    assert outcome.result == result
    judged = outcome.measurements
    assert judged[0]["status"] == "inconclusive" and "Prometheus did not answer" in judged[0]["reason"], judged[0]
    assert "inconclusive" in outcome.reason and f"analysis.inconclusive: {inconclusive}" in outcome.reason
    assert "Prometheus did not answer" in outcome.reason, "the recorded reason says Prometheus went down"


def test_a_named_metric_judged_by_its_success_condition_rolls_back_or_promotes(released):
    site, prometheus = released
    site.faults({})
    # 1 on the slot running v3 only: {{ version }} is the version on the judged slot
    on_v3 = 'label_replace(vector(1), "v", "{{ version }}", "", "") and on(v) label_replace(vector(1), "v", "v3", "", "")'
    failing = {"name": "always-one", "query": "vector(1)", "success": "result < 0.5"}
    site.manifest("canary", canary_steps=[50, 100], analysis=prometheus_analysis(prometheus.url) | {"prometheus": {**prometheus_analysis(prometheus.url)["prometheus"], "metrics": [failing]}})
    code, out, err = deploy(site, "v2")
    assert code == 1, err
    assert out["result"] == "rolled-back" and 'metric "always-one" = 1 fails "result < 0.5"' in out["reason"], out["reason"]
    assert measurements(out)[0]["samples"]["canary"]["metrics"] == {"always-one": 1.0}
    assert live_versions(site.proxy.port) == {"v1"}

    passing = {"name": "runs-v3", "query": on_v3, "success": "result == 1"}
    site.manifest("canary", canary_steps=[50, 100], analysis=prometheus_analysis(prometheus.url) | {"prometheus": {**prometheus_analysis(prometheus.url)["prometheus"], "metrics": [passing]}})
    code, out, err = deploy(site, "v3")
    assert code == 0, err + json.dumps(measurements(out))
    assert out["result"] == "promoted"
    assert all(m["samples"]["canary"]["metrics"] == {"runs-v3": 1.0} for m in measurements(out))
    assert live_versions(site.proxy.port) == {"v3"}


@pytest.fixture
def fresh(tmp_path):
    """Nothing deployed yet: haproxy with its exporter and Prometheus, the manifest on the prometheus provider."""
    with monitored_site(tmp_path) as (site, prometheus):
        site.manifest("canary", canary_steps=[50, 100], analysis=prometheus_analysis(prometheus.url))
        yield site, prometheus


def nothing_started(site) -> bool:
    return not list(site.state_dir.glob("*.pid")) and not (site.state_dir / "prod.json").exists()


def test_an_unreachable_prometheus_stops_the_deploy_before_anything_starts(fresh):
    site, prometheus = fresh
    prometheus.stop()
    code, out, err = deploy(site, "v1")
    assert code == 2
    line = next(i for i, text in enumerate((site.root / "shipline.yml").read_text().splitlines(), 1) if f'"url": "{prometheus.url}"' in text)
    assert err.startswith(f"shipline: error: shipline.yml:{line}:") and "cannot reach Prometheus" in err, err
    assert nothing_started(site)


def test_a_query_prometheus_rejects_is_located_in_the_manifest(fresh):
    site, prometheus = fresh
    # parses (so the manifest loads), but Prometheus refuses to run it: many series match on each side
    bad = {
        "name": "errs",
        "measures": "errors",
        "query": 'haproxy_server_http_responses_total{proxy="{{ backend }}"} / on(proxy) haproxy_server_http_responses_total',
    }
    site.manifest("canary", canary_steps=[50, 100], analysis=prometheus_analysis(prometheus.url) | {"prometheus": {"url": prometheus.url, "metrics": [bad]}})
    code, out, err = deploy(site, "v1")
    assert code == 2
    line = next(i for i, text in enumerate((site.root / "shipline.yml").read_text().splitlines(), 1) if '"query": "haproxy_server' in text)
    assert err.startswith(f"shipline: error: shipline.yml:{line}:"), err
    assert 'Prometheus rejected metric "errs" (errors) for canary' in err and "many-to-many matching not allowed" in err, err
    assert nothing_started(site)
