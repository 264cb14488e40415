"""Prometheus metrics: API latency, event-store heads, relay lag, subscriber positions, Kafka consumer lag."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    api.add_middleware(_Timed, latency=latency)

    @api.get("/metrics", tags=["operations"], include_in_schema=False)
    def metrics() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class _Timed:
    """Times each request by its route template (plain ASGI: Starlette's function middlewares cost a
    millisecond of CPU a request on a small machine)."""

    def __init__(self, app: ASGIApp, latency: Histogram) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")  # the router puts its route in the scope
            self.latency.labels(scope["method"], path, str(status)).observe(time.perf_counter() - started)
