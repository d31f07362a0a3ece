"""Prometheus metrics of one gateway process, in its own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.intake_total = Counter(
            "fakturaport_intake_total",
            "Invoices posted, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.intake_seconds = Histogram(
            "fakturaport_intake_seconds",
            "Time to accept or reject an invoice",
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.invoices = Gauge(
            "fakturaport_invoices",
            "Invoices by status (all tenants)",
            ["status"],
            registry=self.registry,
        )

    def intake(self, outcome: str, seconds: float) -> None:
        self.intake_total.labels(outcome).inc()
        self.intake_seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
