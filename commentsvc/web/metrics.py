"""Prometheus metrics: request counts and latency here; queues and shared counters on scrape.

Requests are counted in plain dicts (`HttpCounters`): one dict update and one
bisect per request, where prometheus_client's counter and histogram take a
lock each. The counts reach the registry only when /metrics is scraped, as
the metric families `commentsvc_http_requests_total` and
`commentsvc_http_request_duration_seconds`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MAX_REQUEST_SERIES = 10_000  # past this, new (method, route, status) series count as method OTHER

RequestKey = tuple[str, str, int]  # method, route, status


class HttpCounters:
    """Request counts by (method, route, status) and a latency histogram per route.

    A histogram is a list: one count per bucket of `LATENCY_BUCKETS_S`, one for
    +Inf, then the sum of the observed seconds.
    """

    def __init__(self) -> None:
        self.requests: dict[RequestKey, int] = {}
        self.latency: dict[str, list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        requests = self.requests
        count = requests.get(key)
        if count is None and len(requests) >= MAX_REQUEST_SERIES:
            key = ("OTHER", route, status)
            count = requests.get(key)
        requests[key] = (count or 0) + 1
        histogram = self.latency.get(route)
        if histogram is None:
            histogram = self.latency[route] = [0.0] * (len(LATENCY_BUCKETS_S) + 2)
        histogram[bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        histogram[-1] += seconds


class _HttpCollector(Collector):
    """Renders a `HttpCounters` snapshot (this process's, or every process's sum)."""

    def __init__(self) -> None:
        self.counters = HttpCounters()

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily(
            "commentsvc_http_requests",
            "HTTP requests by route and status",
            labels=["method", "route", "status"],
        )
        for (method, route, status), n in sorted(self.counters.requests.items()):
            requests.add_metric([method, route, str(status)], n)
        yield requests
        latency = HistogramMetricFamily(
            "commentsvc_http_request_duration_seconds",
            "HTTP request latency by route",
            labels=["route"],
        )
        for route, histogram in sorted(self.counters.latency.items()):
            buckets: list[tuple[str, float]] = []
            running = 0.0
            for bound, in_bucket in zip(
                (*(str(b) for b in LATENCY_BUCKETS_S), "+Inf"), histogram[:-1], strict=True
            ):
                running += in_bucket
                buckets.append((bound, running))
            latency.add_metric([route], buckets, sum_value=histogram[-1])
        yield latency


class Metrics:
    """One registry per app, so tests can build many apps in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http = HttpCounters()
        """This process's requests, counted on every request."""
        self._http_view = _HttpCollector()
        self.registry.register(self._http_view)
        self.queue_length = Gauge(
            "commentsvc_queue_length", "Entries in a stream", ["stream"], registry=self.registry
        )
        self.queue_pending = Gauge(
            "commentsvc_queue_pending",
            "Delivered but unacknowledged jobs",
            ["stream"],
            registry=self.registry,
        )
        self.queue_lag = Gauge(
            "commentsvc_queue_lag",
            "Jobs not yet delivered to a consumer",
            ["stream"],
            registry=self.registry,
        )
        self.queue_oldest_pending_s = Gauge(
            "commentsvc_queue_oldest_pending_seconds",
            "Age of the oldest unacknowledged job",
            ["stream"],
            registry=self.registry,
        )
        self.deadletters = Gauge(
            "commentsvc_deadletters", "Jobs in the dead-letter stream", registry=self.registry
        )
        self.decisions = Gauge(
            "commentsvc_moderation_decisions_total",
            "Automatic moderation decisions by rule (all workers)",
            ["rule"],
            registry=self.registry,
        )
        self.emails = Gauge(
            "commentsvc_emails_total",
            "Emails by outcome (all notifiers)",
            ["outcome"],
            registry=self.registry,
        )
        self.cache_hits = Gauge(
            "commentsvc_thread_cache_hits_total",
            "Thread page cache hits in this process",
            registry=self.registry,
        )
        self.cache_misses = Gauge(
            "commentsvc_thread_cache_misses_total",
            "Thread page cache misses in this process",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one request (this runs on every request)."""
        self.http.observe(method, route, status, seconds)

    def render(self, http: HttpCounters | None = None) -> bytes:
        """The registry as Prometheus text; request figures from `http` (default: this process)."""
        self._http_view.counters = http if http is not None else self.http
        return generate_latest(self.registry)
