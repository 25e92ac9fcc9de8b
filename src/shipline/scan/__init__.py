"""The security scan: semgrep and bandit, one SARIF file, a gate on new findings only.

`targets.choose()` picks the files (the same way for a whole tree and for the files
a change touched), `engine.scan()` runs the scanners (`tools.SCANNERS`) on them,
merges their findings (`merge`), fingerprints them (`fingerprint`), and compares them
with a baseline (`baseline`, `gitdiff`) and the team's suppressions
(`suppressions`); `gate.decide()` says whether the gate passes and `sarif.build()`
writes the result for code scanning.
"""
