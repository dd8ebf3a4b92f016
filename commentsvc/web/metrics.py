"""Prometheus metrics: request counts and latency here; queues and shared counters on scrape."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """One registry per app, so tests can build many apps in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.requests = Counter(
            "commentsvc_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "commentsvc_http_request_duration_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
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
        """Count and time one request (label children are cached: this runs on every request)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(route),
            )
            if len(self._children) < 10_000:
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
