"""`shipline scan`: semgrep and bandit, one SARIF file, a gate on new findings only.

Settings come from the manifest's ``security`` section when there is a manifest;
without one, the scan runs with the defaults; which scanners run by default is the
language plugin's say. A scan of the whole repository (PATH is its root, no
``--service``) reads the manifest at the root even when run from elsewhere: each
service's semgrep rules, excludes and suppressions apply to its own folder, the
top-level ones everywhere else. A finding is new unless it is in the
committed baseline (``--update-baseline`` writes it) or, with ``--baseline-ref``, was
already there at the merge base. Only new findings at or above ``--fail-on`` fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from shipline.scan.model import FAIL_ON, SEVERITIES

if TYPE_CHECKING:
    from shipline.manifest import Security
    from shipline.scan.engine import Scan
    from shipline.scan.gate import Verdict
    from shipline.scan.model import Finding
    from shipline.scan.suppressions import Suppressions

HELP = "security scan: semgrep and bandit, one SARIF file, a gate on new findings only"

_ANNOTATION = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}
MAX_SHOWN = 50  # new findings annotated and listed; every one is in the SARIF file
CATEGORY = "shipline-scan"  # code scanning's category for a full scan's SARIF


def _fail_on(value: str) -> str | None:
    if value == "":
        return None  # the action's default: take the manifest's
    if value not in FAIL_ON:
        raise argparse.ArgumentTypeError(f'unknown severity "{value}"; expected one of: {", ".join(FAIL_ON)}')
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH, --fail-on, --sarif, --baseline-ref, --update-baseline."""
    parser.add_argument("path", nargs="?", default=None, metavar="PATH", help="file or directory to scan (default: the manifest's security.paths, else .)")
    parser.add_argument("--fail-on", type=_fail_on, default=None, metavar="SEVERITY", help="fail on a new finding at or above: critical, high, medium, low or none (default: security.fail_on, high)")
    parser.add_argument("--sarif", default="shipline.sarif", metavar="FILE", help="where to write the SARIF log (default: shipline.sarif)")
    parser.add_argument("--baseline-ref", default=None, metavar="REF", help="scan only what changed since the merge base with REF; findings there are old")
    parser.add_argument("--update-baseline", action="store_true", help="accept every current finding: write the baseline file and pass")


@dataclass(frozen=True)
class _Scope:
    """The security settings that hold for one folder of the repository ("" is everything else)."""

    folder: str
    security: Security


@dataclass(frozen=True)
class _Setup:
    """What the manifest says about this scan: settings, folders, language and per-folder scopes."""

    security: Security
    base_dir: Path  # the scanned service's folder: security.paths are relative to it
    here: Path  # the manifest's folder: baseline, suppressions and rules are relative to it
    language: str | None
    scopes: tuple[_Scope, ...] = ()  # longest folder first; empty: one scope for everything


def _repository_manifest(args: argparse.Namespace, ctx: Context, root: Path) -> Path | None:
    """The manifest of a whole-repository scan (PATH is the repository root, no --service), if any.

    Such a scan runs from a folder without a manifest (so that no service is chosen);
    the repository's own manifest at its root still says what is suppressed where.
    """
    if args.service or not args.path or ctx.path(args.path).resolve() != root.resolve():
        return None
    return next((c for c in (ctx.path(args.manifest), root / args.manifest) if c.is_file()), None)


def _setup(args: argparse.Namespace, ctx: Context, root: Path) -> _Setup:
    """The service's (or the repository's) security settings; defaults without a manifest."""
    from shipline import manifest as schema

    whole = _repository_manifest(args, ctx, root)
    if whole is not None:
        loaded = schema.load(whole, ctx.display(whole))
        top = whole.parent.resolve()
        scopes = [_Scope(Path(s.path).as_posix().strip("/"), s.security) for s in loaded.resolved_services() if Path(s.path).as_posix() not in (".", "")]
        scopes.sort(key=lambda s: -len(s.folder))
        # the whole tree holds every language of the repository: both scanners, unless security.bandit says
        return _Setup(loaded.security, top, top, None, tuple(scopes))
    path = ctx.path(args.manifest)
    if not path.exists():
        if args.manifest != "shipline.yml":
            raise InputError(f"{args.manifest}: no such file")
        return _Setup(schema.Security(), ctx.cwd, ctx.cwd, None)
    service = ctx.load_manifest(args.manifest).service(args.service)
    return _Setup(service.security, ctx.path(service.path), ctx.cwd, service.project.language)


def _rules(security: Security, here: Path) -> tuple[str, ...]:
    """``security.rules`` as semgrep takes them: files relative to ``here`` made absolute, registry names as they are."""
    from shipline import validation

    def config(rule: str) -> str:
        local = here / rule
        return str(local) if local.exists() or rule.endswith((".yml", ".yaml")) or rule.startswith(".") else rule

    rules = tuple(config(r) for r in security.rules)
    for i, (rule, resolved) in enumerate(zip(security.rules, rules)):
        if Path(resolved).is_absolute() and not Path(resolved).exists():
            # checked here, where the manifest's positions are at hand, so the error is located
            raise validation.error_at(security, ("rules", i), f'semgrep: no such rules file or directory "{rule}" (security.rules)')
    return rules


def _settings(security: Security, language: str | None, here: Path, scopes: tuple[_Scope, ...] = ()) -> Any:
    """The scan's settings; in each scope's folder, its own rules and exclude."""
    from shipline.languages import LANGUAGES
    from shipline.scan.tool import Settings

    # without a manifest both scanners run; with one, the language's plugin says whether bandit does
    default_bandit = LANGUAGES[language].bandit if language in LANGUAGES else language is None
    bandit = security.bandit if security.bandit is not None else default_bandit
    settings = Settings(semgrep=security.semgrep, bandit=bandit, rules=_rules(security, here), exclude=tuple(security.exclude))
    folders = tuple((s.folder, replace(settings, rules=_rules(s.security, here), exclude=tuple(s.security.exclude))) for s in scopes)
    return replace(settings, folders=folders)


def _suppressions(setup: _Setup, findings: tuple[Finding, ...] | list[Finding], root: Path, today: dt.date) -> Suppressions:
    """The suppressions in force: per finding, those of the folder's service, else the top-level ones."""
    from shipline.scan import suppressions
    from shipline.scan.tool import inside

    loaded: dict[Path, Suppressions] = {}

    def of(security: Security) -> Suppressions:
        path = setup.here / security.suppressions
        real, top = path.resolve(), root.resolve()
        if real not in loaded:
            # named from the repository root, like the findings, so that annotations land on it
            shown = real.relative_to(top).as_posix() if real.is_relative_to(top) else str(path)
            loaded[real] = suppressions.load(path, shown, today)
        return loaded[real]

    everywhere = of(setup.security)
    if not setup.scopes:
        return everywhere
    active: dict[str, str] = {}
    for f in findings:
        scope = next((s.security for s in setup.scopes if inside(f.path, s.folder)), setup.security)
        reason = of(scope).active.get(f.fingerprint)
        if reason is not None:
            active[f.fingerprint] = reason
    expired = {str(p): p for s in loaded.values() for p in s.expired}
    return suppressions.Suppressions(active, tuple(expired.values()))


def _targets(paths: list[Path], root: Path, ctx: Context) -> list[str]:
    targets = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{ctx.display(path)}: no such file or directory to scan")
        try:
            targets.append(path.resolve().relative_to(root.resolve()).as_posix() or ".")
        except ValueError:
            raise InputError(f"{ctx.display(path)}: outside the repository being scanned ({root})") from None
    return targets


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Scan, write the SARIF log, report new findings, and apply the gate."""
    from shipline.scan import baseline, engine, gate, gitdiff, sarif

    root = gitdiff.toplevel(ctx.cwd) or ctx.cwd
    setup = _setup(args, ctx, root)
    security = setup.security
    fail_on = args.fail_on or security.fail_on
    baseline_ref = args.baseline_ref or None
    if baseline_ref and set(baseline_ref) == {"0"}:
        # github.event.before on the first push of a branch: there is no base to compare with
        ctx.reporter.info(f"--baseline-ref {baseline_ref[:12]}... names no commit (a new branch): scanning the whole tree")
        baseline_ref = None
    if args.update_baseline and baseline_ref:
        raise InputError("--update-baseline records the whole tree; it cannot be combined with --baseline-ref")
    if not security.enabled:
        ctx.reporter.info("security scan: disabled in the manifest (security.enabled: false)")
        _outputs(ctx, {s: 0 for s in SEVERITIES}, 0)
        return EXIT_OK
    paths = [ctx.path(args.path)] if args.path else [setup.base_dir / p for p in security.paths]
    targets = _targets(paths, root, ctx)
    settings = _settings(security, setup.language, setup.here, setup.scopes)
    baseline_path = setup.here / security.baseline

    if baseline_ref:
        diff = engine.scan_change(root, targets, settings, baseline_ref)
        result, old = diff.head, diff.base_fingerprints
        ctx.reporter.info(f"diff-aware scan: {len(diff.changed)} changed file(s) since {diff.merge_base[:12]} (merge base with {baseline_ref})")
    else:
        # Lines added since the committed baseline was written are fingerprinted after
        # the lines that were there, so a copied line is the new one. A baseline being
        # rewritten takes the plain order, the one it will be read back with.
        since = None if args.update_baseline else lambda files: baseline.history(root, baseline_path, files)
        result, old = engine.scan_tree(root, targets, settings, since), set()
    for note in result.notes:
        ctx.reporter.warning(note.message, file=note.path, title="file not fully scanned")

    if args.update_baseline:
        baseline.write(baseline_path, result.findings)
        ctx.reporter.info(f"wrote {ctx.display(baseline_path)}: {len(result.findings)} finding(s) accepted as the baseline")
    accepted = baseline.read(baseline_path, ctx.display(baseline_path))
    if accepted:
        history = baseline.history(root, baseline_path, sorted({f.path for f in result.findings}))
        old |= baseline.accepted(result.findings, accepted, engine.reader(root, {}), history)
    today = dt.datetime.now(dt.timezone.utc).date()
    suppressed = _suppressions(setup, result.findings, root, today)
    verdict = gate.decide(result.findings, old, suppressed, fail_on)

    sarif_path = ctx.path(args.sarif)
    log = sarif.build(result.findings, {f.fingerprint for f in verdict.new}, suppressed.active, result.tools, result.notes)
    sarif_path.parent.mkdir(parents=True, exist_ok=True)
    sarif_path.write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")

    _report(ctx, verdict, result, ctx.display(sarif_path))
    ctx.reporter.output("sarif-file", str(sarif_path.resolve()))  # absolute: later steps may run elsewhere
    # A diff-aware log holds only the changed files: uploaded under the full scan's
    # category, code scanning would close every alert elsewhere as fixed.
    ctx.reporter.output("sarif-category", f"{CATEGORY}-diff" if baseline_ref else CATEGORY)
    return EXIT_OK if verdict.passed else EXIT_GATE_FAILED


def _outputs(ctx: Context, counts: dict[str, int], new: int) -> None:
    for severity in SEVERITIES:
        ctx.reporter.output(severity, counts[severity])
    ctx.reporter.output("new-findings", new)


def _status(verdict: Verdict) -> str:
    if verdict.passed:
        return f"passed: no new finding at or above {verdict.fail_on}" if verdict.fail_on != "none" else "passed (--fail-on none)"
    why = [f"{len(verdict.failing)} new finding(s) at or above {verdict.fail_on}"] if verdict.failing else []
    why += [f"{len(verdict.expired)} expired suppression(s)"] if verdict.expired else []
    return "failed: " + " and ".join(why)


def _report(ctx: Context, verdict: Verdict, result: Scan, sarif_file: str) -> None:
    """Annotations at the lines, a table, the job summary, outputs and the JSON result."""
    from shipline.report import markdown_table
    from shipline.scan.model import rank

    r = ctx.reporter
    tools, notes = result.tools, result.notes
    counts = {s: sum(1 for f in verdict.findings if f.severity == s) for s in SEVERITIES}
    new = sorted(verdict.new, key=lambda f: (-rank(f.severity), f.path, f.line))
    # A first scan without a baseline can find thousands: show the worst, the SARIF has all.
    more = f"... and {len(new) - MAX_SHOWN} more new finding(s), all in {sarif_file}" if len(new) > MAX_SHOWN else ""
    for f in new[:MAX_SHOWN]:
        r.annotate(_ANNOTATION[f.severity], f"{f.message} (fingerprint {f.fingerprint})", file=f.path, line=f.line, col=f.col, end_line=f.end_line if f.end_line > f.line else None, title=f"{f.severity}: {f.rule.id}")
    for problem in verdict.expired:
        r.error(problem.message, file=problem.file, line=problem.line or None, col=problem.col or None, title="expired suppression")

    headers = ("severity", "rule", "file:line", "message")
    rows = [(f.severity, f.rule.id, f.where, f.message.split(". ")[0]) for f in new[:MAX_SHOWN]]
    totals = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
    scanners = " and ".join(tools) or "no scanner"
    status = _status(verdict)
    r.info(f"{scanners}: {len(verdict.findings)} finding(s) ({totals}); {len(new)} new, {len(verdict.suppressed)} suppressed")
    if rows:
        r.table(headers, rows)
    if more:
        r.info(more)
    r.info(f"security scan {status}; SARIF: {sarif_file}")

    summary = f"### Security scan {'✅' if verdict.passed else '❌'}\n\n{scanners}: {len(verdict.findings)} finding(s) ({totals}); **{len(new)} new**, {len(verdict.suppressed)} suppressed. Gate {status}.\n"
    if rows:
        summary += "\n" + markdown_table(headers, [(s, f"`{rule}`", f"`{where}`", m) for s, rule, where, m in rows])
    summary += f"\n{more}\n" if more else ""
    if verdict.expired:
        summary += "\n" + "\n".join(f"- `{p}`" for p in verdict.expired) + "\n"
    if notes:
        summary += f"\n{len(notes)} file(s) not fully scanned:\n\n" + "\n".join(f"- `{n.path}`: {n.message}" for n in notes[:MAX_SHOWN]) + "\n"
    r.summary(summary)
    _outputs(ctx, counts, len(new))
    r.result(
        passed=verdict.passed,
        fail_on=verdict.fail_on,
        counts=counts,
        new=[{"severity": f.severity, "rule": f.rule.id, "path": f.path, "line": f.line, "message": f.message, "fingerprint": f.fingerprint} for f in new],
        failing=len(verdict.failing),
        suppressed=len(verdict.suppressed),
        expired_suppressions=[str(p) for p in verdict.expired],
        sarif_file=sarif_file,
        not_scanned=[{"path": n.path, "message": n.message} for n in notes],
    )
