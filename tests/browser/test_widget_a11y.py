"""Accessibility of /demo with comments loaded (issue 6, acceptance 6): axe-core finds nothing
serious or critical, in light and dark; every control is reachable with Tab; a keyboard-only
reader can post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from tests.browser.widget_support import (
    Watched,
    api_only_service,
    open_demo,
    post_as_other_reader,
)
from tests.support import drain

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")

# Tag every control a keyboard user should reach (document and open shadow roots).
TAG_CONTROLS = """() => {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) visit(el.shadowRoot);
      const control = el.matches('a[href], button, input, select, textarea, [tabindex]');
      if (!control || el.disabled || el.getAttribute('tabindex') === '-1') continue;
      if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
      // inside a closed <details>: laid out (content-visibility) but neither shown nor focusable
      if (!el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true })) continue;
      el.setAttribute('data-probe', String(found.length));
      found.push(el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40) || el.tagName);
    }
  };
  visit(document);
  return found;
}"""

ACTIVE_PROBE = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a ? a.getAttribute('data-probe') : null;
}"""

ACTIVE_LABEL = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a && a.labels && a.labels.length ? a.labels[0].textContent : (a ? a.textContent : '');
}"""


@pytest.fixture
async def quiet_service(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    async with api_only_service(tmp_path, sqlite_url, redis_url) as client:
        yield client


async def seed(service: TestClient[Any, Any]) -> None:
    """A thread worth checking: a reply chain deeper than the nesting limit, and feedback."""
    parent = await post_as_other_reader(
        service, body="Does anyone know if the ferry takes cards?", author_name="Tomasz Wren"
    )
    await drain(service)
    for depth in range(6):
        reply = await post_as_other_reader(
            service, body=f"Reply at depth {depth + 1}.", parent_id=parent["id"]
        )
        await drain(service)
        parent = reply
    await post_as_other_reader(
        service,
        body="The honesty box is a lovely touch.",
        author_name="Ada",
        anchor={
            "quote": "fares are paid into an honesty box on the landing",
            "prefix": "permitting, and ",
            "suffix": ". Children",
            "block": "p5",
        },
    )
    await drain(service)


async def axe_blocking(page: Page) -> list[str]:
    results = await Axe().run(page)
    # axe looks inside the widget's (open) shadow roots: their nodes are checked too.
    shadow_checked = [
        n["target"]
        for rule in results.response["passes"]
        for n in rule["nodes"]
        if any(isinstance(part, list) for part in n["target"])
    ]
    assert shadow_checked, "axe did not look inside the shadow roots"
    violations = results.response["violations"]
    for v in violations:
        print(f"axe {v['impact']}: {v['id']} ({len(v['nodes'])} nodes)")
    return [
        f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


async def loaded_demo(browser: Browser, service: TestClient[Any, Any], **kw: Any) -> Watched:
    me = await open_demo(browser, service, **kw)
    await expect(me.widget.locator("h2")).to_have_text("8 Comments")
    await expect(me.page.locator("#q-use").get_by_role("button")).to_have_text("0")
    # An own comment too (edit and delete buttons), and an open reply form.
    form = me.widget.get_by_role("form", name="Leave a comment")
    await form.get_by_label("Comment", exact=True).fill("Checking the widget with axe.")
    await form.get_by_role("button", name="Post Comment").click()
    await expect(me.widget.locator(".status")).to_contain_text("awaiting moderation")
    await drain(service)
    await expect(me.widget.locator("li.c", has_text="with axe")).not_to_contain_text(
        "Awaiting moderation"
    )
    first = me.widget.locator("ol.list > li.c", has_text="takes cards")
    await first.locator(":scope > article .acts").get_by_role("button", name="Reply").click()
    await expect(first.get_by_label("Your reply")).to_be_focused()
    return me


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_axe_finds_nothing_serious(
    browser: Browser, quiet_service: TestClient[Any, Any], scheme: str
) -> None:
    await seed(quiet_service)
    me = await loaded_demo(browser, quiet_service, color_scheme=scheme)
    # Replies past the fifth level are flattened into it, saying whom they answer.
    fifth = me.widget.locator("ol.replies ol.replies ol.replies ol.replies > li.c")
    await expect(fifth).to_have_count(3)
    await expect(fifth.nth(0)).to_contain_text("Reply at depth 4.")
    await expect(fifth.nth(1)).to_contain_text("in reply to GuestReply at depth 5.")
    await expect(fifth.nth(2)).to_contain_text("in reply to GuestReply at depth 6.")
    assert await axe_blocking(me.page) == []
    await me.assert_clean()


async def test_every_control_is_reachable_with_tab(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    await seed(quiet_service)
    me = await loaded_demo(browser, quiet_service)
    page = me.page
    controls = await page.evaluate(TAG_CONTROLS)
    assert len(controls) > 40  # the article, bubbles, form, sort, filters, every comment's buttons
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    await page.evaluate("window.scrollTo(0, 0)")
    reached: set[int] = set()
    for _ in range(len(controls) + 20):
        await page.keyboard.press("Tab")
        probe = await page.evaluate(ACTIVE_PROBE)
        if probe is not None:
            reached.add(int(probe))
    missing = [label for i, label in enumerate(controls) if i not in reached]
    assert missing == []


async def test_keyboard_only_reader_can_post(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    me = await open_demo(browser, quiet_service)
    page = me.page
    for _ in range(60):
        await page.keyboard.press("Tab")
        if (await page.evaluate(ACTIVE_LABEL)).strip() == "Comment":
            break
    else:
        raise AssertionError("Tab never reached the comment box")
    await page.keyboard.type("Typed without a mouse.")
    for _ in range(10):
        await page.keyboard.press("Tab")
        if (await page.evaluate(ACTIVE_LABEL)).strip() == "Post Comment":
            break
    await page.keyboard.press("Enter")
    await expect(me.widget.locator(".status")).to_contain_text("awaiting moderation")
    await expect(me.widget.locator("li.c", has_text="Typed without a mouse.")).to_be_visible()
    await me.assert_clean()
