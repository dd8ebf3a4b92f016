"""A live app on SQLite + real Redis for the web tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from tests.support import live_client, make_settings, runtime_of

GENEROUS_LIMITS = "post=1000/60,post_hour=10000/3600,vote=1000/60,flag=1000/60,subscribe=1000/60"


@pytest.fixture
async def client(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    # 127.0.0.1 is trusted as a proxy so a test can speak for other readers with
    # X-Forwarded-For; without that header a request is 127.0.0.1 as before.
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
        COMMENTSVC_TRUSTED_PROXIES="127.0.0.1",
    )
    async with live_client(settings) as c:
        # Every test posts from 127.0.0.1: lift the flood rule unless a test sets it.
        await runtime_of(c).store.sites.update("default", policy={"flood_max": 10_000})
        yield c
