"""Issue 14: the moderators' workspace on /moderate, by keyboard where a key exists.

History, edits, a decision with a note, bans (listed, searched, lifted), the
thread view, and an admin's policy editor with its "what if" replay. Headless
Chromium (/usr/bin/chromium) through Playwright, against the whole service.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Response, expect

from commentsvc.auth import Accounts
from commentsvc.clock import now_utc
from commentsvc.models import Status
from tests.browser.test_moderate_page import (
    PASSWORD,
    STEP_MS,
    THREAD,
    WATCH_CSP,
    _held_comments,
    _items,
)
from tests.support import runtime_of

pytestmark = pytest.mark.browser

MODERATOR = "desk@news.example"
ADMIN = "chief@news.example"


class Watched:
    """A page with what went wrong on it: script errors, CSP reports, 404s."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.missing: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, msg: ConsoleMessage) -> None:
        # The browser logs each 4xx answer; the 422s these tests provoke are expected.
        expected = msg.text.startswith("Failed to load resource") and "(Unprocessable" in msg.text
        if msg.type == "error" and not expected:
            self.errors.append(msg.text)

    def _response(self, response: Response) -> None:
        if response.status == 404:
            self.missing.append(response.url)

    async def clean(self) -> None:
        assert await self.page.evaluate("window.__csp") == []
        assert self.errors == []
        assert self.missing == []  # no favicon 404 either


async def _accessible(page: Page) -> None:
    """axe-core finds nothing serious or critical on what the page shows now."""
    report = await Axe().run(page)
    serious = [
        v["id"] for v in report.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], report.generate_report()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context()
    context.set_default_timeout(STEP_MS)
    await context.add_init_script(WATCH_CSP)
    try:
        yield context
    finally:
        await context.close()


async def _sign_in(
    service: TestClient[Any, Any], context: BrowserContext, email: str, role: str = "moderator"
) -> Watched:
    runtime = runtime_of(service)
    await Accounts(runtime.store, runtime.keys).add_moderator(email, PASSWORD, role, ["default"])
    watched = Watched(await context.new_page())
    page = watched.page
    await page.goto(str(service.make_url("/moderate")))
    await page.locator("#login-email").wait_for()
    await page.fill("#login-email", email)
    await page.fill("#login-password", PASSWORD)
    await page.keyboard.press("Enter")
    await page.locator("#who").wait_for()
    watched.errors.clear()  # the signed-out page's first /auth/session is a logged 401
    return watched


async def _approved(service: TestClient[Any, Any], posts: list[dict[str, Any]]) -> list[str]:
    """Post comments (to THREAD unless given) and wait until the worker approves them all."""
    runtime = runtime_of(service)
    ids = []
    for n, fields in enumerate(posts):
        body = {
            "thread": THREAD,
            "author_name": f"Reader {n}",
            "author_email": f"reader{n}@x.example",
            **fields,
        }
        resp = await service.post("/api/v1/comments", json=body)
        assert resp.status == 202, await resp.text()
        ids.append((await resp.json())["id"])
        if "parent_id" not in fields:
            await _settled(service, ids)  # a reply needs its parent approved
    await _settled(service, ids)
    found = await runtime.store.comments.get_many(ids)
    assert all(c.status is Status.APPROVED for c in found), [c.status for c in found]
    return ids


async def _settled(service: TestClient[Any, Any], ids: list[str]) -> None:
    runtime = runtime_of(service)
    for _ in range(200):
        found = await runtime.store.comments.get_many(ids)
        if all(c.status is not Status.RECEIVED for c in found):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker did not moderate the comments")


async def test_a_note_an_edit_and_the_history(
    context: BrowserContext, service: TestClient[Any, Any]
) -> None:
    runtime = runtime_of(service)
    first, second, third = await _held_comments(service)
    watched = await _sign_in(service, context, MODERATOR)
    page = watched.page
    await page.locator("#items > li").nth(2).wait_for()
    await expect(page.locator("#status")).to_have_text("3 shown")

    # `n`: decide with a note; the note goes with the decision into the history.
    await page.keyboard.press("n")
    await expect(page.locator("#note-text")).to_be_focused()
    await page.keyboard.type("Checked with the transport desk")
    await page.keyboard.press("Tab")  # the first action: approve
    await expect(page.locator("[data-note-action=approve]")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#items > li")).to_have_count(2)
    assert await _items(page) == [second, third]
    await expect(page.locator("#status")).to_contain_text("approve done, with a note")
    decided = await runtime.store.comments.get(first)
    assert decided is not None and decided.status is Status.APPROVED
    notes = [
        (e.action, e.actor, e.note)
        for e in await runtime.store.comments.events(first)
        if e.action == "approve"
    ]
    assert notes == [("approve", MODERATOR, "Checked with the transport desk")]

    # `e`: edit the current comment (Tomasz's); the edit is saved and audited.
    await page.keyboard.press("e")
    await expect(page.locator("#edit-body")).to_be_focused()
    assert await page.locator("#edit-body").input_value() == (
        "The toll is far too high <b>really</b>."
    )
    await page.fill("#edit-body", "The toll is far too high.")
    await page.keyboard.press("Tab")
    await page.keyboard.type("markup removed")
    await page.keyboard.press("Enter")
    await expect(page.locator("#panel")).to_be_hidden()
    tomasz = page.locator(f'#items > li[data-id="{second}"]')
    await expect(tomasz.locator(".body")).to_have_text("The toll is far too high.")
    edited = await runtime.store.comments.get(second)
    assert edited is not None and edited.body == "The toll is far too high."
    assert edited.status is Status.PENDING
    edits = [e for e in await runtime.store.comments.events(second) if e.action == "edit"]
    assert len(edits) == 1 and edits[0].actor == MODERATOR
    assert edits[0].note.startswith("markup removed")
    assert "The toll is far too high <b>really</b>." in edits[0].note

    # An empty body is refused, and the message names the field by its label.
    await page.keyboard.press("e")
    await page.fill("#edit-body", "")
    await page.focus("#edit-note")
    await page.keyboard.press("Enter")
    error = page.locator("#edit-form .error")
    await expect(error).to_contain_text("Text:")
    assert "body" not in await error.inner_text()
    await page.keyboard.press("Escape")
    await expect(page.locator("#panel")).to_be_hidden()
    await expect(tomasz).to_have_class("item current")

    # `h`: the history, with the edit, who made it, and the previous text.
    await page.keyboard.press("h")
    history = page.locator("#history-list")
    await history.locator("li").nth(1).wait_for()
    actions = [await li.get_attribute("data-action") for li in await history.locator("li").all()]
    assert actions[-1] == "edit"
    last = history.locator("li").last
    await expect(last).to_contain_text(f"edited by {MODERATOR}")
    await expect(last.locator(".event-note")).to_contain_text("markup removed")
    await expect(last.locator(".event-note")).to_contain_text("<b>really</b>")
    await _accessible(page)
    await page.keyboard.press("Escape")

    # The approved comment's history shows the note with the decision.
    await page.click('#tabs button[data-status="approved"]')
    await page.locator(f'#items > li[data-id="{first}"]').wait_for()
    await page.keyboard.press("h")
    approved = page.locator('#history-list li[data-action="approve"]')
    await expect(approved).to_contain_text(f"approved by {MODERATOR}")
    await expect(approved.locator(".event-note")).to_have_text("Checked with the transport desk")
    await page.keyboard.press("Escape")
    await watched.clean()


async def test_the_thread_view(context: BrowserContext, service: TestClient[Any, Any]) -> None:
    (top,) = await _approved(service, [{"body": "The bridge reopens on Monday."}])
    reply, sibling = await _approved(
        service,
        [
            {"body": "About time too.", "parent_id": top},
            {"body": "Will the toll stay?", "parent_id": top},
        ],
    )
    (deeper,) = await _approved(service, [{"body": "It goes up in May.", "parent_id": reply}])
    watched = await _sign_in(service, context, MODERATOR)
    page = watched.page
    await page.click('#tabs button[data-status="approved"]')
    await page.locator(f'#items > li[data-id="{reply}"]').wait_for()
    # Approved lists newest first: deeper, sibling, reply, top.
    for _ in range(3):
        if await page.locator("#items > li.current").get_attribute("data-id") == reply:
            break
        await page.keyboard.press("j")
    await expect(page.locator("#items > li.current")).to_have_attribute("data-id", reply)

    await page.keyboard.press("t")
    listed = page.locator("#thread-list > li")
    await expect(listed).to_have_count(3)
    ids = [await li.get_attribute("data-id") for li in await listed.all()]
    assert ids == [top, reply, deeper]  # its parent, the comment, its replies (not a sibling's)
    assert sibling not in ids
    here = page.locator("#thread-list > li.here")
    assert await here.get_attribute("data-id") == reply
    await expect(here).to_have_attribute("aria-current", "true")
    await expect(here.locator(".body")).to_have_text("About time too.")
    await expect(page.locator(f'#thread-list > li[data-id="{deeper}"]')).to_have_class(
        "thread-item depth-2"
    )
    await expect(page.locator("#panel-title")).to_contain_text(THREAD)
    # Without leaving the page: Escape closes it and the queue is where it was.
    await page.keyboard.press("Escape")
    await expect(page.locator("#panel")).to_be_hidden()
    assert page.url.endswith("/moderate")
    assert await page.locator("#items > li.current").get_attribute("data-id") == reply
    await watched.clean()


async def test_bans_listed_searched_and_lifted(
    context: BrowserContext, service: TestClient[Any, Any]
) -> None:
    runtime = runtime_of(service)
    watched = await _sign_in(service, context, MODERATOR)
    page = watched.page
    until_at = now_utc() + timedelta(days=30)
    expires = until_at.isoformat()
    csrf = await _csrf(page)
    for kind, value, reason, until in [
        ("email", "troll@junk.example", "abuse in the bridge thread", expires),
        ("domain", "spam.example", "link farm", None),
        ("name", "Bridge Hater", "", None),
    ]:
        resp = await page.request.post(
            str(service.make_url("/api/v1/moderation/bans")),
            data={"kind": kind, "value": value, "reason": reason, "expires_at": until},
            headers={"X-CSRF-Token": csrf},
        )
        assert resp.status == 201, await resp.text()

    # `b`: the bans, each with its reason and expiry, the search box focused.
    await page.keyboard.press("b")
    rows = page.locator("#ban-rows > tr")
    await expect(rows).to_have_count(3)
    await expect(page.locator("#ban-q")).to_be_focused()
    troll = rows.filter(has_text="troll@junk.example")
    await expect(troll.locator(".ban-reason")).to_have_text("abuse in the bridge thread")
    shown_until = await troll.locator(".ban-expires time").get_attribute("datetime")
    assert shown_until is not None
    assert abs(datetime.fromisoformat(shown_until) - until_at) < timedelta(milliseconds=1)
    await expect(rows.filter(has_text="spam.example").locator(".ban-expires")).to_have_text("never")

    # Search narrows the list (value, reason or moderator).
    await page.keyboard.type("link farm")
    await expect(rows).to_have_count(1)
    await expect(rows.first.locator(".ban-value")).to_have_text("spam.example")
    await _accessible(page)
    await page.fill("#ban-q", "")
    await expect(rows).to_have_count(3)

    # Lift one by keyboard: Tab to its button, Enter.
    await page.fill("#ban-q", "troll")
    await expect(rows).to_have_count(1)
    await page.keyboard.press("Tab")  # the "Include expired" box
    await page.keyboard.press("Tab")
    await expect(page.locator("#ban-rows button.lift")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#status")).to_contain_text("Lifted the ban on email")
    await expect(rows).to_have_count(0)
    stored = {b.value for b in await runtime.store.review.bans("default")}
    assert "troll@junk.example" not in stored and "spam.example" in stored
    await page.fill("#ban-q", "")
    await expect(rows).to_have_count(2)

    # A ban added on the page, and a bad one refused by its labels.
    await page.select_option("#ban-kind", "domain")
    await page.fill("#ban-value", "not a domain")
    await page.click("#ban-form button[type=submit]")
    await expect(page.locator("#status")).to_contain_text("Value:")
    await page.fill("#ban-value", "junk.example")
    await page.fill("#ban-reason", "throwaway addresses")
    await page.focus("#ban-reason")
    await page.keyboard.press("Enter")
    await expect(rows).to_have_count(3)
    await expect(rows.filter(has_text="junk.example").locator(".ban-reason")).to_have_text(
        "throwaway addresses"
    )
    stored = {b.value for b in await runtime.store.review.bans("default")}
    assert len(stored) == 3 and {"spam.example", "junk.example"} <= stored

    # `q` goes back to the queue.
    await page.keyboard.press("Escape")  # out of the form field
    await page.keyboard.press("q")
    await expect(page.locator("#queue-view")).to_be_visible()
    await expect(page.locator("#bans-view")).to_be_hidden()
    # The status line is hidden while it has nothing to say.
    await expect(page.locator("#status")).to_have_text("")
    await expect(page.locator("#status")).to_be_hidden()
    await watched.clean()


async def _csrf(page: Page) -> str:
    resp = await page.request.get(page.url.replace("/moderate", "/api/v1/auth/session"))
    return str((await resp.json())["csrf_token"])


async def test_an_admin_edits_the_policy_after_a_replay(
    context: BrowserContext, service: TestClient[Any, Any]
) -> None:
    runtime = runtime_of(service)
    ids = await _approved(
        service,
        [{"body": f"Great crypto offer number {n}, act now"} for n in range(3)]
        + [{"body": f"A thoughtful reply, part {n}."} for n in range(3)],
    )
    crypto = set(ids[:3])
    before = await runtime.store.sites.get("default")
    assert before is not None
    watched = await _sign_in(service, context, ADMIN, role="admin")
    page = watched.page
    await page.locator("#items").wait_for(state="attached")

    # `p`: the policy form, every field, labelled, with its help.
    await page.keyboard.press("p")
    fields = page.locator("#policy-fields > .field")
    policy = await (
        await page.request.get(str(service.make_url("/api/v1/sites/default/policy")))
    ).json()
    await expect(fields).to_have_count(len(policy))
    keys = page.locator("#pf-moderation_keys")
    await expect(page.locator("label[for=pf-moderation_keys]")).to_have_text("Moderation keys")
    await expect(page.locator("#pf-moderation_keys-help")).to_contain_text("waits for review")
    assert await keys.get_attribute("aria-describedby") == (
        "pf-moderation_keys-help pf-moderation_keys-error"
    )
    await expect(page.locator("#pf-flood_max")).to_have_value("10000")
    await expect(page.locator("#policy-save")).to_be_disabled()

    # The browser checks a range first, naming the field by its label.
    await page.fill("#pf-max_links", "5000")
    await page.focus("#pf-max_links")
    await page.keyboard.press("Enter")  # submits: the replay
    await expect(page.locator("#policy-error")).to_contain_text("Link limit:")
    await expect(page.locator("#pf-max_links")).to_have_attribute("aria-invalid", "true")
    await page.fill("#pf-max_links", "2")

    # The server's checks too (a desk-hours window that can't be), by label.
    await page.fill("#pf-hold_schedule", "mon-fri 25:00-08:00")
    await page.focus("#pf-max_links")
    await page.keyboard.press("Enter")
    await expect(page.locator("#policy-error")).to_contain_text("Desk hours off:")
    assert "hold_schedule" not in await page.locator("#policy-error").inner_text()
    await expect(page.locator("#pf-hold_schedule-error")).not_to_be_empty()
    await page.fill("#pf-hold_schedule", "")

    # The what-if: moderation key "crypto" would hold the three crypto comments.
    await page.fill("#pf-moderation_keys", "crypto")
    await page.focus("#replay-days")
    await page.keyboard.press("Enter")
    summary = page.locator("#replay-summary")
    await expect(summary).to_contain_text("would hold 3")
    await expect(summary).to_contain_text("Of 6 comments in the last 7 days")
    await expect(page.locator('#replay-rules li[data-rule="moderation_key"]')).to_have_text(
        "would hold 3 by moderation_key"
    )
    examples = page.locator("#replay-examples > li")
    await expect(examples).to_have_count(3)
    assert {await li.get_attribute("data-id") for li in await examples.all()} == crypto
    await expect(examples.first.locator(".body mark")).to_have_text("crypto")
    await expect(examples.first.locator(".badge")).to_have_text("approved → pending")
    await expect(examples.first.locator(".reasons")).to_contain_text("moderation_key")
    await _accessible(page)
    # Nothing changed: the stored policy and the comments are as they were.
    after = await runtime.store.sites.get("default")
    assert after is not None and after.policy == before.policy
    found = await runtime.store.comments.get_many(ids)
    assert all(c.status is Status.APPROVED for c in found)

    # A change after the replay turns Save off until the next replay.
    await expect(page.locator("#policy-save")).to_be_enabled()
    await page.fill("#pf-flag_threshold", "4")
    await expect(page.locator("#policy-save")).to_be_disabled()
    await page.focus("#replay-days")
    await page.keyboard.press("Enter")
    await expect(page.locator("#status")).to_contain_text("Replay done")
    await expect(page.locator("#policy-save")).to_be_enabled()
    await page.focus("#policy-save")
    await page.keyboard.press("Enter")
    await expect(page.locator("#status")).to_contain_text("Policy of default saved")
    saved = await (
        await page.request.get(str(service.make_url("/api/v1/sites/default/policy")))
    ).json()
    assert saved["moderation_keys"] == ["crypto"]
    assert saved["flag_threshold"] == 4 and saved["flood_max"] == 10_000
    assert saved["max_links"] == 2 and saved["hold_schedule"] == []
    await watched.clean()


async def test_the_policy_is_for_admins_only(
    context: BrowserContext, service: TestClient[Any, Any]
) -> None:
    watched = await _sign_in(service, context, MODERATOR)
    page = watched.page
    await expect(page.locator('#views [data-view="policy"]')).to_be_hidden()
    await page.keyboard.press("p")
    await expect(page.locator("#policy-view")).to_be_hidden()
    await expect(page.locator("#queue-view")).to_be_visible()
    await watched.clean()


async def test_a_bulk_decision_carries_its_note(
    context: BrowserContext, service: TestClient[Any, Any]
) -> None:
    runtime = runtime_of(service)
    first, second, third = await _held_comments(service)
    watched = await _sign_in(service, context, MODERATOR)
    page = watched.page
    await page.locator("#items > li").nth(2).wait_for()
    await page.keyboard.press("x")
    await page.keyboard.press("j")
    await page.keyboard.press("x")
    await page.locator("#bulk-count").filter(has_text="2 comments selected").wait_for()
    await page.fill("#bulk-note", "off topic")
    await page.click('#bulk [data-bulk="reject"]')
    await expect(page.locator("#items > li")).to_have_count(1)
    assert await _items(page) == [third]
    await expect(page.locator("#bulk-note")).to_have_value("")
    for cid in (first, second):
        found = [e for e in await runtime.store.comments.events(cid) if e.action == "reject"]
        assert [(e.actor, e.note) for e in found] == [(MODERATOR, "off topic")]
    await watched.clean()
