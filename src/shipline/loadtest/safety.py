"""Which hosts a load test may hit, and a quick check that the host answers at all.

A load test is a small attack, so shipline refuses the dangerous cases unless told:

- a host that is one environment's URL is loaded only when that environment says
  ``allow_load_test: true`` (production says no by default, and ``--allow-host``
  does not override it: change the manifest on purpose instead);
- any other host needs ``--allow-host``, except loopback, which hurts no one else.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from shipline import validation
from shipline.errors import InputError
from shipline.manifest import Environment

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL; an `InputError` quoting anything else."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or port == -1:
        raise InputError(f'--host "{url}" is not a URL; expected http://HOST[:PORT] or https://HOST[:PORT]')
    return parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]


def is_loopback(hostname: str) -> bool:
    """Whether ``hostname`` is this machine (``localhost`` or a loopback address), without DNS."""
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, environments: Sequence[Environment], allow_host: bool) -> Environment | None:
    """Refuse a host the manifest does not allow; return the environment it belongs to."""
    target = origin(host)
    for env in environments:
        if origin(env.url) != target:
            continue
        if not env.allow_load_test:
            raise validation.error_at(
                env,
                "allow_load_test",
                f'{host} is the URL of environment "{env.name}", which does not allow load tests; '
                f"set allow_load_test: true on it in the manifest if that is really meant",
            )
        return env
    if not (allow_host or is_loopback(target[1])):
        urls = ", ".join(e.url for e in environments if e.allow_load_test) or "(none allows load tests)"
        raise InputError(f"{host} is not one of the manifest's environment URLs ({urls}); pass --allow-host to load-test it anyway")
    return None


def preflight(host: str, timeout: float = 3.0) -> None:
    """Open one TCP connection to ``host`` so that an unreachable host fails in seconds."""
    _, hostname, port = origin(host)
    try:
        with socket.create_connection((hostname.strip("[]"), port), timeout=timeout):
            pass
    except OSError as err:
        reason = err.strerror or str(err) or type(err).__name__
        raise InputError(f"cannot reach {host}: {reason} (connecting to {hostname}:{port})") from None
