"""command: the user's own hooks move traffic, so any platform can be driven.

Hooks see COLOR, PORT, VERSION and WEIGHT in their environment.
"""

from __future__ import annotations

import subprocess

from shipline import manifest
from shipline.deploy.routers.base import RouterConfigError, RouterError, raise_first
from shipline.deploy.slots import Slots

TIMEOUT = 300


class CommandRouter:
    """``switch`` and ``set_weights`` shell hooks from the manifest."""

    def __init__(self, config: manifest.CommandRouter, slots: Slots) -> None:
        self.config = config
        self.slots = slots

    def _run(self, hook: str, name: str, color: str, weight: int) -> None:
        env = self.slots.env(color, self.slots.running_version(color), weight)
        try:
            done = subprocess.run(hook, shell=True, cwd=self.slots.cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)  # nosec B602 - the user's own hook from their manifest
        except subprocess.TimeoutExpired:
            raise RouterError(f"the {name} hook did not finish within {TIMEOUT}s") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()[-300:]
            raise RouterError(f"the {name} hook exited {done.returncode} (COLOR={color} WEIGHT={weight}): {detail}")

    def validate(self) -> None:
        """A canary needs the set_weights hook; the ``check`` hook, when given, must say the router is up."""
        if self.slots.deploy.strategy == "canary" and not self.config.set_weights:
            raise RouterConfigError("the canary strategy needs router.set_weights (a hook that sends WEIGHT percent to COLOR)")
        if self.config.check:
            try:
                done = subprocess.run(self.config.check, shell=True, cwd=self.slots.cwd, env=self.slots.base_env(), capture_output=True, text=True, timeout=TIMEOUT)  # nosec B602 - the user's own hook from their manifest
            except subprocess.TimeoutExpired:
                raise RouterConfigError(f"the router's check hook did not finish within {TIMEOUT}s") from None
            if done.returncode != 0:
                detail = (done.stderr or done.stdout).strip()[-300:]
                raise RouterConfigError(f"the router's check hook exited {done.returncode}, so the router is not up: {detail}")

    def current(self) -> dict[str, int] | None:
        """Hooks cannot be asked; the state file is the truth."""
        return None

    def set_weights(self, weights: dict[str, int]) -> None:
        """Run set_weights once per color, rising weights first; a full switch may use the switch hook."""
        if not self.config.set_weights:
            live = [c for c, w in weights.items() if w == 100]
            if not live:
                raise RouterError("router.set_weights is not set, so only full switches are possible")
            self.switch(live[0])
            return
        for color, weight in raise_first(weights):
            self._run(self.config.set_weights, "set_weights", color, weight)

    def switch(self, color: str) -> None:
        """All traffic to ``color``."""
        self._run(self.config.switch, "switch", color, 100)
