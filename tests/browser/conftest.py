"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, and a live service.

Skipped with a reason when Chromium is missing, unless COMMENTSVC_TEST_REQUIRE_BROWSER=1
(set by .ci/run) makes that a failure. Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, async_playwright

from tests.support import live_client, make_settings, runtime_of
from workers.background import all_workers

CHROMIUM = os.environ.get("COMMENTSVC_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
GENEROUS_LIMITS = "post=1000/60,post_hour=10000/3600,vote=1000/60,flag=1000/60,subscribe=1000/60"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("COMMENTSVC_TEST_REQUIRE_BROWSER", "") not in ("", "0", "false"):
            pytest.fail(reason + " (required: COMMENTSVC_TEST_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def service(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    """The whole service (API + workers) on a loopback port; `str(service.make_url("/"))` is its URL."""
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS
    )
    async with live_client(settings, background=all_workers()) as client:
        await runtime_of(client).store.sites.update("default", policy={"flood_max": 10_000})
        runtime_of(client).service.forget_site("default")
        yield client
