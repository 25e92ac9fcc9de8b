"""A PyGithub client built from typed settings, with retries and human errors.

Commands read ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and ``GITHUB_API_URL`` (GitHub
Enterprise Server) and hand them in as `Settings`; the token is masked at once.
Transient failures (5xx, 429, secondary rate limits) are retried with backoff by
PyGithub's `GithubRetry`; what is left is turned into `InputError` (401, 403, 404:
the message names the workflow permission to add) or `ToolError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shipline.errors import InputError, ToolError
from shipline.report import Reporter

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"


@dataclass(frozen=True)
class Settings:
    """Where and as whom to talk to GitHub, and how patiently."""

    token: str
    repository: str  # owner/name
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    run_url: str = ""  # the workflow run, linked from statuses, comments and issues
    retries: int = 5
    backoff: float = 1.0  # seconds, doubled on each retry
    secondary_rate_wait: float = 60.0  # GitHub asks for at least a minute
    per_page: int = 100
    # PyGithub's pauses between requests (1 s between writes); off by default: shipline
    # makes a handful of calls one after the other, and rate limits are retried anyway.
    throttle: bool = False


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
    return Settings(token=token, repository=repository, api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL, server_url=server, run_url=run_url)


def check_repository(name: str) -> str:
    """``owner/name`` or an `InputError` quoting the bad value."""
    owner, _, repo = name.partition("/")
    if not owner or not repo or "/" in repo:
        raise InputError(f'repository "{name}" is not OWNER/NAME (for example acme/shop)')
    return name


class GitHub:
    """One repository on one GitHub, and the one place API errors become shipline errors."""

    def __init__(self, settings: Settings, reporter: Reporter):
        import github
        from github.GithubRetry import GithubRetry

        reporter.mask(settings.token)
        self.settings = settings
        check_repository(settings.repository)
        retry = GithubRetry(
            total=settings.retries,
            backoff_factor=settings.backoff,
            secondary_rate_wait=settings.secondary_rate_wait,
            status_forcelist=[*range(500, 600), 429],
            raise_on_status=False,  # give PyGithub the last answer, so the error names its status
        )
        pause = {} if settings.throttle else {"seconds_between_requests": None, "seconds_between_writes": None}
        self.api = github.Github(
            base_url=settings.api_url.rstrip("/"),
            auth=github.Auth.Token(settings.token),
            retry=retry,
            per_page=settings.per_page,
            timeout=30,
            lazy=True,  # no request until one is needed: errors then name the call that failed
            **pause,
        )
        self.repo = self.api.get_repo(settings.repository)

    @contextlib.contextmanager
    def errors(self, doing: str, permission: str) -> Iterator[None]:
        """Turn what GitHub answers while ``doing`` into an error naming ``permission``.

        ``permission`` is the workflow's ``permissions:`` entry the call needs, such
        as ``deployments: write``. Iterate paginated lists inside this block: pages
        are fetched lazily.
        """
        from github.GithubException import GithubException
        from requests import RequestException

        repo = self.settings.repository
        try:
            yield
        except GithubException as err:
            raise _translate(err.status, _message(err.data), doing, permission, repo, self.settings.retries) from None
        except RequestException as err:
            raise ToolError("github", f"cannot reach {self.settings.api_url} while {doing}: {type(err).__name__}") from None


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
        return ToolError("github", f"GitHub failed while {doing} ({said}), still after {retries} retries; see https://www.githubstatus.com")
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
