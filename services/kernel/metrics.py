"""Prometheus metrics: API latency, event-store heads, relay lag, subscriber positions, Kafka consumer lag."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

Sample = tuple[dict[str, str], float]
log = logging.getLogger(__name__)


class GaugeCollector(Collector):
    """Gauges computed when scraped, from functions that read the stores (never from cached state)."""

    def __init__(self, gauges: dict[str, tuple[str, Callable[[], list[Sample]]]]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (documentation, read) in self.gauges.items():
            try:
                samples = read()
            except Exception as error:  # one unreachable source must not fail the whole scrape
                log.warning("metric %s unavailable: %s", name, error)
                continue
            labels = sorted(samples[0][0]) if samples else []
            family = GaugeMetricFamily(name, documentation, labels=labels)
            for values, value in samples:
                family.add_metric([values[label] for label in labels], value)
            yield family


def install(api: FastAPI, gauges: dict[str, tuple[str, Callable[[], list[Sample]]]]) -> None:
    registry = CollectorRegistry()
    latency = Histogram(
        "angeli_api_request_seconds", "API request latency", ["method", "route", "status"], registry=registry,
    )
    registry.register(GaugeCollector(gauges))

    @api.middleware("http")
    async def timed(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        latency.labels(request.method, path, str(response.status_code)).observe(time.perf_counter() - started)
        return response

    @api.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
