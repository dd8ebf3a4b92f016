"""Operations handlers: liveness, readiness, metrics, the OpenAPI description."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

import orjson
from aiohttp import web

from commentsvc.queue.constants import STATS_DECISIONS, STATS_EMAILS, STREAM_DEADLETTER
from commentsvc.queue.redisguard import REDIS_DOWN
from commentsvc.review import stats
from commentsvc.web.keys import METRICS, RUNTIME, SCHEMA, SHARED_HTTP
from commentsvc.web.openapi import openapi_spec

READY_TIMEOUT_S = 2.0


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz — 200 while the process runs."""
    return web.json_response({"status": "ok"})


class NotReady(Exception):
    """A dependency answers but can't serve yet; the message says why."""


async def _check(name: str, probe: Awaitable[object]) -> tuple[str, str | None]:
    try:
        await asyncio.wait_for(probe, READY_TIMEOUT_S)
    except NotReady as exc:
        return name, str(exc)
    except Exception as exc:
        return name, f"{type(exc).__name__}: {exc}"[:200]
    return name, None


async def _database(request: web.Request) -> None:
    await request.app[RUNTIME].store.ping()
    problem = await request.app[SCHEMA].problem(fresh=True)
    if problem is not None:
        raise NotReady(problem)


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz — 200 when the database (migrated) and Redis answer, else 503 naming why."""
    runtime = request.app[RUNTIME]
    results = await asyncio.gather(
        _check("database", _database(request)),
        _check("redis", runtime.redis.ping()),
    )
    down = {name: error for name, error in results if error is not None}
    body = {"status": "ready" if not down else "unavailable", "down": sorted(down), "errors": down}
    status = 200 if not down else 503
    headers = {"Retry-After": "5"} if down else None
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics — Prometheus text: requests (every API process), latency, queues, decisions."""
    runtime = request.app[RUNTIME]
    m = request.app[METRICS]
    for queue in (runtime.moderate_queue, runtime.notify_queue):
        try:
            qs = await queue.stats()
        except REDIS_DOWN:
            continue
        m.queue_length.labels(queue.stream).set(qs.length)
        m.queue_pending.labels(queue.stream).set(qs.pending)
        m.queue_lag.labels(queue.stream).set(qs.lag)
        m.queue_oldest_pending_s.labels(queue.stream).set(qs.oldest_pending_age_ms / 1000)
    with contextlib.suppress(*REDIS_DOWN):
        m.deadletters.set(await runtime.redis.xlen(STREAM_DEADLETTER))
    for rule, n in (await stats.read(runtime.redis, STATS_DECISIONS)).items():
        m.decisions.labels(rule).set(n)
    for outcome, n in (await stats.read(runtime.redis, STATS_EMAILS)).items():
        m.emails.labels(outcome).set(n)
    m.cache_hits.set(runtime.service.pages.hits)
    m.cache_misses.set(runtime.service.pages.misses)
    return web.Response(
        body=m.render(await request.app[SHARED_HTTP].total()),
        content_type="text/plain",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def openapi(request: web.Request) -> web.Response:
    """GET /api/openapi.json — the OpenAPI 3.1 description of every route."""
    return web.Response(
        body=orjson.dumps(openapi_spec(request.app)), content_type="application/json"
    )
