"""axe-core in every shipped language (issue 16, acceptance 6): the widget on /demo, with
comments, a reply, inline feedback, a "Corrected" marker and the open "Report an error" form,
has no serious or critical violation in any of them (right-to-left ones included).

One browser page walks the languages: /demo is served as is, only its `<html lang>` changed
(the widget's own language choice), so each language costs one page load and one axe run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Route, expect

from commentsvc.clock import now_utc
from commentsvc.i18n import LANGUAGES, RTL, Catalogue, shipped
from commentsvc.models import Anchor
from commentsvc.store.corrections import CorrectionStatus
from tests.browser.test_widget_a11y import axe_blocking
from tests.browser.widget_support import (
    DEMO_THREAD,
    api_only_service,
    open_page,
    post_as_other_reader,
)
from tests.support import drain, runtime_of

pytestmark = pytest.mark.browser

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


async def seed(service: TestClient[Any, Any]) -> None:
    """Two comments, a reply, inline feedback and a corrected passage on the demo thread."""
    first = await post_as_other_reader(
        service, body="Does the ferry take cards?", author_name="Ada"
    )
    await drain(service)
    await post_as_other_reader(service, body="Only cash, sadly.", parent_id=first["id"])
    await post_as_other_reader(service, body="שלום, a mixed-direction comment.", author_name="נועה")
    await post_as_other_reader(
        service,
        body="The honesty box is a lovely touch.",
        anchor={"quote": "fares are paid into an honesty box on the landing", "block": "p5"},
    )
    await drain(service)
    store = runtime_of(service).store
    thread = await store.threads.ensure("default", DEMO_THREAD)
    report = await store.corrections.add(
        site_id="default",
        thread_id=thread.id,
        anchor=Anchor(quote="On foot the ferry turns that journey into a four-minute trip."),
        note="It takes nine minutes.",
        reporter_email=None,
        lang="en",
        ip_hash=None,
        user_agent="",
        status=CorrectionStatus.OPEN,
        now=now_utc(),
    )
    await store.corrections.decide(
        report.id, CorrectionStatus.CORRECTED, "Nine minutes, not four.", "desk", now_utc()
    )


async def test_axe_finds_nothing_serious_in_any_shipped_language(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    service = quiet_service
    await seed(service)
    demo = str(service.make_url("/demo"))
    watched = await open_page(browser, demo)
    page, widget = watched.page, watched.widget
    lang = {"tag": "en"}

    async def localized(route: Route) -> None:
        response = await route.fetch()
        tag = lang["tag"]
        html = (await response.text()).replace(
            '<html lang="en">', f'<html lang="{tag}" dir="{"rtl" if tag in RTL else "ltr"}">', 1
        )
        await route.fulfill(response=response, body=html)

    await page.route(demo, localized)
    found: dict[str, list[str]] = {}
    for tag in LANGUAGES:
        lang["tag"] = tag
        catalogue = Catalogue(tag, shipped(tag))
        await page.goto(demo)
        await expect(widget.locator("h2")).to_have_text(catalogue.plural("w.comments", 4))
        marker = page.locator("#p3 .commentsvc-corrected button")
        await expect(marker).to_have_text("\u2713 " + catalogue.text("w.corrected"))
        await marker.click()  # the note open too
        await page.evaluate(SELECT, ["#p4", "The trust", "engineer"])
        pop = page.locator(".commentsvc-pop")
        await pop.get_by_role("button", name=catalogue.text("w.report_error")).click()
        await expect(pop.get_by_role("form", name=catalogue.text("w.error_form"))).to_be_visible()
        blocking = await axe_blocking(page)
        if blocking:
            found[tag] = blocking
    assert found == {}
    await watched.assert_clean()
