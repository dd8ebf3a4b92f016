"""Hostile text never runs (issue 6, acceptance 4), and the widget works on another site's page
under a strict Content-Security-Policy that only allows the script's origin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from tests.browser.widget_support import (
    WIDGET,
    open_demo,
    open_page,
    other_origin,
    post_as_other_reader,
    wait_for_count,
    wait_for_live_readers,
)

pytestmark = pytest.mark.browser

EVIL_NAME = "<img src=x onerror=alert(1)>"
EVIL_BODY = '"><script>alert(2)</script><img src=x onerror=alert(3)>'
EVIL_QUOTE = "<img src=x onerror=alert(4)>"


async def test_hostile_names_and_comments_show_as_text(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    # One is there when the page loads, the other is the reader's own, published live.
    await post_as_other_reader(
        service,
        body=EVIL_BODY,
        author_name=EVIL_NAME,
        anchor={"quote": EVIL_QUOTE, "prefix": EVIL_BODY, "suffix": "", "block": EVIL_NAME},
    )
    await wait_for_count(service, 1)
    me = await open_demo(browser, service)
    w = me.widget
    await expect(w.locator("h2")).to_have_text("1 Comment")
    form = w.get_by_role("form", name="Leave a comment")
    await form.get_by_label("Comment", exact=True).fill(EVIL_BODY + " again")
    await form.get_by_label("Name").fill(EVIL_NAME)
    await form.get_by_role("button", name="Post Comment").click()
    mine = w.locator("li.c", has_text=EVIL_BODY + " again")
    await expect(mine).not_to_contain_text("Awaiting moderation")
    await expect(w.locator("h2")).to_have_text("2 Comments")

    for page_state in ("live", "reloaded"):
        items = w.locator("ol.list > li.c")
        await expect(items).to_have_count(2)
        names = await items.locator(".name").all_text_contents()
        assert names == [EVIL_NAME, EVIL_NAME], page_state
        bodies = await items.locator(".body").all_text_contents()
        assert sorted(bodies) == [EVIL_BODY, EVIL_BODY + " again"], page_state
        await expect(w.locator("a.quote")).to_have_text(f"“{EVIL_QUOTE}”")
        # Nothing the text described exists as an element anywhere on the page.
        for selector in ("img", "script", f"{WIDGET} img", f"{WIDGET} script"):
            found = await me.page.evaluate(
                """(sel) => [document, document.querySelector('[data-commentsvc-thread]').shadowRoot]
                     .reduce((n, root) => n + root.querySelectorAll(sel).length, 0)""",
                selector,
            )
            assert found == (1 if selector == "script" else 0), (page_state, selector)
        await me.page.reload()
        await expect(w.locator("h2")).to_have_text("2 Comments")

    await me.page.wait_for_timeout(200)  # give any injected handler a chance to fire
    await me.assert_clean()  # no dialog, no console error (a broken <img> would log one)


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>An article on someone else's site</h1>
<div data-commentsvc-article><p id="a1">The river was high and the ferry stayed moored all day.</p></div>
<p><a href="#c" data-commentsvc-count="elsewhere/river">Comments</a></p>
<div id="c" data-commentsvc-thread="elsewhere/river" data-commentsvc-title="River day"></div>
</main>
<script src="{api}/embed.js" data-site="default" async></script>
</body></html>"""


@pytest.fixture
async def host_site(service: TestClient[Any, Any]) -> AsyncIterator[str]:
    """A different origin serving an article with a strict CSP that allows only the API."""
    async with other_origin(
        service, "/article", lambda _, api: HOST_PAGE.replace("{api}", api)
    ) as o:
        yield o


async def test_widget_works_cross_origin_under_a_strict_csp(
    browser: Browser, service: TestClient[Any, Any], host_site: str
) -> None:
    me = await open_page(browser, host_site + "/article")
    w = me.widget
    await expect(w.locator("h2")).to_have_text("0 Comments")
    await wait_for_live_readers(service, 1)
    form = w.get_by_role("form", name="Leave a comment")
    await form.get_by_label("Comment", exact=True).fill("Posted from another site entirely.")
    await form.get_by_role("button", name="Post Comment").click()
    await expect(w.locator("li.c", has_text="another site entirely")).not_to_contain_text(
        "Awaiting moderation"
    )
    await expect(w.locator("h2")).to_have_text("1 Comment")
    await expect(me.page.locator("a[data-commentsvc-count]")).to_have_text("1 Comment")
    # Styled (constructable stylesheets need no style-src), themed by custom properties.
    button = w.get_by_role("button", name="Post Comment")
    assert await button.evaluate("(b) => getComputedStyle(b).fontWeight") == "600"
    await me.assert_clean()  # and no CSP violation was reported
