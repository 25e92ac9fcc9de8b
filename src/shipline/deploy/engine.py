"""The deploy engine: lock, state, slots and router around a strategy.

Order of a deploy (issue 6): take the environment's lock, read the state, converge
from any interrupted run, start the new version on the idle slot, wait for health,
smoke-test the idle slot directly, let the strategy shift traffic and analyse, then
promote (retiring the old slot, after ``keep_previous_for``) or roll back (traffic
back on the old slot, the new one stopped, ``on_rollback`` hooks run).

The state file is written before every step that changes the world, so a run
killed at any point leaves ``pending`` behind, and the next run puts traffic back on
the last promoted slot before doing anything else.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from shipline import manifest, processes, smoke, validation
from shipline.deploy.analysis import Decision
from shipline.deploy.events import Listener, Timeline
from shipline.deploy.health import wait_healthy
from shipline.deploy.providers import make_provider
from shipline.deploy.result import FAILED, INTERRUPTED, PROMOTED, ROLLED_BACK, DeployResult
from shipline.deploy.routers import make_router
from shipline.deploy.routers.base import RouterConfigError, RouterError, all_to
from shipline.deploy.slots import Slots, SlotError
from shipline.deploy.state import StateStore, now_iso, other
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
        listeners: list[Listener] | None = None,
    ):
        self.environment = environment
        self.deploy = environment.deploy
        self.analysis = self.deploy.analysis
        self.smoke = smoke
        self.live_url = environment.url
        self.cwd = cwd
        self.environ = dict(environ)
        state_dir = cwd / self.deploy.state_dir
        self.store = StateStore(state_dir, environment.name)
        self.slots = Slots(self.deploy, state_dir, environment.name, cwd, environ)
        self.router = make_router(self.deploy.router, self.slots)
        self.provider = make_provider(self.analysis)
        self.strategy = STRATEGIES[self.deploy.strategy]()
        self.timeline = Timeline(listeners)
        self.state = self.store.load()

    # -- bookkeeping ----------------------------------------------------------------

    def set_phase(self, phase: str) -> None:
        """Record how far the pending operation got, before doing it."""
        if self.state.pending is not None:
            self.state.pending["phase"] = phase
            self.store.save(self.state)

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

    def _finish(self, operation: str, version: str | None, color: str | None, result: str, reason: str, started: float, pending: dict | None = None) -> None:
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

    def _start(self, color: str, version: str | None) -> str | None:
        """Start ``version`` on ``color`` and wait for health; the reason it failed, or None."""
        how = "starting" if self.slots.config(color).start else "waiting for (no start command)"
        self.timeline.emit("slot-start", f"{how} {version} on the {color} slot", color=color, version=version)
        try:
            self.slots.start(color, version)
        except (OSError, SlotError) as err:
            return f"the {color} slot did not start: {err}"
        health = wait_healthy(self.slots.health_url(color), self.deploy.health_timeout, lambda: self.slots.exited(color))
        if not health.ok:
            tail = self.slots.log_tail(color)
            return f"{version} on the {color} slot is not healthy: {health.reason}" + (f"\n{tail}" if tail else "")
        self.timeline.emit("healthy", f"{version} on the {color} slot is healthy after {health.waited:.1f}s", color=color, waited=health.waited)
        return None

    def _ensure_running(self, color: str, version: str | None) -> str | None:
        """Make sure the slot that should take traffic back is up; restart it if it died."""
        if self.slots.config(color).start and self.slots.running_version(color) != version:
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

    def converge(self) -> None:
        """Undo what an interrupted run left: traffic on the active slot, the other one stopped."""
        pending = self.state.pending
        active = self.state.active
        if pending and pending.get("op") == "retire":
            if pending.get("after", 0) <= time.time() and pending["color"] != active:
                self._stop(pending["color"])
                self.state.pending = None
                self.store.save(self.state)
            return
        if pending:
            what = f"{pending.get('op')} of {pending.get('version')} (pid {pending.get('pid')}, {pending.get('phase')})"
            self.timeline.emit("recover", f"an earlier {what} did not finish; returning traffic to {active or 'no slot'}")
            if active:
                self._switch_back(active)
            if pending.get("color") != active:
                self._stop(pending["color"])
            self.state.record(
                operation=pending.get("op"),
                version=pending.get("version"),
                color=pending.get("color"),
                strategy=self.deploy.strategy,
                result=INTERRUPTED,
                reason=f"the run stopped during {pending.get('phase')}; traffic returned to {active}",
                started=pending.get("started"),
                active_color=active,
                active_version=self.state.version,
            )
            self.state.pending = None
            self.store.save(self.state)
        elif active and self.router.current() not in (None, all_to(active)):
            self.timeline.emit("recover", f"the router did not send all traffic to the active {active} slot; correcting it")
            self._switch_back(active)

    # -- operations -----------------------------------------------------------------

    def _pending(self, op: str, color: str, version: str | None) -> None:
        self.state.pending = {"op": op, "color": color, "version": version, "pid": os.getpid(), "started": time.time(), "phase": "starting"}
        self.store.save(self.state)

    def run_deploy(self, version: str) -> DeployResult:
        """Ship ``version``; promoted (ok) or rolled back / failed (not ok), with the reason."""
        started = time.time()
        with processes.sigterm_as_interrupt(), self.store.lock(self.deploy.lock_timeout, f"deploy {version}"):
            self.state = self.store.load()
            self._validate_router()
            self.converge()
            old = self.state.active
            new = other(old) if old else "blue"
            self.timeline.emit("start", f"deploying {version} to {self.environment.name} ({self.deploy.strategy}) on the {new} slot", version=version, color=new, previous_color=old)
            self._pending("deploy", new, version)
            try:
                problem = self._start(new, version) or self._smoke(new)
                decision = None if problem else self._shift(new, old)
            except BaseException:  # Ctrl-C or a cancelled job: traffic must not stay on an unproven version
                phase = (self.state.pending or {}).get("phase")
                self._route_back(old, new)
                self._finish("deploy", version, new, INTERRUPTED, f"interrupted during {phase}; traffic back on {old}", started)
                raise
            if problem:
                self._stop(new)
                self._finish("deploy", version, new, FAILED, problem, started)
                return self._result("deploy", version, FAILED, problem, False, started)
            if not decision.promote:
                self._route_back(old, new)
                self._finish("deploy", version, new, ROLLED_BACK, decision.reason, started)
                self._on_rollback(decision.reason, version)
                return self._result("deploy", version, ROLLED_BACK, decision.reason, False, started)
            self.state.previous = {"color": old, "version": self.state.version} if old else None
            self.state.active, self.state.version = new, version
            # promotion and the retirement of the old slot are saved together, so a kill
            # right after promoting still leaves the old slot to stop to the next run
            retire = {"op": "retire", "color": old, "after": time.time() + self.deploy.keep_previous_for, "pid": os.getpid()} if old else None
            self._finish("deploy", version, new, PROMOTED, decision.reason, started, pending=retire)
            if old:
                self._retire(old)
        if old and self.deploy.keep_previous_for > 0:
            self._retire_later(old, new)
        return self._result("deploy", version, PROMOTED, decision.reason, True, started)

    def _shift(self, new: str, old: str | None) -> Decision:
        try:
            return self.strategy.shift(self, new, old)
        except RouterError as err:
            return Decision(False, "error", f"the router refused the change: {err}", [])

    def _retire(self, old: str) -> None:
        if self.deploy.keep_previous_for > 0:
            self.timeline.emit("keep", f"keeping the {old} slot for {self.deploy.keep_previous_for:g}s for an instant rollback", color=old)
        else:
            self._stop(old)
            self.state.pending = None
            self.store.save(self.state)

    def _retire_later(self, old: str, new: str) -> None:
        """Wait outside the lock (a rollback may take the old slot back meanwhile), then stop it."""
        time.sleep(self.deploy.keep_previous_for)
        with self.store.lock(self.deploy.lock_timeout, "retire"):
            self.state = self.store.load()
            pending = self.state.pending or {}
            if pending.get("op") == "retire" and pending.get("color") == old and self.state.active == new:
                self._stop(old)
                self.state.pending = None
                self.store.save(self.state)

    def run_rollback(self, reason: str) -> DeployResult:
        """Put the previous version back: undo an interrupted run, or else switch to the previous slot."""
        started = time.time()
        with self.store.lock(self.deploy.lock_timeout, "rollback"):
            self.state = self.store.load()
            self._validate_router()
            interrupted = self.state.pending and self.state.pending.get("op") in ("deploy", "rollback")
            self.converge()
            if interrupted:
                why = f"{reason}: undid an interrupted run"
                return self._result("rollback", self.state.version, ROLLED_BACK, why, True, started)
            previous = self.state.previous
            if not previous or not previous.get("color"):
                raise InputError(f'environment "{self.environment.name}" has no previous version to roll back to')
            current, target, version = self.state.active, previous["color"], previous["version"]
            self.timeline.emit("start", f"rolling back {self.environment.name} to {version} on the {target} slot: {reason}", version=version, color=target)
            self._pending("rollback", target, version)
            problem = self._ensure_running(target, version)
            if problem:
                self._stop(target)
                self._finish("rollback", version, target, FAILED, problem, started)
                return self._result("rollback", version, FAILED, problem, False, started)
            self.set_phase("switching")
            self.router.switch(target)
            self.timeline.emit("switch", f"traffic switched to {target}", color=target, weights={target: 100})
            self.state.active, self.state.version, self.state.previous = target, version, None
            self._finish("rollback", version, target, ROLLED_BACK, reason, started)
            self._stop(current)
            self._on_rollback(reason, version)
        return self._result("rollback", version, ROLLED_BACK, reason, True, started)

    # -- smoke and hooks ------------------------------------------------------------

    def _smoke(self, color: str) -> str | None:
        if not self.smoke.enabled:
            return None
        checks, _ = smoke.expand_env(self.smoke.checks, self.environ)
        report = smoke.run_checks(self.slots.url(color), checks, deadline=self.smoke.deadline, retry_interval=self.smoke.retry_interval)
        if report.ok:
            self.timeline.emit("smoke", f"{len(report.passed)} smoke check(s) passed on the {color} slot", color=color)
            return None
        failures = "; ".join(f"{r.name}: expected {r.expected}, got {r.got}" for r in report.failed)
        return f"smoke checks failed on the {color} slot: {failures}"

    def _on_rollback(self, reason: str, version: str | None) -> None:
        env = dict(self.environ)
        env.update(
            ENVIRONMENT=self.environment.name,
            COLOR=self.state.active or "",
            VERSION=self.state.version or "",
            FAILED_VERSION=version or "",
            REASON=reason,
        )
        for hook in self.deploy.on_rollback:
            try:
                done = subprocess.run(hook, shell=True, cwd=self.cwd, env=env, capture_output=True, text=True, timeout=HOOK_TIMEOUT)  # nosec B602 - the user's own hook from their manifest
                code = done.returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
            kind = "hook" if code == 0 else "warning"
            self.timeline.emit(kind, f"on_rollback hook `{hook}` exited {code}", hook=hook, code=code)
