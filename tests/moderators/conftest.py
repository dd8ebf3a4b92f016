"""A live app on SQLite (or each store backend) and real Redis for the moderator tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from tests.support import live_client, make_settings, runtime_of

GENEROUS_LIMITS = "post=1000/60,post_hour=10000/3600,vote=1000/60,flag=1000/60,subscribe=1000/60"


async def _started(settings: Any) -> AsyncIterator[TestClient[Any, Any]]:
    async with live_client(settings) as c:
        await runtime_of(c).store.sites.update("default", policy={"flood_max": 10_000})
        runtime_of(c).service.forget_site("default")
        yield c


@pytest.fixture
async def client(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
        COMMENTSVC_TRUSTED_PROXIES="127.0.0.1",  # tests speak for other readers with XFF
    )
    async for c in _started(settings):
        yield c


@pytest.fixture
async def any_client(
    tmp_path: Path, database_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    """The same, once on SQLite and once on PostgreSQL."""
    settings = make_settings(
        tmp_path,
        database_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
        COMMENTSVC_TRUSTED_PROXIES="127.0.0.1",
    )
    async for c in _started(settings):
        yield c
