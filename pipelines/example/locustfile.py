"""Load for the example service: mostly the greeting, some health checks."""

from locust import FastHttpUser, between, task


class Visitor(FastHttpUser):
    wait_time = between(0.01, 0.05)

    @task(9)
    def greeting(self) -> None:
        self.client.get("/")

    @task(1)
    def health(self) -> None:
        self.client.get("/healthz")
