"""A PyGithub client built from typed settings: bounded in time, with human errors.

Commands read ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and ``GITHUB_API_URL`` (GitHub
Enterprise Server) and hand them in as `Settings`; the token is masked at once.

Recording on GitHub must never hold up a deploy, so every wait is bounded:
short connect and read timeouts, a small retry budget, and one cap on the total
time spent waiting (backoff, ``retry-after``, a rate limit's reset). PyGithub's own
retry sleeps until a rate limit resets (up to an hour); `BoundedRetry` asks the
client's `Waits` first and gives up with `WaitTooLong` past the cap. POSTs are
retried only when GitHub refused them for a rate limit (nothing was written): after
a 5xx the write may have happened, so `GitHub.create_once` looks for it first.
What is left becomes `InputError` (401, 403, 404: the message names the workflow
permission to add) or `ToolError`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from shipline.errors import InputError, ShiplineError, ToolError
from shipline.report import Reporter

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
MAX_WAIT_VARIABLE = "SHIPLINE_GITHUB_MAX_WAIT"
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Where and as whom to talk to GitHub, and how patiently."""

    token: str = field(repr=False)  # never in a repr, a log line or an error
    repository: str  # owner/name
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    run_url: str = ""  # the workflow run, linked from statuses, comments and issues
    retries: int = 3
    backoff: float = 1.0  # seconds, doubled on each retry
    secondary_rate_wait: float = 60.0  # GitHub asks for at least a minute
    max_wait: float = 60.0  # all waiting of one client together (backoff, retry-after, rate limits)
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    per_page: int = 100
    # PyGithub's pauses between requests (1 s between writes); off by default: shipline
    # makes a handful of calls one after the other, and rate limits are retried anyway.
    throttle: bool = False


class Clock(Protocol):
    """What the client reads the time from and sleeps with (a test's clock records instead)."""

    def now(self) -> float:
        """Seconds since the epoch."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""


class SystemClock:
    """The real time."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


CLOCK: Clock = SystemClock()  # replaced by tests that lay out rate limits an hour away


class WaitTooLong(Exception):
    """GitHub asked for a wait longer than what is left of the client's cap."""

    def __init__(self, seconds: float, why: str, cap: float):
        super().__init__(f"GitHub asks to wait {seconds:.0f} s ({why}), more than the {cap:g} s shipline waits for GitHub")
        self.seconds = seconds
        self.why = why


@dataclass
class Waits:
    """Every wait one client decided on, against its cap."""

    cap: float
    clock: Clock
    decisions: list[tuple[float, str]] = field(default_factory=list)  # (seconds, why), waited
    refused: list[tuple[float, str]] = field(default_factory=list)  # (seconds, why), given up on

    @property
    def spent(self) -> float:
        return sum(seconds for seconds, _ in self.decisions)

    def wait(self, seconds: float, why: str) -> None:
        """Sleep ``seconds``, or raise `WaitTooLong` when that would pass the cap."""
        if seconds <= 0:
            return
        if self.spent + seconds > self.cap:
            self.refused.append((seconds, why))
            raise WaitTooLong(seconds, why, self.cap)
        self.decisions.append((seconds, why))
        self.clock.sleep(seconds)


def _retry_class() -> type:
    from github.GithubRetry import GithubRetry

    class BoundedRetry(GithubRetry):
        """PyGithub's retry, whose every sleep goes through the client's `Waits`."""

        def __init__(self, waits: Waits, **kwargs: Any):
            self.waits = waits
            super().__init__(**kwargs)

        def new(self, **kw: Any) -> Any:
            kw["waits"] = self.waits
            return super().new(**kw)

        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            # a POST that failed with 5xx may have been written: the caller looks before trying again
            if method == "POST" and status_code not in (403, 429):
                return False
            return bool(super().is_retry(method, status_code, has_retry_after))

        def sleep(self, response: Any = None) -> None:
            seconds, why = self.get_backoff_time(), "backoff before retrying"
            headers = getattr(response, "headers", None) or {}
            if headers.get("retry-after"):
                seconds, why = float(headers["retry-after"]), f"retry-after {headers['retry-after']} s on {response.status}"
            elif headers.get("x-ratelimit-remaining") == "0" and str(headers.get("x-ratelimit-reset", "")).isdigit():
                seconds = max(int(headers["x-ratelimit-reset"]) - self.waits.clock.now(), 0) + 1
                why = f"rate limit spent until its reset at {time.strftime('%H:%M:%S UTC', time.gmtime(int(headers['x-ratelimit-reset'])))}"
            self.waits.wait(seconds, why)

    return BoundedRetry


def settings_from_environ(environ: Mapping[str, str], repository: str | None = None) -> Settings | None:
    """Settings from a workflow's variables, or None when the token or repository is missing.

    Called by commands only, with ``ctx.environ``: this is the entry point's reading
    of the environment, turned into a typed value.
    """
    token = environ.get("GITHUB_TOKEN", "").strip()
    repository = repository or environ.get("GITHUB_REPOSITORY", "").strip()
    if not token or not repository:
        return None
    server = environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL
    run_id = environ.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if run_id else ""
    return Settings(
        token=token,
        repository=repository,
        api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
        server_url=server,
        run_url=run_url,
        max_wait=max_wait(environ),
    )


def max_wait(environ: Mapping[str, str]) -> float:
    """The cap on waiting for GitHub from ``$SHIPLINE_GITHUB_MAX_WAIT`` (seconds, default 60)."""
    text = environ.get(MAX_WAIT_VARIABLE, "").strip()
    if not text:
        return Settings.max_wait
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise InputError(f'{MAX_WAIT_VARIABLE}="{text}" is not a number of seconds from 0 to 3600 (the longest shipline waits for GitHub)')
    return value


def check_repository(name: str) -> str:
    """``owner/name`` or an `InputError` quoting the bad value."""
    owner, _, repo = name.partition("/")
    if not owner or not repo or "/" in repo:
        raise InputError(f'repository "{name}" is not OWNER/NAME (for example acme/shop)')
    return name


class GitHub:
    """One repository on one GitHub, and the one place API errors become shipline errors."""

    def __init__(self, settings: Settings, reporter: Reporter, clock: Clock | None = None):
        import github

        reporter.mask(settings.token)
        self.settings = settings
        check_repository(settings.repository)
        self.waits = Waits(settings.max_wait, clock or CLOCK)
        retry = _retry_class()(
            self.waits,
            total=settings.retries,
            connect=1,  # a refused connection once more, then give up
            read=False,  # no answer within the read timeout: not again (it could cost as long)
            backoff_factor=settings.backoff,
            secondary_rate_wait=settings.secondary_rate_wait,
            status_forcelist=[*range(500, 600), 429],
            allowed_methods=["GET", "HEAD", "PATCH", "POST"],  # POST: only for rate limits, see is_retry
            raise_on_status=False,  # give PyGithub the last answer, so the error names its status
        )
        # PyGithub's own pauses between requests and between writes, or none
        between_requests = github.Consts.DEFAULT_SECONDS_BETWEEN_REQUESTS if settings.throttle else None
        between_writes = github.Consts.DEFAULT_SECONDS_BETWEEN_WRITES if settings.throttle else None
        self.api = github.Github(
            base_url=settings.api_url.rstrip("/"),
            auth=github.Auth.Token(settings.token),
            retry=retry,
            per_page=settings.per_page,
            timeout=max(int(settings.read_timeout), 1),
            lazy=True,  # no request until one is needed: errors then name the call that failed
            seconds_between_requests=between_requests,
            seconds_between_writes=between_writes,
        )
        # PyGithub takes one whole-second timeout; requests takes (connect, read), which
        # tells "cannot connect" from "no answer" quickly. The connection is made lazily.
        requester = self.api.requester
        if hasattr(requester, "_Requester__timeout"):
            requester._Requester__timeout = (settings.connect_timeout, settings.read_timeout)
        self.repo = self.api.get_repo(settings.repository)

    @contextlib.contextmanager
    def errors(self, doing: str, permission: str) -> Iterator[None]:
        """Turn what GitHub answers while ``doing`` into an error naming ``permission``.

        ``permission`` is the workflow's ``permissions:`` entry the call needs, such
        as ``deployments: write``. Iterate paginated lists inside this block: pages
        are fetched lazily.
        """
        from github.GithubException import GithubException
        from requests import ConnectionError, ConnectTimeout, ReadTimeout, RequestException

        s = self.settings
        try:
            yield
        except GithubException as err:
            raise _translate(err.status, _message(err.data), doing, permission, s.repository, s.retries) from None
        except WaitTooLong as err:
            raise ToolError("github", f"rate limited while {doing}: {err} (set {MAX_WAIT_VARIABLE} to wait longer)") from None
        except ConnectTimeout:
            raise ToolError("github", f"cannot connect to {s.api_url} within {s.connect_timeout:g} s while {doing}") from None
        except ReadTimeout:
            raise NoAnswer("github", f"no answer from {s.api_url} within {s.read_timeout:g} s while {doing} (connected, but GitHub did not reply)") from None
        except ConnectionError as err:
            raise ToolError("github", f"cannot connect to {s.api_url} while {doing}: {_reason(err)}") from None
        except RequestException as err:
            raise ToolError("github", f"cannot reach {s.api_url} while {doing}: {type(err).__name__}") from None

    def create_once(self, doing: str, permission: str, create: Callable[[], T], find: Callable[[], T | None]) -> T:
        """``create()``, without a duplicate when a failed attempt may have written.

        After a 5xx, or no answer, GitHub may have done the write: ``find()`` looks
        for what it made; only when there is nothing is ``create()`` tried once more.
        """
        try:
            with self.errors(doing, permission):
                return create()
        except MaybeWritten as first:
            with self.errors(f"looking for what {doing} made", permission):
                found = find()
            if found is not None:
                return found
            if isinstance(first, NoAnswer):
                raise  # another attempt could hang as long: give up
        with self.errors(doing, permission):
            return create()

    def identity(self) -> str:
        """The login the token writes as: ``GET /user``, else the Actions bot (a GITHUB_TOKEN may not read /user)."""
        try:
            with self.errors("reading who the token is", "none"):
                return str(self.api.get_user().login)
        except ShiplineError:
            return ACTIONS_BOT


ACTIONS_BOT = "github-actions[bot]"


class MaybeWritten(ToolError):
    """A write's outcome is unknown: GitHub failed (5xx) or did not answer after receiving it."""


class NoAnswer(MaybeWritten):
    """Connected, but no answer within the read timeout."""


def _reason(err: Exception) -> str:
    text = str(err)
    for known in ("Connection refused", "Name or service not known", "No route to host", "Connection reset"):
        if known in text:
            return known.lower()
    return type(err).__name__


def _message(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return str(data or "")


def _translate(status: int, message: str, doing: str, permission: str, repo: str, retries: int) -> Exception:
    said = f"{status} {message}".strip()
    if status == 401:
        return InputError(f"GitHub rejected the token while {doing} ({said}): pass a valid token in GITHUB_TOKEN (the action's github-token input)")
    if status in (403, 429) and "rate limit" in message.lower():
        return ToolError("github", f"rate limited while {doing} ({said}), still after {retries} retries; run again later")
    if status == 403:
        return InputError(f"GitHub refused {doing} in {repo} ({said}): the workflow needs `permissions: {permission}` for its token")
    if status == 404:
        return InputError(
            f"GitHub found nothing while {doing} in {repo} ({said}): check that the repository exists and that the token may see it; "
            f"a workflow token needs `permissions: {permission}`"
        )
    if status >= 500:
        return MaybeWritten("github", f"GitHub failed while {doing} ({said}); see https://www.githubstatus.com")
    return ToolError("github", f"GitHub refused {doing} in {repo} ({said})")


def connect(environ: Mapping[str, str], reporter: Reporter, repository: str | None = None) -> GitHub | None:
    """A client from the workflow's variables, or None when there is no token or repository."""
    settings = settings_from_environ(environ, repository)
    return GitHub(settings, reporter) if settings is not None else None


def require(environ: Mapping[str, str], reporter: Reporter, what: str, repository: str | None = None) -> GitHub:
    """Like `connect`, but ``what`` cannot go on without GitHub: an `InputError` saying what to set."""
    gh = connect(environ, reporter, repository)
    if gh is None:
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not environ.get(name, "").strip()]
        if repository and "GITHUB_REPOSITORY" in missing:
            missing.remove("GITHUB_REPOSITORY")
        raise InputError(f"{what} needs GitHub: set {' and '.join(missing)} (in a workflow: env: GITHUB_TOKEN: ${{{{ github.token }}}})")
    return gh
