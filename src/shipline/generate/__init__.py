"""Manifest -> GitHub Actions workflows.

`pipeline` builds a typed model (`model`) of the workflows from the manifest, `jobs`
makes each kind of job, `overrides` applies the manifest's changes by id, `writer`
turns the model into YAML, and `files` compares with and writes to the repository.
`pins` is the one list of third-party actions and their SHAs; `budget` the deploy
time arithmetic.
"""
