"""Wait for a slot to report healthy, with a deadline."""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Health:
    """Whether the slot came up, and if not why."""

    ok: bool
    reason: str
    waited: float


def get(url: str, timeout: float) -> tuple[int, bytes, dict[str, str]]:
    """One GET on a fresh connection: status, body, headers (lower-case names)."""
    parts = urllib.parse.urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    if not parts.hostname:
        raise http.client.InvalidURL(f"no host in {url!r}")
    conn = cls(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def wait_healthy(
    url: str, timeout: float, exited: Callable[[], int | None] = lambda: None, poll: float = 0.2, expect: tuple[str, str] | None = None
) -> Health:
    """Poll ``url`` until it answers 2xx, the process exits, or ``timeout`` seconds pass.

    ``expect``: (header, value) the answer must carry, such as the version the slot should run.
    """
    start = time.monotonic()
    last = "no answer yet"
    while True:
        code = exited()
        if code is not None and code != 0:
            return Health(False, f"the process exited with code {code} before it was healthy", time.monotonic() - start)
        try:
            status, _, headers = get(url, timeout=min(5.0, max(timeout, 0.5)))
            named = headers.get(expect[0].lower()) if expect else None
            if 200 <= status < 300 and (expect is None or named == expect[1]):
                return Health(True, f"{url} answered {status}", time.monotonic() - start)
            last = f"{url} answered {status}" + (f" with {expect[0]}: {named}, not {expect[1]}" if expect and 200 <= status < 300 else "")
        except (OSError, http.client.HTTPException) as err:
            last = f"{url}: {err}"
        if time.monotonic() - start >= timeout:
            return Health(False, f"not healthy within {timeout:g}s (health_timeout): {last}", time.monotonic() - start)
        time.sleep(poll)
