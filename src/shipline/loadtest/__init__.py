"""Load tests: locust run headless, read back, and gated on SLOs and a baseline.

- `plan`: flags and the manifest's ``load_test`` section resolved into one `Plan`.
- `safety`: which hosts may be loaded, and a quick pre-flight connection.
- `runner`: locust in a subprocess, bounded in time, stopped cleanly on Ctrl-C.
- `results`: locust's JSON and CSV files read into `RunStats`.
- `gates`: SLO checks overall and per endpoint; `baseline`: the regression check.
- `summary`: the JSON summary and the job summary (tables and mermaid charts).
- `probe`: loaded into locust beside the locustfile; `tally`: its exact counts.
- `generic_locustfile`: the locustfile used when a repository has none.
"""

# Names the JSON file of endpoints the generic locustfile reads (set for locust by the runner).
ENDPOINTS_ENV = "SHIPLINE_LOADTEST_ENDPOINTS"
# Names the JSON configuration of the probe locust loads beside the locustfile.
PROBE_CONFIG_ENV = "SHIPLINE_LOADTEST_PROBE"
