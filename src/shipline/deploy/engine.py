"""The deploy engine: lock, state, releases, slots and router around a strategy.

Order of a deploy: take the environment's lock, read the state (a corrupt file stops
here, exit 2), converge from any interrupted run, unpack the version's release, start
it on the idle slot from there, wait until that slot's own process serves, smoke-test
it directly, let the strategy shift traffic and analyse, then promote (retiring the
old slot, at once or in the background after ``keep_previous_for``) or roll back
(traffic back on the old slot, the new one stopped, ``on_rollback`` hooks run).

The state's typed pending record is written before every step that changes the
world, so a run killed at any point leaves it behind; `converge`, the one recovery
routine of deploy and rollback, puts traffic back on the last promoted slot before
anything else, and a watchdog does the same after ``progress_deadline`` when no
command comes. Slot start and stop, release unpacking and router calls sit behind
`Slots`, `ReleaseStore` and the router Protocol, each a small interface.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from shipline import manifest, processes, smoke, validation
from shipline.deploy.analysis import Decision
from shipline.deploy.controls import Controls
from shipline.deploy.events import Listener, Timeline
from shipline.deploy.health import wait_healthy
from shipline.deploy.paths import DeployPaths
from shipline.deploy.providers import make_provider
from shipline.deploy.providers.prometheus import label_versions
from shipline.deploy.releases import ReleaseError, ReleaseStore
from shipline.deploy.result import FAILED, INTERRUPTED, PROMOTED, ROLLED_BACK, DeployResult
from shipline.deploy.routers import make_router
from shipline.deploy.routers.base import RouterConfigError, RouterError, all_to
from shipline.deploy.slots import Slots, SlotError, SlotSet
from shipline.deploy.state import COLORS, Pending, Previous, StateStore, now_iso, other
from shipline.deploy.strategies import STRATEGIES
from shipline.errors import InputError, ToolError

HOOK_TIMEOUT = 300


class Engine:
    """Deploys to, and rolls back, one environment."""

    def __init__(
        self,
        environment: manifest.Environment,
        smoke: manifest.Smoke,
        cwd: Path,
        environ: Mapping[str, str],
        paths: DeployPaths,
        listeners: list[Listener] | None = None,
    ):
        self.environment = environment
        self.deploy = environment.deploy
        self.analysis = self.deploy.analysis
        self.smoke = smoke
        self.live_url = environment.url
        self.cwd = cwd
        self.environ = dict(environ)
        self.store = StateStore(paths.state_dir, environment.name)
        self.slots: SlotSet = Slots(self.deploy, paths.state_dir, environment.name, cwd, environ)
        self.controls = Controls(paths.state_dir, environment.name)
        self.releases = ReleaseStore(paths.releases_dir, cwd, self.deploy.artifact, skip=(paths.state_dir,))
        self.router = make_router(self.deploy.router, self.slots)
        self.provider = make_provider(self.analysis)
        if environment.hosts:  # slots and router on servers reached over SSH, driven as one
            from shipline.deploy.hosts.fleet import Fleet

            self.fleet = Fleet(environment, cwd, environ, self.provider)
            self.slots, self.router, self.provider = self.fleet.slots, self.fleet.router, self.fleet.provider
            self.store, self.releases = self.fleet.kept(self.store, self.releases)
            self.fleet.router.stable = lambda: self.state.active
        self.strategy = STRATEGIES[self.deploy.strategy]()
        self.timeline = Timeline(listeners)
        self.watchdog: Callable[[Pending], None] = lambda pending: None  # started once a deploy's pending record is saved
        self.state = self.store.load()  # a corrupt state file stops here (exit 2), before anything changes

    # -- bookkeeping ----------------------------------------------------------------

    def set_phase(self, phase: str) -> None:
        """Record how far the pending operation got, before doing it."""
        if self.state.pending is not None:
            self.state.pending.phase = phase
            self.store.save(self.state)

    def _lock(self, operation: str) -> AbstractContextManager[None]:
        """The environment's lock; a run that has to wait says whom it waits for."""

        def waiting(holder: str) -> None:
            self.timeline.emit("waiting", f"waiting for the lock of {self.environment.name}, held by {holder} (lock_timeout {self.deploy.lock_timeout:g}s)")

        return self.store.lock(self.deploy.lock_timeout, operation, waiting)

    def _validate_router(self) -> None:
        try:
            self.router.validate()
        except RouterConfigError as err:
            raise validation.error_at(self.deploy.router, None, f'environment "{self.environment.name}": deploy.router ({self.deploy.router.type}): {err}') from None

    def _result(self, operation: str, version: str | None, result: str, reason: str, ok: bool, started: float) -> DeployResult:
        return DeployResult(
            environment=self.environment.name,
            operation=operation,
            strategy=self.deploy.strategy,
            version=version,
            result=result,
            reason=reason,
            active_color=self.state.active,
            active_version=self.state.version,
            ok=ok,
            started=started,
            finished=time.time(),
            events=list(self.timeline.events),
        )

    def _finish(self, operation: str, version: str | None, color: str | None, result: str, reason: str, started: float, pending: Pending | None = None) -> None:
        self.state.pending = pending
        self.state.record(
            operation=operation,
            version=version,
            color=color,
            strategy=self.deploy.strategy,
            result=result,
            reason=reason,
            started=now_iso(started),
            active_color=self.state.active,
            active_version=self.state.version,
        )
        self.store.save(self.state)
        self.timeline.emit(result, reason, version=version, color=color, active_color=self.state.active)

    # -- slots ----------------------------------------------------------------------

    def _release(self, version: str) -> Path:
        """The release directory of ``version``, unpacked now unless it is kept (exit 2 when it cannot be made)."""
        try:
            path, reused = self.releases.prepare(version)
        except (OSError, ReleaseError) as err:
            if self.environment.deploy.artifact:  # the manifest named what to unpack
                raise validation.error_at(self.environment.deploy, "artifact", f"cannot make the release of {version}: {err}") from None
            raise InputError(f'environment "{self.environment.name}": cannot make the release of {version}: {err}') from None
        self.timeline.emit("release", f"{'reusing' if reused else 'unpacked'} release {version} in {path}", version=version, path=str(path), reused=reused)
        return path

    def _start(self, color: str, version: str | None) -> str | None:
        """Start ``version`` on ``color`` from its release and wait until it serves; the reason it failed, or None."""
        how = "starting" if self.slots.config(color).start else "waiting for (no start command)"
        release = self.releases.path(version) if version and self.releases.exists(version) else None
        if self.slots.config(color).start and release is None:
            return f"the release of {version} is no longer kept in {self.releases.root} (keep_releases); deploy it again with --version {version}"
        self.timeline.emit("slot-start", f"{how} {version} on the {color} slot", color=color, version=version)
        try:
            self.slots.start(color, version, release)
        except (OSError, SlotError) as err:
            return f"the {color} slot did not start: {err}"
        expect = (self.deploy.version_header, version) if self.deploy.version_header and version else None
        health = wait_healthy(self.slots.health_url(color), self.deploy.health_timeout, lambda: self.slots.exited(color), expect=expect)
        problem = None if health.ok else health.reason
        if problem is None:
            problem = self.slots.serving_problem(color)  # a health answer from some other process proves nothing
        if problem:
            tail = self.slots.log_tail(color)
            return f"{version} on the {color} slot is not healthy: {problem}" + (f"\n{tail}" if tail else "")
        self.timeline.emit("healthy", f"{version} on the {color} slot is healthy after {health.waited:.1f}s", color=color, waited=health.waited)
        return None

    def _ensure_running(self, color: str, version: str | None) -> str | None:
        """Make sure the slot that should take traffic back runs ``version`` and serves; restart it from its release if not."""
        if self.slots.config(color).start and (self.slots.running_version(color) != version or self.slots.serving_problem(color)):
            return self._start(color, version)
        health = wait_healthy(self.slots.health_url(color), self.deploy.health_timeout)
        return None if health.ok else f"the {color} slot is not healthy: {health.reason}"

    def _stop(self, color: str) -> None:
        try:
            self.slots.stop(color)
            self.timeline.emit("slot-stop", f"stopped the {color} slot", color=color)
        except (OSError, SlotError) as err:
            self.timeline.emit("warning", f"could not stop the {color} slot: {err}", color=color)

    def _switch_back(self, color: str) -> None:
        """All traffic to ``color``, which must be up; a router failure here is shipline's to report (exit 3)."""
        problem = self._ensure_running(color, self.state.version)
        if problem:
            self.timeline.emit("warning", problem, color=color)
        try:
            self.router.set_weights(all_to(color))
        except RouterError as err:
            raise ToolError(
                self.deploy.router.type,
                f"could not put traffic back on {color}: {err}; the state keeps the unfinished run, so the next deploy or rollback retries",
            ) from None
        self.timeline.emit("switch", f"traffic back on {color}", color=color, weights={color: 100})

    def _route_back(self, old: str | None, new: str) -> None:
        """All traffic back to ``old`` at once, then stop ``new``."""
        if old is not None:
            self._switch_back(old)
        self._stop(new)

    # -- convergence ----------------------------------------------------------------

    def converge(self) -> Pending | None:
        """The one recovery routine, for deploy and rollback alike, driven by the pending record.

        An interrupted deploy or rollback: traffic back on the active (last promoted)
        slot, the half-started slot stopped, the run recorded as interrupted. A kept old
        slot whose time is up: stopped. Returns the interrupted operation it undid.
        """
        pending = self.state.pending
        active = self.state.active
        if pending is not None and not pending.interrupted:  # retire
            if (pending.after or 0) <= time.time() and pending.color != active:
                self._stop(pending.color)
                self.state.pending = None
                self.store.save(self.state)
            return None
        if pending is not None:
            self.timeline.emit("recover", f"an earlier {pending.describe()} did not finish; returning traffic to {active or 'no slot'}")
            if active:
                self._switch_back(active)
            if pending.color != active:
                self._stop(pending.color)
            self.state.record(
                operation=pending.op,
                version=pending.version,
                color=pending.color,
                strategy=self.deploy.strategy,
                result=INTERRUPTED,
                reason=f"the run stopped during {pending.phase}; traffic returned to {active}",
                started=now_iso(pending.started) if pending.started else None,
                active_color=active,
                active_version=self.state.version,
            )
            self.state.pending = None
            self.store.save(self.state)
            return pending
        if active and self.router.current() not in (None, all_to(active)):
            self.timeline.emit("recover", f"the router did not send all traffic to the active {active} slot; correcting it")
            self._switch_back(active)
        return None

    # -- operations -----------------------------------------------------------------

    def _pending(self, op: str, color: str, version: str | None) -> None:
        self.state.pending = Pending(op=op, color=color, version=version, pid=os.getpid(), started=time.time(), phase="starting")
        self.store.save(self.state)
        self.watchdog(self.state.pending)

    def _prune_releases(self) -> None:
        in_use = {v for v in (self.state.version, self.state.previous.version if self.state.previous else None) if v}
        removed = self.releases.prune(self.deploy.keep_releases, in_use)
        if removed:
            self.timeline.emit("release", f"removed old release(s) {', '.join(removed)} (keep_releases {self.deploy.keep_releases})", removed=removed)

    def run_deploy(self, version: str) -> DeployResult:
        """Ship ``version``; promoted (ok) or rolled back / failed (not ok), with the reason."""
        started = time.time()
        with processes.sigterm_as_interrupt(), self._lock(f"deploy {version}"):
            self.state = self.store.load()
            self._validate_router()
            self.converge()
            self.controls.clear()  # a request left for an earlier run is not for this one
            self._release(version)
            old = self.state.active
            new = other(old) if old else "blue"
            self.timeline.emit("start", f"deploying {version} to {self.environment.name} ({self.deploy.strategy}) on the {new} slot", version=version, color=new, previous_color=old)
            try:  # the pending record too: a SIGTERM right after it is saved must still find the way back
                self._pending("deploy", new, version)
                # what stopped the new version before it took traffic, else the strategy's decision
                verdict = self._start(new, version) or self._smoke(new) or self._shift(new, old)
            except BaseException:  # Ctrl-C or a cancelled job: traffic must not stay on an unproven version
                phase = self.state.pending.phase if self.state.pending else None
                self._route_back(old, new)
                self._finish("deploy", version, new, INTERRUPTED, f"interrupted during {phase}; traffic back on {old}", started)
                raise
            if isinstance(verdict, str):
                self._stop(new)
                self._finish("deploy", version, new, FAILED, verdict, started)
                return self._result("deploy", version, FAILED, verdict, False, started)
            decision = verdict
            if decision.promote:  # a success is reported only while every router sends all traffic to the new slot
                problem = self._routing_problem(new)
                if problem:
                    decision = Decision(False, "error", f"after the analysis, {problem}", decision.measurements)
            if not decision.promote:
                self._route_back(old, new)
                self._finish("deploy", version, new, ROLLED_BACK, decision.reason, started)
                self._on_rollback(decision.reason, version)
                return self._result("deploy", version, ROLLED_BACK, decision.reason, False, started)
            self.state.previous = Previous(old, self.state.version) if old else None
            self.state.active, self.state.version = new, version
            # promotion and the retirement of the old slot are saved together, so a kill
            # right after promoting still leaves the old slot to stop to the next run
            retire = Pending(op="retire", color=old, version=self.state.previous.version if self.state.previous else None, after=time.time() + self.deploy.keep_previous_for, pid=os.getpid()) if old else None
            self._finish("deploy", version, new, PROMOTED, decision.reason, started, pending=retire)
            if old:
                self._retire(old)
            self._prune_releases()
        return self._result("deploy", version, PROMOTED, decision.reason, True, started)

    def _shift(self, new: str, old: str | None) -> Decision:
        pending = self.state.pending.version if self.state.pending else None
        label_versions(self.provider, {c: v for c, v in ((new, pending), (old, self.state.version)) if c and v}, live=new, slot_url=self.slots.url)
        try:
            return self.strategy.shift(self, new, old)
        except RouterError as err:
            return Decision(False, "error", f"the router refused the change: {err}", [])

    def _switch_not_followed(self, color: str, current: str | None) -> str | None:
        """Why the routers do not send all traffic to ``color`` right after a switch there, after one more try
        (another writer may have raced this one); None when they do, or cannot tell."""
        problem = self._routing_problem(color)
        if problem:
            self.router.switch(color)
            problem = self._routing_problem(color)
        return f"after the switch to {color}, {problem}; traffic stays on {current}" if problem else None

    def _routing_problem(self, color: str) -> str | None:
        """Why traffic is not all on ``color`` now (every host's router asked, for hosts); None when it is, or a router cannot tell."""
        expected = all_to(color)
        if self.environment.hosts:
            return self.fleet.router.off(expected)
        try:
            now = self.router.current()
        except RouterError as err:
            return f"the router could not be asked for its weights: {err}"
        return None if now is None or now == expected else f"the router sends {now}, not all traffic to {color}"

    def _retire(self, old: str) -> None:
        if self.deploy.keep_previous_for > 0:
            self.timeline.emit("keep", f"keeping the {old} slot for {self.deploy.keep_previous_for:g}s for an instant rollback; it stops in the background", color=old)
        else:
            self._stop(old)
            self.state.pending = None
            self.store.save(self.state)

    def run_retire(self) -> str | None:
        """Stop the old slot kept after a promotion once ``keep_previous_for`` has passed; the color stopped, or None.

        What the background retirement runs; any later deploy or rollback does the same
        on its way (`converge`), so nothing holds a job or the lock while the slot is kept.
        """
        with self._lock("retire"):
            self.state = self.store.load()
            pending = self.state.pending
            if pending is None or pending.op != "retire" or pending.color == self.state.active or (pending.after or 0) > time.time():
                return None
            self.converge()
            return pending.color

    def run_rollback(self, reason: str) -> DeployResult:
        """Put the previous version back: undo an interrupted deploy, or else start the previous release and switch to it.

        An interrupted rollback is undone like any interrupted run and then done again,
        so a repeated rollback always ends on the previous version, never on the one it
        was rolling back from.
        """
        started = time.time()
        with processes.sigterm_as_interrupt(), self._lock("rollback"):
            self.state = self.store.load()
            self._validate_router()
            undone = self.converge()
            if undone is not None and undone.op == "deploy":
                why = f"{reason}: undid an interrupted deploy of {undone.version}"
                return self._result("rollback", self.state.version, ROLLED_BACK, why, True, started)
            previous = self.state.previous
            if previous is None:
                raise InputError(f'environment "{self.environment.name}" has no previous version to roll back to')
            current, target, version = self.state.active, previous.color, previous.version
            self.timeline.emit("start", f"rolling back {self.environment.name} to {version} on the {target} slot: {reason}", version=version, color=target)
            switched = False
            try:
                self._pending("rollback", target, version)
                problem = self._ensure_running(target, version)
                if not problem:
                    self.set_phase("switching")
                    self.router.switch(target)
                    switched = True
                    problem = self._switch_not_followed(target, current)
            except BaseException:  # Ctrl-C or a cancelled job: back to where the rollback started
                phase = self.state.pending.phase if self.state.pending else None
                self._route_back(current, target)
                self._finish("rollback", version, target, INTERRUPTED, f"interrupted during {phase}; traffic back on {current}", started)
                raise
            if problem:
                if switched:  # the state must say where traffic is: back where the rollback found it
                    self._route_back(current, target)
                else:
                    self._stop(target)
                self._finish("rollback", version, target, FAILED, problem, started)
                return self._result("rollback", version, FAILED, problem, False, started)
            self.timeline.emit("switch", f"traffic switched to {target}", color=target, weights={target: 100})
            self.state.active, self.state.version, self.state.previous = target, version, None
            self._finish("rollback", version, target, ROLLED_BACK, reason, started)
            if current:
                self._stop(current)
            self._on_rollback(reason, version)
        return self._result("rollback", version, ROLLED_BACK, reason, True, started)

    # -- operator commands ----------------------------------------------------------

    def run_watch(self, started: float, poll: float = 0.5) -> bool:
        """Watch the run that started at ``started``; if its process dies and nothing moves for ``progress_deadline``, recover.

        The run's last state write marks its last progress. Returns whether it recovered
        (False: the run finished, or another run took over).
        """
        while True:
            try:
                pending = self.store.load().pending
                touched = self.store.path.stat().st_mtime
            except (OSError, InputError):
                return False
            if pending is None or not pending.interrupted or pending.started != started:
                return False
            alive = pending.pid is not None and processes.proc_stat(pending.pid) is not None
            if not alive and time.time() >= touched + self.deploy.progress_deadline:
                break
            time.sleep(poll)
        with self._lock("progress deadline"):
            self.state = self.store.load()
            if self.state.pending is None or self.state.pending.started != started:
                return False
            self.timeline.emit("deadline", f"the {self.state.pending.describe()} made no progress for {self.deploy.progress_deadline:g}s (progress_deadline) and its process is gone")
            self.converge()
            return True

    def run_sync(self) -> dict[str, int]:
        """Re-apply the recorded routing (all traffic on the live slot) to a router that lost it; versions and slots stay as they are."""
        with self._lock("router sync"):
            self.state = self.store.load()
            self._validate_router()
            active = self.state.active
            if active is None:
                raise InputError(f'environment "{self.environment.name}" has no live version: nothing to sync')
            before = self.router.current()
            weights = all_to(active)
            try:
                self.router.set_weights(weights)
            except RouterError as err:
                raise ToolError(self.deploy.router.type, f"could not apply the recorded weights: {err}") from None
            self.timeline.emit("sync", f"router weights {before} -> {weights}: all traffic on the live {active} slot ({self.state.version})", before=before, weights=weights)
            return weights

    def run_stop(self) -> list[str]:
        """Stop both slots of the environment (the state keeps what was live, so a deploy or rollback starts it again); the colors stopped."""
        with self._lock("stop"):
            self.state = self.store.load()
            stopped = [c for c in COLORS if self.slots.groups(c) or self.slots.daemon(c)]
            for color in COLORS:
                self._stop(color)
            if not stopped and self.state.active is None:
                return []  # never deployed: nothing to record
            if self.state.pending is not None and not self.state.pending.interrupted:
                self.state.pending = None  # nothing left to retire
            self.state.record(operation="stop", version=self.state.version, color=None, strategy=self.deploy.strategy, result="stopped", reason="shipline stop", started=now_iso(), active_color=self.state.active, active_version=self.state.version)
            self.store.save(self.state)
            return stopped

    # -- smoke and hooks ------------------------------------------------------------

    def _smoke(self, color: str) -> str | None:
        if not self.smoke.enabled:
            return None
        checks, _ = smoke.expand_env(self.smoke.checks, self.environ)
        # every host's copy of the slot, before any traffic moves: a release broken on one host only is caught here
        reports = smoke.run_everywhere(self.slots.urls(color), checks, deadline=self.smoke.deadline, retry_interval=self.smoke.retry_interval)
        if all(report.ok for report in reports):
            hosts = f" on {len(reports)} hosts" if len(reports) > 1 else ""
            self.timeline.emit("smoke", f"{len(reports[0].passed)} smoke check(s) passed on the {color} slot{hosts}", color=color)
            return None
        failures = "; ".join(
            f"{r.name}{f' on host {report.where}' if report.where else ''}: expected {r.expected}, got {r.got}" for report in reports for r in report.failed
        )
        return f"smoke checks failed on the {color} slot: {failures}"

    def _on_rollback(self, reason: str, version: str | None) -> None:
        env = self.slots.base_env()
        env.update(
            ENVIRONMENT=self.environment.name,
            COLOR=self.state.active or "",
            VERSION=self.state.version or "",
            FAILED_VERSION=version or "",
            REASON=reason,
        )
        for hook in self.deploy.on_rollback:
            code: int | str  # the exit code, or "timeout"
            try:
                done = subprocess.run(hook, shell=True, cwd=self.cwd, env=env, capture_output=True, text=True, timeout=HOOK_TIMEOUT)  # nosec B602 - the user's own hook from their manifest
                code = done.returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
            kind = "hook" if code == 0 else "warning"
            self.timeline.emit(kind, f"on_rollback hook `{hook}` exited {code}", hook=hook, code=code)
