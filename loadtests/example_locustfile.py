"""An example locustfile for `shipline loadtest -f loadtests/example_locustfile.py`.

A shop's browsing journey: list products often, open one, sometimes add it to the
cart. Request names group URLs with ids into one row of the report (and one
per-endpoint SLO in the manifest: an endpoint's ``name`` matches the request name).
Statuses other than the expected ones are marked as failures, so they count against
the error-rate SLO.
"""

import random

from locust import FastHttpUser, between, task


class Shopper(FastHttpUser):
    """Browses the catalogue with a short think time between requests."""

    wait_time = between(0.1, 0.5)

    @task(5)
    def list_products(self) -> None:
        self.client.get("/products", name="products")

    @task(3)
    def show_product(self) -> None:
        self.client.get(f"/products/{random.randint(1, 100)}", name="product")

    @task(1)
    def add_to_cart(self) -> None:
        with self.client.post("/cart", json={"product": random.randint(1, 100)}, name="cart", catch_response=True) as response:
            if response.status_code not in (200, 201):
                response.failure(f"status {response.status_code}, expected 200 or 201")
