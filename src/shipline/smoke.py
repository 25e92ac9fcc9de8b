"""Smoke checks: a few HTTP requests that must come back as expected, retried until a deadline.

The public API, shared by `shipline smoke` and the deploy backends:

- `expand_env(checks, environ)` fills ``${NAME}`` in header values and returns the
  values that must be masked;
- `run_checks(base_url, checks, deadline=..., retry_interval=...)` returns a `SmokeReport`;
- `run_everywhere(targets, checks, ...)` runs them against several base URLs at once
  (an environment's url and each of its hosts' own);
- `write_junit(reports, path)` writes them as JUnit XML;
- `load_checks(path)` reads a YAML list of checks (``--checks FILE``).

A freshly deployed service may need seconds before it answers, so every failing check
is retried with exponential backoff until it passes or the overall deadline runs out.
Nothing here prints: callers hand the report to the reporter.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from shipline import validation, yamlfile
from shipline.errors import InputError
from shipline.manifest import SmokeCheck, SmokeChecksFile

# a request never waits longer than this, whatever is left of the deadline
MAX_REQUEST_TIMEOUT = 10.0
# the first try of each check gets at least this long, even with a deadline of 0
MIN_ATTEMPT_S = 1.0
# a retry needs this long before the deadline to mean anything: the last wait ends that early
LAST_TRY_S = 0.5
# backoff doubles the retry interval up to this many times the first one
MAX_BACKOFF_FACTOR = 8
# how much of a response body a failure message quotes
BODY_EXCERPT = 200

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_HEADER = re.compile(r"authorization|cookie|token|key|secret|password", re.IGNORECASE)


@dataclass(frozen=True)
class CheckResult:
    """How one check ended: ``expected`` and ``got`` describe the last attempt."""

    name: str
    method: str
    url: str
    passed: bool
    expected: str
    got: str
    latency_ms: float | None
    attempts: int


@dataclass(frozen=True)
class SmokeReport:
    """Every check's result against one base URL (``where``: the host it belongs to, if any)."""

    base_url: str
    results: list[CheckResult]
    duration: float
    where: str = ""

    @property
    def passed(self) -> list[CheckResult]:
        """The checks that passed."""
        return [r for r in self.results if r.passed]

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed."""
        return [r for r in self.results if not r.passed]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.failed


def check_name(check: SmokeCheck) -> str:
    """The check's name, or ``METHOD /path`` when it has none."""
    return check.name or f"{check.method} {check.path}"


def _is_secret_header(name: str) -> bool:
    return bool(_SECRET_HEADER.search(name))


def expand_env(checks: Sequence[SmokeCheck], environ: Mapping[str, str]) -> tuple[list[SmokeCheck], list[str]]:
    """Fill ``${NAME}`` in header values from ``environ``; return the checks and the values to mask.

    Values to mask are every value that came from the environment and every value of a
    header whose name looks secret (Authorization, Cookie, ``*token*``, ``*key*``...).
    """
    out, secrets = [], []
    for check in checks:
        headers = {}
        for header, value in check.headers.items():
            missing = [n for n in _ENV_REF.findall(value) if n not in environ]
            if missing:
                raise validation.error_at(check, ("headers", header), f'smoke check "{check_name(check)}": header {header} uses ${{{missing[0]}}}, which is not set in the environment')
            for name in _ENV_REF.findall(value):
                secrets.append(environ[name])
            expanded = _ENV_REF.sub(lambda m: environ[m.group(1)], value)
            if _is_secret_header(header):
                secrets.append(expanded)
            headers[header] = expanded
        out.append(check.model_copy(update={"headers": headers}))
    return out, [s for s in dict.fromkeys(secrets) if s]


def load_checks(path: Path, display: str | None = None) -> list[SmokeCheck]:
    """Read a YAML list of checks, each shaped like the manifest's ``smoke.checks`` items."""
    doc = yamlfile.load(path, display)
    if not isinstance(doc.data, list) or not doc.data:
        raise InputError(problems=[doc.problem((), f"expected a non-empty YAML list of checks (each with at least a path), got {validation.kind(doc.data)}")])
    return list(validation.validate(SmokeChecksFile, doc).root)


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _field(data: Any, dotted: str) -> tuple[bool, Any]:
    """The value at ``a.b.0.c`` in parsed JSON, and whether it is there."""
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False, None
    return True, data


def _excerpt(body: str) -> str:
    body = " ".join(body.split())
    return body if len(body) <= BODY_EXCERPT else body[:BODY_EXCERPT] + "..."


@dataclass
class _Response:
    status: int
    body: str
    latency_ms: float


def _request(url: str, check: SmokeCheck, timeout: float) -> _Response:
    """One request on a new connection; redirects are answers, not followed."""
    parts = urllib.parse.urlsplit(url)
    conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_class(parts.netloc, timeout=timeout)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    start = time.monotonic()
    try:
        body = check.body.encode() if check.body is not None else None
        conn.request(check.method, target, body=body, headers={"Connection": "close", **check.headers})
        response = conn.getresponse()
        data = response.read()
        latency = (time.monotonic() - start) * 1000
    finally:
        conn.close()
    return _Response(response.status, data.decode("utf-8", errors="replace"), latency)


def _judge(check: SmokeCheck, response: _Response) -> tuple[bool, str, str]:
    """Whether ``response`` passes ``check``; else what was expected and what came back."""
    allowed = check.expect_status if isinstance(check.expect_status, list) else [check.expect_status]
    if response.status not in allowed:
        expected = "status " + " or ".join(str(s) for s in allowed)
        got = f"status {response.status}" + (f": {_excerpt(response.body)}" if response.body.strip() else "")
        return False, expected, got
    if check.body_contains is not None and check.body_contains not in response.body:
        return False, f'body containing "{check.body_contains}"', f'body "{_excerpt(response.body)}"'
    if check.json_equals:
        try:
            data = json.loads(response.body)
        except ValueError:
            return False, "a JSON body", f'body "{_excerpt(response.body)}"'
        for dotted, want in check.json_equals.items():
            found, value = _field(data, dotted)
            if not found:
                return False, f"{dotted} = {json.dumps(want)}", f"no field {dotted}"
            if value != want:
                return False, f"{dotted} = {json.dumps(want)}", f"{dotted} = {json.dumps(value)}"
    if check.max_latency_ms is not None and response.latency_ms > check.max_latency_ms:
        return False, f"latency <= {check.max_latency_ms:g} ms", f"latency {response.latency_ms:.0f} ms"
    return True, _describe_expectation(check), f"status {response.status}"


def _describe_expectation(check: SmokeCheck) -> str:
    allowed = check.expect_status if isinstance(check.expect_status, list) else [check.expect_status]
    parts = ["status " + " or ".join(str(s) for s in allowed)]
    if check.body_contains is not None:
        parts.append(f'body containing "{check.body_contains}"')
    parts += [f"{k} = {json.dumps(v)}" for k, v in (check.json_equals or {}).items()]
    if check.max_latency_ms is not None:
        parts.append(f"latency <= {check.max_latency_ms:g} ms")
    return ", ".join(parts)


def _attempt(base_url: str, check: SmokeCheck, timeout: float, attempts: int) -> CheckResult:
    url = _url(base_url, check.path)
    try:
        response = _request(url, check, timeout)
    except (OSError, http.client.HTTPException) as err:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        return CheckResult(check_name(check), check.method, url, False, _describe_expectation(check), f"no answer ({reason})", None, attempts)
    passed, expected, got = _judge(check, response)
    return CheckResult(check_name(check), check.method, url, passed, expected, got, response.latency_ms, attempts)


@dataclass
class Clock:
    """Time, injectable so the retry schedule can be tested without waiting."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.now()


def _attempt_all(base_url: str, checks: Sequence[SmokeCheck], pending: list[int], previous: dict[int, CheckResult], wait_s: float) -> dict[int, CheckResult]:
    """Try the ``pending`` checks side by side, each bounded by ``wait_s``.

    Side by side so that ten hanging checks take the deadline once, not ten times; a
    request that outlives its socket timeout (a server trickling bytes) is left behind
    in its daemon thread rather than waited for. A check still waiting keeps its
    previous result (a 500 says more than a retry cut short by the deadline), or
    else has no answer.
    """
    attempts = {i: (previous[i].attempts if i in previous else 0) + 1 for i in pending}
    results: dict[int, CheckResult] = {}
    timeout = min(MAX_REQUEST_TIMEOUT, wait_s)

    def attempt(i: int) -> None:
        results[i] = _attempt(base_url, checks[i], timeout, attempts[i])

    threads = [threading.Thread(target=attempt, args=(i,), daemon=True) for i in pending]
    for t in threads:
        t.start()
    ends = time.monotonic() + wait_s
    for t in threads:
        t.join(max(0.0, ends - time.monotonic()))
    for i in pending:
        if i not in results and i in previous:
            results[i] = replace(previous[i], attempts=attempts[i])
        elif i not in results:
            check = checks[i]
            url = _url(base_url, check.path)
            results[i] = CheckResult(
                check_name(check), check.method, url, False, _describe_expectation(check), f"no answer within {wait_s:.1f}s (the deadline)", None, attempts[i]
            )
    return results


def run_checks(
    base_url: str,
    checks: Sequence[SmokeCheck],
    *,
    deadline: float,
    retry_interval: float,
    clock: Clock | None = None,
) -> SmokeReport:
    """Run every check against ``base_url``, retrying failures until ``deadline`` seconds pass.

    Each round tries the checks that have not passed yet, side by side, and ends by the
    deadline; between rounds the wait starts at ``retry_interval`` and doubles (up to 8
    times the interval), ending at the latest `LAST_TRY_S` before the deadline so the
    last try has time to get an answer. Every check is tried at least once:
    a deadline under `MIN_ATTEMPT_S` still gives that first try `MIN_ATTEMPT_S`.
    """
    clock = clock or Clock()
    results: dict[int, CheckResult] = {}
    pending = list(range(len(checks)))
    wait = retry_interval
    while pending:
        left = deadline - (clock.now() - clock.started)
        results.update(_attempt_all(base_url, checks, pending, results, max(left, 0.0) if results else max(left, MIN_ATTEMPT_S)))
        pending = [i for i in pending if not results[i].passed]
        left = deadline - (clock.now() - clock.started)
        if not pending or left <= LAST_TRY_S:
            break
        clock.sleep(min(wait, left - LAST_TRY_S))
        wait = min(wait * 2, retry_interval * MAX_BACKOFF_FACTOR)
    return SmokeReport(base_url, [results[i] for i in range(len(checks))], clock.now() - clock.started)


def run_everywhere(
    targets: Sequence[tuple[str, str]],
    checks: Sequence[SmokeCheck],
    *,
    deadline: float,
    retry_interval: float,
) -> list[SmokeReport]:
    """`run_checks` against each ``(where, base_url)`` side by side, so one deadline bounds them all; reports in order."""
    from concurrent.futures import ThreadPoolExecutor

    def one(target: tuple[str, str]) -> SmokeReport:
        where, base_url = target
        return replace(run_checks(base_url, checks, deadline=deadline, retry_interval=retry_interval), where=where)

    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        return list(pool.map(one, targets))


def write_junit(reports: SmokeReport | Sequence[SmokeReport], path: Path) -> None:
    """Write the reports as JUnit XML: a suite per base URL, one test case per check, a failure per failed one."""
    from junitparser import Failure, JUnitXml, TestCase, TestSuite

    xml = JUnitXml()
    for report in [reports] if isinstance(reports, SmokeReport) else reports:
        suite = TestSuite(f"smoke {report.where}".strip())
        for r in report.results:
            case = TestCase(r.name, classname=f"smoke.{r.method}", time=(r.latency_ms or 0) / 1000)
            if not r.passed:
                case.result = [Failure(f"expected {r.expected}, got {r.got}")]
            suite.add_testcase(case)
        suite.update_statistics()  # type: ignore[no-untyped-call]  # junitparser leaves it unannotated
        xml.add_testsuite(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    xml.write(str(path), pretty=True)
