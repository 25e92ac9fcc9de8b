"""Run a repository's workflows on this machine with act: offline, without Docker.

The API other code (the `shipline act` command, the test suite's act harness) uses::

    from shipline import localrun

    plan = localrun.prepare(repo_root)                # read workflows, map actions
    plan.unsupported                                  # services:/container: problems
    result = localrun.run(plan, event="push", job="build")
    result.ok, result.returncode                      # every job succeeded?
    for job in result.jobs:                           # jsonlog.Job: id, name, result, seconds
        for step in job.steps: ...                    # jsonlog.Step: name, stage, result, output tail
    result.not_run                                    # jobs act never started (a need failed)
    result.store                                      # the stand-ins' artifacts, caches, SARIF

Lower level: `command.ActOptions` + `command.command()` give act's argv;
`jsonlog.parse()` reads ``act --json`` output; `event.write_event()` writes the
push / pull_request / workflow_dispatch payload for ``act -e``.
"""

from shipline.localrun.runner import Plan, Result, prepare, run

__all__ = ["Plan", "Result", "prepare", "run"]
