"""Several hosts, one release: the slots, router and measurements of every host as one.

The engine drives a fleet exactly as it drives one machine. Starting a slot starts it
on every host and waits until each is healthy; a change of weights that sends all
traffic one way rolls across the hosts in batches of ``max_parallel``, the canary
hosts first; a partial (canary) weight goes to the first ``canary_hosts`` hosts only,
the others staying on the old slot. Nothing moves until every host has answered:
an unreachable host stops the run at `validate`, before the first change, naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
import weakref
from pathlib import Path
from typing import Any, TypeVar

from shipline import manifest
from shipline.deploy.health import wait_healthy
from shipline.deploy.hosts.remote import RemoteSlots, remote_router
from shipline.deploy.hosts.ssh import TRACE_ENV, Connection, Credentials, Endpoint, Keyring, SshError
from shipline.deploy.providers import MetricProvider, Sample
from shipline.deploy.releases import ReleaseStore
from shipline.deploy.routers import Router
from shipline.deploy.routers.base import RouterConfigError, RouterError
from shipline.deploy.slots import SlotError
from shipline.deploy.state import StateStore

M = TypeVar("M")
T = TypeVar("T")


def _each(members: list[M], work: Callable[[M], T], parallel: int | None = None) -> list[T | BaseException]:
    """``work`` on every member, ``parallel`` at a time (all by default): results or the exception each raised, in order."""

    def guarded(member: M) -> T | BaseException:
        try:
            return work(member)
        except Exception as err:  # handed back, so one host's failure names that host
            return err

    with ThreadPoolExecutor(max_workers=max(1, parallel or len(members))) as pool:
        return list(pool.map(guarded, members))


def _raise_first(results: list[Any], members: list[RemoteSlots], kind: type[Exception]) -> None:
    for member, result in zip(members, results):
        if isinstance(result, BaseException):
            raise kind(f"on {member.host.label}: {result}") from None


class FleetSlots:
    """Every host's slots as one; URLs and the slot config are the first host's."""

    def __init__(self, members: list[RemoteSlots], health_timeout: float):
        self.members = members
        self.lead = members[0]
        self.deploy = self.lead.deploy
        self.environment = self.lead.environment
        self.cwd = self.lead.cwd
        self.environ = self.lead.environ
        self.health_timeout = health_timeout

    @property
    def dir(self) -> str:
        """The first host's directory."""
        return self.lead.dir

    def config(self, color: str) -> manifest.Slot:
        """The first host's slot config."""
        return self.lead.config(color)

    def url(self, color: str) -> str:
        """The first host's slot, from the runner (smoke tests and canary analysis go there)."""
        return self.lead.url(color)

    def urls(self, color: str) -> list[tuple[str, str]]:
        """Every host's slot from the runner, by host: the smoke checks before traffic moves go to each."""
        return [(m.host.label, m.url(color)) for m in self.members]

    def health_url(self, color: str) -> str:
        """The first host's health URL; `start` has waited for every host's already."""
        return self.lead.health_url(color)

    def base_env(self) -> dict[str, str]:
        """The slots' base environment."""
        return self.lead.base_env()

    def env(self, color: str, version: str | None, weight: int | None = None) -> dict[str, str]:
        """The first host's slot environment."""
        return self.lead.env(color, version, weight)

    def running_version(self, color: str) -> str | None:
        """The version the slot runs when every host runs the same one, else None (so it is started again)."""
        versions = set(_each(self.members, lambda m: m.running_version(color)))
        if len(versions) != 1:
            return None
        (version,) = versions
        return None if isinstance(version, BaseException) else version

    def daemon(self, color: str) -> Any:
        """The first host's slot process."""
        return self.lead.daemon(color)

    def groups(self, color: str) -> set[int]:
        """Live process groups of the slot on any host."""
        found: set[int] = set()
        for groups in _each(self.members, lambda m: m.groups(color)):
            if isinstance(groups, set):
                found |= groups
        return found

    def exited(self, color: str) -> int | None:
        """Unknown over SSH: None."""
        return None

    def start(self, color: str, version: str | None, release: Path | None = None) -> None:
        """Start ``version`` on every host at once, then wait until each is healthy; `SlotError` names the first host that failed."""

        def start_one(member: RemoteSlots) -> None:
            member.start(color, version, release)
            if member.config(color).start:
                health = wait_healthy(member.health_url(color), self.health_timeout)
                if not health.ok:
                    tail = member.log_tail(color)
                    raise SlotError(health.reason + (f"\n{tail}" if tail else ""))

        _raise_first(_each(self.members, start_one), self.members, SlotError)

    def serving_problem(self, color: str) -> str | None:
        """The first host's problem with the slot, naming the host; None when every host serves it."""
        for problem in _each(self.members, lambda m: m.serving_problem(color)):
            if problem:
                return str(problem)
        return None

    def stop(self, color: str) -> None:
        """Stop the slot on every host."""
        _raise_first(_each(self.members, lambda m: m.stop(color)), self.members, SlotError)

    def log_tail(self, color: str, lines: int = 10) -> str:
        """Each host's last lines, labelled."""
        tails = _each(self.members, lambda m: m.log_tail(color, lines))
        return "\n".join(f"[{m.host.label}] {t}" for m, t in zip(self.members, tails) if isinstance(t, str) and t)


class FleetRouter:
    """Every host's router as one (see the module docstring for the order of changes)."""

    def __init__(self, config: manifest.Router, slots: FleetSlots, canary_hosts: int, max_parallel: int) -> None:
        self.config = config
        self.slots = slots
        self.canary_hosts = canary_hosts
        self.max_parallel = max_parallel
        self.routers: list[Router] = []
        # the color users were on before this run (the engine's live slot): going back there is a restore
        self.stable: Callable[[], str | None] = lambda: None

    def validate(self) -> None:
        """Reach every host and check its router; an unreachable host is named and nothing changes."""

        def reach(member: RemoteSlots) -> Router:
            member.connection.connect()
            router = remote_router(self.config, member)
            router.validate()
            return router

        results = _each(self.slots.members, reach)
        for member, result in zip(self.slots.members, results):
            if isinstance(result, SshError):
                raise RouterConfigError(f"host {member.host.label} is unreachable, so nothing was changed on any host: {result}")
            if isinstance(result, BaseException):
                raise RouterConfigError(f"on host {member.host.label}: {result}")
        self.routers = [router for router in results if not isinstance(router, BaseException)]

    def _routers(self) -> list[tuple[RemoteSlots, Router]]:
        if not self.routers:
            self.validate()
        return list(zip(self.slots.members, self.routers))

    def current(self) -> dict[str, int] | None:
        """The share of traffic per color over all hosts (the mean of their weights); None when a host cannot tell."""
        weights = _each([r for _, r in self._routers()], lambda r: r.current())
        known = [w for w in weights if w is not None and not isinstance(w, BaseException)]
        if len(known) != len(weights):
            return None
        return {color: round(sum(w[color] for w in known) / len(known)) for color in ("blue", "green")}

    def off(self, weights: dict[str, int]) -> str | None:
        """The hosts whose router does not report ``weights`` (asked all at once), named with what they report; None when all do.
        A router that cannot tell (command hooks) counts as reporting them."""
        pairs = self._routers()
        found = _each([r for _, r in pairs], lambda r: r.current())
        wrong = [
            f"on host {member.host.label} the router " + (f"could not be asked for its weights: {now}" if isinstance(now, BaseException) else f"has {now}")
            for (member, _), now in zip(pairs, found)
            if now is not None and now != weights
        ]
        return f"{'; '.join(wrong)}, not {weights}" if wrong else None

    def set_weights(self, weights: dict[str, int]) -> None:
        """Partial weights on the canary hosts; all traffic to the new color across every host, ``max_parallel``
        at a time; all traffic back to the stable color on every host at once (a restore must not queue)."""
        pairs = self._routers()
        full = next((color for color, weight in weights.items() if weight == 100), None)
        if full is None:
            pairs = pairs[: self.canary_hosts]
        step = len(pairs) if full is not None and full == self.stable() else self.max_parallel
        for start in range(0, len(pairs), step):
            batch = pairs[start : start + step]
            results = _each(batch, lambda pair: pair[1].set_weights(weights))
            for (member, _), result in zip(batch, results):
                if isinstance(result, BaseException):
                    raise RouterError(f"on host {member.host.label}: {result}")

    def switch(self, color: str) -> None:
        """All traffic to ``color`` on every host."""
        self.set_weights({"blue": 100 if color == "blue" else 0, "green": 100 if color == "green" else 0})


class FleetProvider:
    """Measures each target on every host, for a provider that sends requests (the probe): the live entry point
    together with each host's own ``url``, and a slot on each host's copy of it, merged as one target (the worst
    latency, all the errors), with each host's figures kept as ``TARGET@HOST``. A provider that reads figures
    (Prometheus) already sees every host, so its targets go to it as they are."""

    def __init__(self, inner: MetricProvider, live_url: str, host_urls: dict[str, str], slots: FleetSlots) -> None:
        self.inner = inner
        self.settle = inner.settle  # each measurement waits as the inner provider's does
        self.sends_requests = inner.sends_requests
        self.live_url = live_url
        self.host_urls = host_urls
        self.slots = slots

    def _per_host(self, url: str) -> tuple[dict[str, str], bool]:
        """Each host's URL of the target at ``url``, by host label, and whether ``url`` itself is measured too
        (the live entry point is a place of its own; a slot URL is the first host's copy)."""
        if url == self.live_url:
            return dict(self.host_urls), True
        color = self.slots.lead.color_of(url)
        if color is None:
            return {}, True
        return {member.host.label: member.url(color) for member in self.slots.members}, False

    def measure(self, targets: dict[str, str]) -> dict[str, Sample]:
        """Figures per target, each merged over the hosts (see the class docstring)."""
        if not self.sends_requests:
            return self.inner.measure(targets)
        expanded: dict[str, str] = {}
        merged: dict[str, list[str]] = {}
        for name, url in targets.items():
            per_host, itself = self._per_host(url)
            if itself:
                expanded[name] = url
            expanded.update({f"{name}@{label}": host_url for label, host_url in per_host.items()})
            if per_host:
                merged[name] = ([name] if itself else []) + [f"{name}@{label}" for label in per_host]
        # every target at once: measuring them one after the other would not fit the measurement's deadline
        results = _each(list(expanded.items()), lambda item: self.inner.measure({item[0]: item[1]}))
        samples: dict[str, Sample] = {}
        for result in results:
            if isinstance(result, BaseException):
                raise result
            samples.update(result)
        for name, parts in merged.items():
            samples[name] = _merge(name, [samples[part] for part in parts])
        return samples


def _merge(name: str, parts: list[Sample]) -> Sample:
    def worst(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return max(known) if known else None

    return Sample(
        target=name,
        requests=sum(p.requests for p in parts),
        errors=sum(p.errors for p in parts),
        p50_ms=worst([p.p50_ms for p in parts]),
        p95_ms=worst([p.p95_ms for p in parts]),
        p99_ms=worst([p.p99_ms for p in parts]),
    )


def _close(members: list[RemoteSlots], keyring: Keyring) -> None:
    for member in members:
        try:
            member.connection.close()
        except SshError:
            pass
    keyring.close()


class Fleet:
    """The connections of one run to an environment's hosts, and what the engine drives through them.

    They close, and the key leaves the disk, when the fleet is dropped or the process exits.
    """

    def __init__(self, environment: manifest.Environment, cwd: Path, environ: Mapping[str, str], provider: MetricProvider):
        self.keyring = Keyring(Credentials.from_env(environ), environ.get("XDG_RUNTIME_DIR"))
        deploy = environment.deploy
        members = []
        trace = Path(environ[TRACE_ENV]) if environ.get(TRACE_ENV) else None
        for host in environment.hosts:
            endpoint = Endpoint(host.host, host.user, host.port, host.label)
            members.append(RemoteSlots(deploy, host, Connection(endpoint, self.keyring, trace=trace), environment.name, cwd, environ))
        self.slots = FleetSlots(members, float(deploy.health_timeout))
        self.router = FleetRouter(deploy.router, self.slots, environment.canary_hosts, environment.max_parallel)
        self.provider: MetricProvider = FleetProvider(provider, environment.url, {h.label: h.url for h in environment.hosts if h.url}, self.slots)
        self.close = weakref.finalize(self, _close, members, self.keyring)

    def kept(self, store: StateStore, releases: ReleaseStore) -> tuple[StateStore, ReleaseStore]:
        """The state store and releases of a run that keeps them on the hosts too."""
        from shipline.deploy.hosts.kept import HostsReleases, HostsStateStore

        return HostsStateStore(store.dir, store.environment, self.slots), HostsReleases(releases, self.slots)
