"""Widget defects a front-end review found: a closed thread still offering its forms, a
long name widening a phone's page, and the keyboard focus lost after posting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from tests.browser.widget_support import (
    DEMO_THREAD,
    api_only_service,
    open_demo,
    post_as_other_reader,
)
from tests.support import drain, runtime_of

pytestmark = pytest.mark.browser


@pytest.fixture
async def service(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    async with api_only_service(tmp_path, sqlite_url, redis_url) as client:
        yield client


async def test_a_closed_thread_offers_no_forms(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    await post_as_other_reader(service, body="Said before the close.", author_name="Ola")
    await drain(service)
    assert await runtime_of(service).service.set_thread_closed("default", DEMO_THREAD, True)
    me = await open_demo(browser, service)
    w = me.widget
    await expect(w.get_by_text("Comments on this article are closed.")).to_be_visible()
    await expect(w.get_by_role("form", name="Leave a comment")).to_be_hidden()
    await expect(w.get_by_text("Said before the close.")).to_be_visible()
    await expect(w.get_by_role("button", name="Reply")).to_have_count(0)
    await me.assert_clean()


async def test_a_long_name_and_quote_do_not_widen_a_phone_page(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    long_name = "W" * 64
    await post_as_other_reader(
        service,
        body="A short body.",
        author_name=long_name,
        anchor={"block": "p1", "quote": "Q" * 400},
    )
    await drain(service)
    me = await open_demo(browser, service, viewport={"width": 360, "height": 740})
    await expect(me.widget.get_by_text(long_name)).to_be_visible()
    widths = await me.page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    await me.assert_clean()


async def test_focus_stays_in_the_form_after_posting(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    me = await open_demo(browser, service)
    form = me.widget.get_by_role("form", name="Leave a comment")
    await form.get_by_role("textbox", name="Comment").fill("Keyboard users post too.")
    submit = form.get_by_role("button", name="Post Comment")
    await submit.focus()
    await me.page.keyboard.press("Enter")
    await expect(me.widget.get_by_text("Keyboard users post too.")).to_be_visible()
    await expect(submit).to_be_focused()
    await me.assert_clean()
