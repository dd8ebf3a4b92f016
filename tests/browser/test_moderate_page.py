"""Acceptance 5: a moderator signs in on /moderate, decides with the keyboard and in bulk.

Headless Chromium (/usr/bin/chromium) through Playwright, against the whole
service (API + workers) on a loopback port.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from commentsvc.auth import Accounts
from commentsvc.models import Status
from tests.support import runtime_of

pytestmark = pytest.mark.browser

THREAD = "world/harbour-bridge-reopens"
EMAIL = "editor@news.example"
PASSWORD = "a long editor passphrase"
# How long one UI step may take before the test fails (a hang guard, not a measurement).
STEP_MS = 10_000
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


async def _held_comments(service: TestClient[Any, Any]) -> list[str]:
    """Three comments held by the (running) worker on a premoderated site."""
    runtime = runtime_of(service)
    await runtime.store.sites.update(
        "default", policy={"flood_max": 10_000, "mode": "premoderate", "moderation_keys": ["toll"]}
    )
    runtime.service.forget_site("default")
    ids = []
    for n, (name, body) in enumerate(
        [
            ("Ines", "Great news for commuters, finally."),
            ("Tomasz", "The toll is far too high <b>really</b>."),
            ("Quinn", "Ferries were better anyway."),
        ]
    ):
        resp = await service.post(
            "/api/v1/comments",
            json={
                "thread": THREAD,
                "body": body,
                "author_name": name,
                "author_email": f"r{n}@x.example",
            },
        )
        assert resp.status == 202, await resp.text()
        ids.append((await resp.json())["id"])
    for _ in range(200):  # the background worker moderates them
        found = await runtime.store.comments.get_many(ids)
        if all(c.status is Status.PENDING for c in found):
            return ids
        await asyncio.sleep(0.05)
    raise AssertionError("the worker did not hold the comments")


async def _public(service: TestClient[Any, Any]) -> list[str]:
    resp = await service.get("/api/v1/comments", params={"thread": THREAD})
    assert resp.status == 200
    return [c["id"] for c in (await resp.json())["comments"]]


async def _items(page: Page) -> list[str]:
    return [
        str(await el.get_attribute("data-id"))
        for el in await page.locator("#items > li").element_handles()
    ]


async def test_keyboard_and_bulk_moderation(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    runtime = runtime_of(service)
    await Accounts(runtime.store, runtime.keys).add_moderator(
        EMAIL, PASSWORD, "moderator", ["default"]
    )
    first, second, third = await _held_comments(service)
    assert await _public(service) == []

    context = await browser.new_context()
    context.set_default_timeout(STEP_MS)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    page.on("console", on_console)

    response = await page.goto(str(service.make_url("/moderate")))
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp

    # Sign in; the pending queue shows up, oldest first, with reasons highlighted.
    await page.fill("#login-email", EMAIL)
    await page.fill("#login-password", "not the password")
    await page.click("#login-submit")
    await page.locator("#login-error").filter(has_text="wrong email or password").wait_for()
    errors.clear()  # the 401 above is logged by the browser as a failed request
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await page.locator("#items > li").nth(2).wait_for()
    assert await _items(page) == [first, second, third]
    tomasz = page.locator(f'#items > li[data-id="{second}"]')
    assert await tomasz.locator(".body mark").inner_text() == "toll"
    assert "<b>really</b>" in await tomasz.locator(".body").inner_text()  # text, never markup
    assert "moderation_key" in await tomasz.locator(".reasons").inner_text()
    assert "r1@x.example" in await tomasz.locator(".email").inner_text()
    assert (
        await page.locator('#tabs button[data-status="pending"]').get_attribute("aria-pressed")
        == "true"
    )

    # The keyboard: `a` approves the current (first) comment.
    await page.keyboard.press("a")
    await expect(page.locator("#items > li")).to_have_count(2)
    assert await _items(page) == [second, third]

    # `x` selects, `j` moves; the bulk bar rejects both.
    await page.keyboard.press("x")
    await page.keyboard.press("j")
    await page.keyboard.press("x")
    await page.locator("#bulk-count").filter(has_text="2 comments selected").wait_for()
    await page.click('#bulk [data-bulk="reject"]')
    await page.locator("#empty").wait_for()
    assert await _items(page) == []

    # No reload: the Rejected tab lists the two, newest first.
    await page.click('#tabs button[data-status="rejected"]')
    await page.locator("#items > li").nth(1).wait_for()
    assert await _items(page) == [third, second]

    # The public thread reflects it.
    assert await _public(service) == [first]
    statuses = {
        c.id: c.status for c in await runtime.store.comments.get_many([first, second, third])
    }
    assert statuses == {first: Status.APPROVED, second: Status.REJECTED, third: Status.REJECTED}
    actors = {
        e.actor
        for cid in (first, second)
        for e in await runtime.store.comments.events(cid)
        if e.action in ("approve", "reject")
    }
    assert actors == {EMAIL}

    # Accessible, and nothing the CSP had to block, no script errors.
    report = await Axe().run(page)
    serious = [
        v["id"] for v in report.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], report.generate_report()
    assert await page.evaluate("window.__csp") == []
    assert errors == []

    # A reload keeps the session (the page asks for its CSRF token), and sign-out ends it.
    await page.reload()
    await page.locator("#who").wait_for()
    await page.click("#logout")
    await page.locator("#login-view").wait_for()
    await context.close()
