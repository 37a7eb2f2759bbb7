"""Prometheus metrics: requests by route template and status, pool usage, webhook backlog.

Each app gets its own registry (tests build many apps in one process). Labels use
the route *template* (`/api/v1/contacts/{contact_id}`), never the raw path, so a
scraper cannot be flooded with one series per id; unmatched paths share one label.
"""

import time
from collections.abc import Awaitable, Callable, Iterable

from fastapi.routing import APIRoute
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED_ROUTE = "<unmatched>"
# Seconds; API reads sit in the tens of milliseconds, reports and trees above.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The registry of one app and the instruments the middleware feeds."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # This process's CPU time, memory, open files and start time (`process_*`, from
        # /proc on Linux) and the Python version (`python_info`): what tells one API
        # process from another when each is its own scrape target.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.route_templates: dict[int, str] = {}
        self.requests = Counter(
            "coach_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "coach_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

    def name_routes(self, routes: Iterable[BaseRoute], prefix: str = "") -> None:
        """Remember the full template of routes included under `prefix`.

        The matched route in the ASGI scope carries its path relative to its router.
        """
        for route in routes:
            if isinstance(route, Route | APIRoute):
                self.route_templates[id(route)] = prefix + route.path

    def template_of(self, route: object) -> str:
        if route is None:
            return UNMATCHED_ROUTE
        template = self.route_templates.get(id(route)) or getattr(route, "path", None)
        return template if isinstance(template, str) else UNMATCHED_ROUTE

    def watch_pool(self, engine: AsyncEngine) -> None:
        self.registry.register(_PoolCollector(engine))

    def watch_webhooks(
        self, read: Callable[[], Awaitable[dict[str, float] | None]]
    ) -> "WebhookGauges":
        gauges = WebhookGauges(read)
        self.registry.register(gauges)
        return gauges


class _PoolCollector(Collector):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        pool = self.engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return  # SQLite's pool has no size to report
        yield GaugeMetricFamily(
            "coach_db_pool_size", "Connections the pool keeps.", value=pool.size()
        )
        yield GaugeMetricFamily(
            "coach_db_pool_checked_out",
            "Connections currently lent to requests.",
            value=pool.checkedout(),
        )
        yield GaugeMetricFamily(
            "coach_db_pool_overflow",
            "Connections open beyond the pool size (negative: unused capacity).",
            value=pool.overflow(),
        )


class WebhookGauges(Collector):
    """The webhook backlog the worker last measured, read just before each scrape.

    `collect()` is synchronous, so the scrape handler awaits `refresh()` first. Before
    any worker has measured, nothing is reported (rather than a misleading zero).
    """

    def __init__(self, read: Callable[[], Awaitable[dict[str, float] | None]]) -> None:
        self.read = read
        self.values: dict[str, float] | None = None

    async def refresh(self) -> None:
        self.values = await self.read()

    def collect(self) -> Iterable[Metric]:
        if self.values is None:
            return
        deliveries = GaugeMetricFamily(
            "coach_webhook_deliveries",
            "Webhook deliveries by state: pending (waiting, incl. retries), due (pending and "
            "past their time), failed (gave up after every retry).",
            labels=["state"],
        )
        for state in ("pending", "due", "failed"):
            deliveries.add_metric([state], self.values[state])
        yield deliveries
        yield GaugeMetricFamily(
            "coach_webhook_oldest_due_seconds",
            "How long the oldest due delivery has waited (0 when none is due).",
            value=self.values["oldest_due_seconds"],
        )
        yield GaugeMetricFamily(
            "coach_webhook_backlog_measured_seconds_ago",
            "Age of the worker's last measurement: a large value means no worker runs.",
            value=self.values["measured_seconds_ago"],
        )


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            template = self.metrics.template_of(scope.get("route"))
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
