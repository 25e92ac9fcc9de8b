"""Deploys: blue-green and canary releases with metric analysis and automatic rollback.

`Engine` (engine.py) runs a deploy or a rollback for one environment; strategies,
routers and metric providers each sit behind one small Protocol with one registry.
"""
