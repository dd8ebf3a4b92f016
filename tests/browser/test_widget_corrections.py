"""The corrections desk end to end (issue 16, acceptance 5): a reader reports an error in a
passage of /demo, a moderator marks it corrected on /moderate, and the article then shows a
"Corrected" marker; the report itself never appears in the thread or any public answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from commentsvc.auth import Accounts
from tests.browser.widget_support import DEMO_THREAD, api_only_service, open_demo, open_page
from tests.support import drain, runtime_of

pytestmark = pytest.mark.browser

EMAIL = "corrections@news.example"
PASSWORD = "a long corrections passphrase"
NOTE = "The trip takes nine minutes, not four: the timetable says so."
PUBLIC_NOTE = "The crossing takes nine minutes; an earlier version said four."

SELECT = """([selector, first, last]) => {
  const el = document.querySelector(selector);
  const node = [...el.childNodes].find((n) => n.nodeType === 3 && n.data.includes(first));
  const start = node.data.indexOf(first);
  const end = node.data.indexOf(last, start) + last.length;
  document.getSelection().setBaseAndExtent(node, start, node, end);
}"""


@pytest.fixture
async def quiet_service(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    async with api_only_service(tmp_path, sqlite_url, redis_url) as client:
        yield client


async def _public_answers(service: TestClient[Any, Any]) -> bytes:
    """Everything a stranger can read about the demo thread, as raw bytes."""
    out = b""
    for params in ({}, {"filter": "feedback"}, {"sort": "oldest"}):
        resp = await service.get("/api/v1/comments", params={"thread": DEMO_THREAD, **params})
        assert resp.status == 200
        out += await resp.read()
    resp = await service.get("/api/v1/counts", params={"thread": DEMO_THREAD})
    out += await resp.read()
    resp = await service.get("/api/v1/corrections", params={"thread": DEMO_THREAD})
    out += await resp.read()
    return out


async def test_a_reported_error_is_corrected_and_marked_on_the_article(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    service = quiet_service
    runtime = runtime_of(service)
    await Accounts(runtime.store, runtime.keys).add_moderator(EMAIL, PASSWORD, "moderator", ())

    # A reader selects a sentence and reports an error in it.
    reader = await open_demo(browser, service)
    page, w = reader.page, reader.widget
    await page.evaluate(SELECT, ["#p3", "On foot", "trip."])
    pop = page.locator(".commentsvc-pop")
    await pop.get_by_role("button", name="Report an error").click()
    form = pop.get_by_role("form", name="Report an error in this passage")
    await expect(form.locator(".q")).to_contain_text("four-minute trip")
    await form.get_by_label("What is wrong, and what would be right?").fill(NOTE)
    await form.get_by_role("button", name="Send to the newsroom").click()
    await expect(pop).to_be_hidden()
    await expect(w.locator(".status")).to_contain_text("newsroom only")
    await drain(service)

    # Not a comment: nothing in the thread, its counts or any public answer.
    await expect(w.locator("h2")).to_have_text("0 Comments")
    await expect(w.locator("li.c")).to_have_count(0)
    assert b"nine minutes" not in await _public_answers(service)

    # A moderator finds it under Corrections, the passage highlighted, and marks it corrected.
    mod = await open_page(browser, str(service.make_url("/moderate")))
    await mod.page.fill("#login-email", EMAIL)
    await mod.page.fill("#login-password", PASSWORD)
    await mod.page.click("#login-submit")
    tab = mod.page.locator('#views button[data-view="corrections"]')
    await expect(tab).to_be_visible()
    await expect(tab.locator(".count")).to_have_text("1")  # open reports, once signed in
    await tab.click()
    await expect(mod.page.locator("#corrections-view")).to_be_visible()
    await expect(mod.page.locator("#queue-view")).to_be_hidden()
    card = mod.page.locator("#corrections-items li.correction")
    await expect(card).to_have_count(1)
    await expect(card.locator(".passage mark")).to_contain_text("On foot the ferry turns")
    await expect(card.locator(".body")).to_have_text(NOTE)
    link = card.get_by_role("link", name="Show in the article")
    assert "#:~:text=On%20foot%20the%20ferry" in (await link.get_attribute("href") or "")
    await card.get_by_label("Public note").fill(PUBLIC_NOTE)
    await card.get_by_role("button", name="Mark corrected").click()
    await expect(mod.page.locator("#corrections-status-line")).to_have_text("Report corrected.")
    await expect(mod.page.locator("#corrections-empty")).to_be_visible()  # no open ones left
    await expect(tab.locator(".count")).to_have_text("")
    # The one console error is the signed-out page's 401 before signing in.
    assert all("401" in e for e in mod.console_errors), mod.console_errors
    assert mod.page_errors == [] and await mod.csp_violations() == []

    # The article now shows the marker right after the passage; it opens the public note.
    again = await open_demo(browser, service)
    marker = again.page.locator("#p3 .commentsvc-corrected")
    await expect(marker).to_have_count(1)
    button = marker.get_by_role("button", name="Corrected")
    await expect(button).to_have_attribute("aria-expanded", "false")
    await button.click()
    await expect(button).to_have_attribute("aria-expanded", "true")
    await expect(marker.locator(".cnote")).to_contain_text(PUBLIC_NOTE)
    await expect(marker.locator(".cnote")).to_contain_text("Corrected on")
    # The marker sits after the corrected words, and the report is still nowhere public.
    before = await again.page.evaluate(
        """() => { const m = document.querySelector('#p3 .commentsvc-corrected');
        const r = document.createRange(); r.selectNodeContents(m.parentNode); r.setEndBefore(m);
        return r.toString().replace(/\\s+/g, ' '); }"""
    )
    assert before.endswith("four-minute trip.")
    await expect(again.widget.locator("li.c")).to_have_count(0)
    public = await _public_answers(service)
    assert b"nine minutes, not four" not in public and EMAIL.encode() not in public
    assert PUBLIC_NOTE.encode() in public  # only the newsroom's note is public
    await reader.assert_clean()
    await again.assert_clean()


async def test_an_error_can_be_reported_from_an_author_placed_question(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    """The question bubble offers "Report an error" beside its answer form; the report is
    anchored to the question's block, private, and the bubble says thanks."""
    service = quiet_service
    reader = await open_demo(browser, service)
    page = reader.page
    bubble = page.locator("#q-days").get_by_role("button", name="Answer the question")
    await bubble.click()
    box = page.locator("#q-days .commentsvc-bubble")
    await box.get_by_role("button", name="Report an error").click()
    form = box.get_by_role("form", name="Report an error in this passage")
    await expect(form.locator(".q")).to_contain_text("Which days should the ferry run")
    await form.get_by_label("What is wrong, and what would be right?").fill(
        "The ferry already runs on Sundays."
    )
    await form.get_by_role("button", name="Send to the newsroom").click()
    await expect(bubble).to_have_attribute("aria-expanded", "false")
    await expect(reader.widget.locator(".status")).to_contain_text("newsroom only")
    [report] = await runtime_of(service).store.corrections.listing("default", None)
    assert report.anchor.block == "q-days" and report.note == "The ferry already runs on Sundays."
    assert b"Sundays" not in await _public_answers(service)
    await reader.assert_clean()
