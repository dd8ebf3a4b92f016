"""Middlewares: metrics and security headers (one layer), CORS, problem+json for every error."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from commentsvc.errors import RateLimited, ServiceError, Unavailable
from commentsvc.queue.redisguard import REDIS_DOWN
from commentsvc.web.accesslog import loggable_path
from commentsvc.web.keys import METRICS, RUNTIME, SCHEMA
from commentsvc.web.problems import problem
from commentsvc.web.security_headers import secure

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, Authorization, If-None-Match"
CORS_MAX_AGE_S = "600"
STREAMING_ROUTES = frozenset({"/api/v1/stream"})
SCHEMA_RETRY_AFTER_S = 30


def route_name(request: web.Request) -> str:
    info = request.match_info
    route = info.route if info is not None else None
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def edge_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request: counted and timed by route and status; every answer: security headers.

    One middleware for both jobs, outermost: each layer costs a coroutine per request.
    """
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        secure(response)
        return response
    except web.HTTPException as exc:
        status = exc.status
        secure(exc)
        raise
    finally:
        route = route_name(request)
        elapsed_s = time.perf_counter() - started
        if route in STREAMING_ROUTES:
            elapsed_s = 0.0  # a live stream lasts minutes; it would swamp the latency histogram
        request.app[METRICS].observe_request(request.method, route, status, elapsed_s)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into problem+json; never let a stack trace out."""
    try:
        return await handler(request)
    except ServiceError as exc:
        headers = {}
        if isinstance(exc, RateLimited | Unavailable):
            headers["Retry-After"] = str(exc.retry_after_s)
        return problem(
            exc.status,
            exc.detail,
            slug=exc.slug,
            title=exc.title,
            errors=exc.errors,
            headers=headers,
        )
    except web.RequestPayloadError as exc:  # e.g. a body that is not the gzip it claims
        return problem(400, f"the request body could not be read: {exc}")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        headers = {}
        if exc.status == 405:
            headers["Allow"] = exc.headers.get("Allow", "")
        if exc.status == 413:
            detail = (
                "the request body is larger than the limit of "
                + str(request.app[RUNTIME].settings.max_body_bytes)
                + " bytes"
            )
        return problem(exc.status, detail, headers=headers)
    except DBAPIError as exc:
        return await _database_error(request, exc)
    except (*REDIS_DOWN, PoolTimeoutError, ConnectionError) as exc:
        return _dependency_down(request, exc)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, loggable_path(request.path))
        return problem(500, "the server hit an unexpected error; it has been logged")


def _dependency_down(request: web.Request, exc: BaseException) -> web.Response:
    log.warning("%s %s: dependency down: %s", request.method, loggable_path(request.path), exc)
    return problem(503, "a dependency is down; try again shortly", headers={"Retry-After": "5"})


async def _database_error(request: web.Request, exc: DBAPIError) -> web.Response:
    """503 naming the migration when the schema is behind (logged once a minute), else as before."""
    unmigrated = None if exc.connection_invalidated else await request.app[SCHEMA].problem()
    if unmigrated is not None:
        return problem(
            503,
            unmigrated,
            slug="schema-not-migrated",
            headers={"Retry-After": str(SCHEMA_RETRY_AFTER_S)},
        )
    if isinstance(exc, OperationalError):
        return _dependency_down(request, exc)
    if exc.connection_invalidated:
        return problem(
            503, "the database is unreachable; try again shortly", headers={"Retry-After": "5"}
        )
    log.exception("database error on %s %s", request.method, loggable_path(request.path))
    return problem(500, "the server hit an unexpected error; it has been logged")


def _origin_allowed(request: web.Request, origin: str) -> bool:
    runtime = request.app[RUNTIME]
    public = urlsplit(runtime.settings.resolved_public_url)
    if origin == f"{public.scheme}://{public.netloc}":
        return True
    host = request.host
    if host and origin in (f"http://{host}", f"https://{host}"):
        return True
    return runtime.service.origin_allowed_anywhere(origin)


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS for the public API: origins listed in any site's allowed_origins."""
    origin = request.headers.get("Origin")
    if not request.path.startswith("/api/v1/") or request.path.startswith(
        ("/api/v1/moderation", "/api/v1/auth", "/api/v1/sites")
    ):
        return await handler(request)
    response: web.StreamResponse
    if origin is None:
        response = await handler(request)
    else:
        allowed = await _origin_allowed_async(request, origin)
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            if not allowed:
                response = problem(403, f"origin {origin} is not allowed to call this API")
            else:
                response = web.Response(status=204)
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE_S
        else:
            response = await handler(request)
        if allowed and not response.prepared:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "ETag, Location, Retry-After"
    # Public reads are cacheable: a shared cache must not hand one origin's copy (or a
    # copy without CORS headers) to a widget on another, so every answer varies by Origin.
    if not response.prepared:
        response.headers.add("Vary", "Origin")
    return response


async def _origin_allowed_async(request: web.Request, origin: str) -> bool:
    await request.app[RUNTIME].service.load_origins()
    return _origin_allowed(request, origin)
