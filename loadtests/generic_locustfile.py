"""The generic locustfile `shipline loadtest` uses when a repository has none.

It requests the manifest's ``load_test.endpoints`` (see the docstring of
`shipline.loadtest.generic_locustfile`, where the code lives so that it ships with
the package). With shipline installed it also runs under plain locust:

    SHIPLINE_LOADTEST_ENDPOINTS=endpoints.json locust -f loadtests/generic_locustfile.py
"""

from shipline.loadtest.generic_locustfile import ManifestEndpointsUser

__all__ = ["ManifestEndpointsUser"]
