"""Prometheus metrics: one registry per app, HTTP request counters and latency, and gauges other layers add.

Other layers register gauges read at scrape time, e.g. the job sender's queue depth:

    app.state.metrics.add_gauge("pilotkit_jobs_queued", "jobs waiting to be sent", lambda: count_queued())
    app.state.metrics.add_gauge("pilotkit_jobs", "jobs by state", jobs_by_state, labelnames=("state",))

A gauge whose callback fails is left out of that scrape (and logged), so /metrics keeps answering.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("pilotkit_backend.metrics")

GaugeValue = float | Mapping[tuple[str, ...], float]
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _CallbackGauge(Collector):
    def __init__(
        self, name: str, documentation: str, read: Callable[[], GaugeValue], labelnames: Sequence[str]
    ) -> None:
        self.name, self.documentation, self.read, self.labelnames = name, documentation, read, list(labelnames)

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames or None)

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return [self._family()]

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            value = self.read()
        except Exception as exc:  # a failing source must not break the whole scrape
            log.warning("gauge %s not collected (%s)", self.name, type(exc).__name__)
            return []
        family = self._family()
        if isinstance(value, Mapping):
            for labels, number in value.items():
                family.add_metric(list(labels), float(number))
        else:
            family.add_metric([], float(value))
        return [family]


class Metrics:
    """The app's registry (separate per app, so several apps in one process never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "pilotkit_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pilotkit_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "pilotkit_http_requests_in_flight", "HTTP requests being handled", registry=self.registry
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def add_gauge(
        self, name: str, documentation: str, read: Callable[[], GaugeValue], labelnames: Sequence[str] = ()
    ) -> None:
        """Expose `read()` as a gauge at every scrape: a number, or {label values tuple: number}."""
        self.registry.register(_CallbackGauge(name, documentation, read, labelnames))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
