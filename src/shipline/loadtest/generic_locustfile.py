"""The generic locustfile: one FastHttpUser requesting the manifest's endpoints.

shipline writes ``load_test.endpoints`` to a JSON file and names it in the
``SHIPLINE_LOADTEST_ENDPOINTS`` environment variable; each endpoint becomes a task
weighted by its ``weight``. A response whose status is not one the endpoint expects
counts as a failure, whatever the status is (a 404 can be expected, a 200 can be
wrong). Without the variable the user requests ``GET /`` and expects 200.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from locust import FastHttpUser, constant

from shipline.loadtest import ENDPOINTS_ENV
from shipline.loadtest.records import EndpointRecord

DEFAULT_ENDPOINTS: list[EndpointRecord] = [{"path": "/", "method": "GET", "weight": 1, "expect_status": [200]}]


def load_endpoints() -> list[EndpointRecord]:
    """The endpoints named by ``SHIPLINE_LOADTEST_ENDPOINTS``, or ``GET /``."""
    path = os.environ.get(ENDPOINTS_ENV)
    if not path:
        return DEFAULT_ENDPOINTS
    with open(path, encoding="utf-8") as f:
        endpoints: list[EndpointRecord] = json.load(f)  # written by shipline from the validated manifest
    return endpoints


def endpoint_task(endpoint: EndpointRecord) -> Callable[[FastHttpUser], None]:
    """A locust task making ``endpoint``'s request and judging its status."""
    method = endpoint.get("method", "GET")
    path = endpoint["path"]
    name = endpoint.get("name") or path
    headers = endpoint.get("headers") or None
    body = endpoint.get("body")
    expected = frozenset(endpoint.get("expect_status") or [200])
    wanted = " or ".join(str(s) for s in sorted(expected))

    def request(user: FastHttpUser) -> None:
        with user.client.request(method, path, name=name, headers=headers, data=body, catch_response=True) as response:
            if response.status_code in expected:
                response.success()
            elif response.status_code == 0:  # no HTTP response at all: keep the connection error
                response.failure(f"no response: {response.error}")
            else:
                response.failure(f"status {response.status_code}, expected {wanted}")

    request.__name__ = f"{method} {name}"
    return request


class ManifestEndpointsUser(FastHttpUser):
    """Requests the manifest's endpoints back to back, weighted."""

    wait_time = constant(0)
    # each task listed ``weight`` times: what locust makes of a {task: weight} dict
    tasks = [task for e in load_endpoints() for task in [endpoint_task(e)] * int(e.get("weight", 1))]
