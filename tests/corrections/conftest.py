"""A live app on SQLite (or each store backend) and real Redis for the corrections tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from tests.support import live_client, make_settings, runtime_of

LIMITS = "post=1000/60,post_hour=10000/3600,flag=1000/60,subscribe=1000/60,correction=1000/60"


@pytest.fixture
async def client(
    tmp_path: Path, database_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS=LIMITS,
        COMMENTSVC_TRUSTED_PROXIES="127.0.0.1",
    )
    async with live_client(settings) as c:
        await runtime_of(c).store.sites.update("default", policy={"flood_max": 10_000})
        runtime_of(c).service.forget_site("default")
        yield c
