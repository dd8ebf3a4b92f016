"""Request counts of several API processes summed through Redis, as /metrics reports them."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from commentsvc.web.metrics import HttpCounters, Metrics
from commentsvc.web.shared_metrics import SharedHttpCounters
from tests.servers import free_port

ROUTE = "/api/v1/comments"


def requests_line(text: str, method: str, route: str, status: int) -> float:
    wanted = (
        f'commentsvc_http_requests_total{{method="{method}",route="{route}",status="{status}"}}'
    )
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0


async def test_every_process_reports_the_sum_of_all(redis: aioredis.Redis) -> None:
    one, two = HttpCounters(), HttpCounters()
    first, second = SharedHttpCounters(redis, one), SharedHttpCounters(redis, two)
    for _ in range(3):
        one.observe("GET", ROUTE, 200, 0.002)
    two.observe("GET", ROUTE, 200, 0.2)
    two.observe("POST", ROUTE, 202, 0.02)
    assert await second.publish()
    assert await second.publish()  # nothing new: adds nothing
    for shared in (first, second):
        total = await shared.total()
        assert total.requests == {("GET", ROUTE, 200): 4, ("POST", ROUTE, 202): 1}
        histogram = total.latency[ROUTE]
        assert sum(histogram[:-1]) == 5
        assert abs(histogram[-1] - (3 * 0.002 + 0.2 + 0.02)) < 1e-9
    one.observe("GET", ROUTE, 200, 0.002)  # counted after the last publish: still reported
    assert (await first.total()).requests[("GET", ROUTE, 200)] == 5

    metrics = Metrics()
    text = metrics.render(await second.total()).decode()
    assert requests_line(text, "GET", ROUTE, 200) == 5
    assert requests_line(text, "POST", ROUTE, 202) == 1
    assert (
        f'commentsvc_http_request_duration_seconds_bucket{{le="0.0025",route="{ROUTE}"}} 4.0'
        in text
    )
    assert f'commentsvc_http_request_duration_seconds_count{{route="{ROUTE}"}} 6.0' in text


async def test_without_redis_a_process_still_reports_its_own_counts() -> None:
    gone = aioredis.Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    counters = HttpCounters()
    shared = SharedHttpCounters(gone, counters)
    counters.observe("GET", ROUTE, 304, 0.001)
    try:
        assert not await shared.publish()
        assert (await shared.total()).requests == {("GET", ROUTE, 304): 1}
    finally:
        await gone.aclose()


async def test_metrics_endpoint_counts_the_requests_it_served(client: TestClient[Any, Any]) -> None:
    for _ in range(3):
        assert (await client.get("/api/v1/comments", params={"thread": "t/m"})).status == 200
    text = await (await client.get("/metrics")).text()
    assert requests_line(text, "GET", ROUTE, 200) == 3
