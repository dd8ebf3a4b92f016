"""Live updates in the browser: another reader's approved comment appears without a reload
(issue 6, acceptance 3), and the stream comes back after a drop."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from tests.browser.widget_support import (
    hub_of,
    open_demo,
    post_as_other_reader,
    wait_for_live_readers,
)

pytestmark = pytest.mark.browser

# The behaviour required: a reader sees a new approved comment within 2 s, with no reload.
LIVE_WITHIN_MS = 2_000


async def test_second_reader_sees_the_approved_comment_live(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    writer = await open_demo(browser, service)
    reader = await open_demo(browser, service)
    await wait_for_live_readers(service, 2)
    await reader.page.evaluate("window.__sameDocument = true")
    await expect(reader.widget.locator("h2")).to_have_text("0 Comments")

    form = writer.widget.get_by_role("form", name="Leave a comment")
    text = "Just watched the Heron cross from my window. Magic."
    await form.get_by_label("Comment", exact=True).fill(text)
    await form.get_by_label("Name").fill("Ines")
    await form.get_by_role("button", name="Post Comment").click()
    # The running worker may approve it before the check: either notice will do.
    await expect(writer.widget.locator(".status")).to_contain_text(
        re.compile("awaiting moderation|is published")
    )

    # The worker approves it; the other reader is told at once, without the page jumping.
    notice = reader.widget.get_by_role("button", name=re.compile(r"^1 new comment"))
    await expect(notice).to_be_visible(timeout=LIVE_WITHIN_MS)
    await expect(reader.widget.locator("h2")).to_have_text("1 Comment", timeout=LIVE_WITHIN_MS)
    await expect(reader.widget.locator("li.c")).to_have_count(0)  # not inserted under them
    await notice.click()
    comment = reader.widget.locator("li.c", has_text=text)
    await expect(comment).to_be_visible()
    await expect(comment).to_contain_text("Ines")
    await expect(notice).to_have_count(0)
    assert await reader.page.evaluate("window.__sameDocument === true")  # never reloaded
    # The writer's own card turned into the published comment, live as well.
    await expect(writer.widget.locator("li.c", has_text=text)).not_to_contain_text(
        "Awaiting moderation"
    )
    await writer.assert_clean()
    await reader.assert_clean()


async def test_stream_reconnects_after_the_server_drops_it(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    reader = await open_demo(browser, service)
    await wait_for_live_readers(service, 1)
    # Drop every stream (as a restart or a too-slow reader would), then post meanwhile.
    hub = hub_of(service)
    assert hub.end_streams() == 1
    await post_as_other_reader(service, body="Posted while the reader was reconnecting.")
    await wait_for_live_readers(service, 1)  # the widget came back on its own
    # It noticed what it missed (the count moved) and offers it, no reload needed.
    await expect(
        reader.widget.get_by_role("button", name=re.compile(r"new comment"))
    ).to_be_visible()
    await expect(reader.widget.locator("h2")).to_have_text("1 Comment")
    await reader.assert_clean()
