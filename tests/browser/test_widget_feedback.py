"""Inline feedback on /demo: a selected sentence, the filter, scroll-and-highlight, and the
author-placed questions' bubbles (issue 6, acceptance 2)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, expect

from tests.browser.widget_support import (
    DEMO_THREAD,
    api_only_service,
    open_demo,
    post_as_other_reader,
    wait_for_live_readers,
)
from tests.support import drain

pytestmark = pytest.mark.browser

SENTENCE = "On foot the ferry turns that journey into a four-minute trip."

SELECT = """([selector, first, last]) => {
  const el = document.querySelector(selector);
  const node = [...el.childNodes].find((n) => n.nodeType === 3 && n.data.includes(first));
  const start = node.data.indexOf(first);
  const end = node.data.indexOf(last, start) + last.length;
  document.getSelection().setBaseAndExtent(node, start, node, end);
}"""

HIGHLIGHTED = """() => {
  const h = CSS.highlights.get('commentsvc');
  return h ? [...h].map((r) => r.toString().replace(/\\s+/g, ' ')) : [];
}"""


@pytest.fixture
async def quiet_service(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    async with api_only_service(tmp_path, sqlite_url, redis_url) as client:
        yield client


async def select(page: Page, selector: str, first: str, last: str) -> None:
    """Select text the way a reader's drag would: a document selection in the article."""
    await page.evaluate(SELECT, [selector, first, last])


async def test_feedback_on_a_selected_sentence(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    service = quiet_service
    await post_as_other_reader(service, body="A plain comment about the ferry, not feedback.")
    await drain(service)
    me = await open_demo(browser, service)
    page, w = me.page, me.widget

    # Select a sentence in the article: "Comment on this" is offered next to it.
    await select(page, "#p3", "On foot", "trip.")
    pop = page.locator(".commentsvc-pop")
    await pop.get_by_role("button", name="Comment on this").click()
    await expect(pop.locator(".q")).to_contain_text(SENTENCE)
    await pop.get_by_label("Your feedback on this passage").fill("Four minutes sounds optimistic.")
    await pop.get_by_role("button", name="Send feedback").click()
    await expect(pop).to_be_hidden()
    await expect(w.locator(".status")).to_contain_text("awaiting moderation")
    await drain(service)

    # The feedback shows in the list with the quoted passage.
    feedback = w.locator('li.c[data-kind="feedback"]')
    await expect(feedback).to_have_count(1)
    await expect(feedback).not_to_contain_text("Awaiting moderation")
    await expect(feedback.locator("a.quote")).to_have_text(f"“{SENTENCE}”")
    await expect(w.locator("h2")).to_have_text("2 Comments")
    page_json = await (
        await service.get("/api/v1/comments", params={"thread": DEMO_THREAD, "filter": "feedback"})
    ).json()
    anchor = page_json["comments"][0]["anchor"]
    assert anchor["quote"] == SENTENCE
    assert anchor["block"] == "p3"
    assert anchor["prefix"].endswith("over the Ridgeway bridge. ")
    assert anchor["suffix"] == ""

    # "Inline Feedbacks" shows only feedback; "View all comments" switches back.
    await w.get_by_role("button", name="Inline Feedbacks (1)").click()
    await expect(w.get_by_role("button", name="Inline Feedbacks (1)")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(w.locator("ol.list > li.c")).to_have_count(1)
    await expect(w.locator("ol.list > li.c")).to_have_attribute("data-kind", "feedback")
    await w.get_by_role("button", name="View all comments").click()
    await expect(w.locator("ol.list > li.c")).to_have_count(2)

    # Clicking the quote scrolls the article to the passage and highlights it.
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    await expect(page.locator("#p3")).not_to_be_in_viewport()
    await feedback.locator("a.quote").click()
    await expect(page.locator("#p3")).to_be_in_viewport()
    await expect(page.locator("#p3")).to_be_focused()
    assert await page.evaluate(HIGHLIGHTED) == [SENTENCE]
    await me.assert_clean()


async def test_question_bubble_shows_its_count(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    service = quiet_service
    # Another reader answered this question already (feedback whose block is its ID).
    await post_as_other_reader(
        service,
        body="Every weekend, and market days too.",
        anchor={"quote": "Which days should the ferry run next season?", "block": "q-days"},
    )
    await drain(service)
    me = await open_demo(browser, service)
    page = me.page
    days = page.locator("#q-days").get_by_role("button", name="Answer the question")
    use = page.locator("#q-use").get_by_role("button", name="Answer the question")
    await expect(days).to_have_text("1")
    await expect(days).to_have_accessible_name(
        "Answer the question: Which days should the ferry run next season? (1 answer)"
    )
    await expect(use).to_have_text("0")

    # Answer the other question from its bubble.
    await use.click()
    await expect(use).to_have_attribute("aria-expanded", "true")
    box = page.locator("#q-use .commentsvc-bubble")
    await box.get_by_label("Your answer").fill("Yes, with a bicycle it beats the bridge easily.")
    await box.get_by_role("button", name="Send feedback").click()
    await expect(use).to_have_attribute("aria-expanded", "false")
    await expect(me.widget.locator(".status")).to_contain_text("awaiting moderation")
    await drain(service)
    await expect(use).to_have_text("1")
    await expect(use).to_have_accessible_name(
        "Answer the question: Would you take the ferry instead of the bridge detour? (1 answer)"
    )

    # In the list, the answer quotes its question; its link highlights the question.
    answer = me.widget.locator("li.c", has_text="with a bicycle")
    await expect(answer.locator("a.quote")).to_have_text(
        "“Would you take the ferry instead of the bridge detour?”"
    )
    await answer.locator("a.quote").click()
    await expect(page.locator("#q-use")).to_be_in_viewport()
    assert await page.evaluate(HIGHLIGHTED) == [
        "Would you take the ferry instead of the bridge detour?"
    ]
    await me.assert_clean()


async def test_the_feedback_filter_keeps_new_plain_comments_out(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    """Under "Inline Feedbacks" a new plain comment raises no "new comment" notice; a new
    piece of feedback does. (The front-end review: new comments showed under the filter.)"""
    me = await open_demo(browser, quiet_service)
    w = me.widget
    await wait_for_live_readers(quiet_service, 1)
    await w.get_by_role("button", name=re.compile(r"^Inline Feedbacks")).click()

    await post_as_other_reader(quiet_service, body="A plain remark about the timetable.")
    await drain(quiet_service)
    await expect(w.locator("h2")).to_have_text("1 Comment")  # the live count arrived
    await expect(w.get_by_role("button", name=re.compile("new comment"))).to_have_count(0)

    await post_as_other_reader(
        quiet_service,
        body="Four minutes sounds optimistic to me.",
        kind="feedback",
        anchor={"block": "p2", "quote": "four-minute trip"},
    )
    await drain(quiet_service)
    await expect(w.get_by_role("button", name=re.compile(r"^1 new comment"))).to_be_visible()

    await w.get_by_role("button", name="View all comments").click()
    await expect(w.locator("ol.list > li.c")).to_have_count(2)
    await me.assert_clean()
