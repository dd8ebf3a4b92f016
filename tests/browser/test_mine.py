"""A reader's data rights end to end (issue 13, acceptance 6): from the widget, ask for the
"My comments" link, open it from the Maildir, see a held comment and why, unsubscribe from one
thread, download everything, erase it; then no API answer and no table holds the address."""

from __future__ import annotations

import asyncio
import json
import mailbox
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from commentsvc.clock import now_utc
from commentsvc.models import Status, SubscriptionKind
from tests.browser.widget_support import (
    DEMO_THREAD,
    STEP_MS,
    open_demo,
    open_page,
    post_as_other_reader,
)
from tests.moderators.helpers import moderator_token
from tests.support import runtime_of
from tests.web.mine_support import tables_holding

pytestmark = pytest.mark.browser

Client = TestClient[Any, Any]
EMAIL = "Robin.Reader@Example.org"
OTHER_THREAD = "demo/harbour-lights"


async def wait_for_status(service: Client, comment_id: str, *statuses: Status) -> None:
    store = runtime_of(service).store
    for _ in range(STEP_MS // 20):
        comment = await store.comments.get(comment_id)
        if comment is not None and comment.status in statuses:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"comment {comment_id} never reached {statuses}")


async def wait_for_mail(maildir: Path, to: str) -> EmailMessage:
    """The first email to `to` in the service's Maildir (the notifier writes it)."""
    for _ in range(STEP_MS // 20):
        if all((maildir / sub).is_dir() for sub in ("tmp", "new", "cur")):  # made one by one
            for raw in mailbox.Maildir(maildir, create=False):
                message = message_from_bytes(raw.as_bytes(), policy=policy.default)
                if message["To"] == to:
                    return message  # type: ignore[return-value]
        await asyncio.sleep(0.02)
    raise AssertionError(f"no email to {to} in {maildir}")


async def subscribe(service: Client, thread_key: str, title: str, kind: SubscriptionKind) -> None:
    store = runtime_of(service).store
    thread = await store.threads.ensure("default", thread_key, "", title)
    sub = await store.subscriptions.request(
        "default", thread.id, EMAIL, kind, now_utc(), confirmation=False
    )
    assert await store.subscriptions.confirm(sub.id, now_utc()) is not None


async def test_a_reader_sees_takes_and_erases_their_data(
    browser: Browser, service: Client, tmp_path: Path
) -> None:
    runtime = runtime_of(service)
    await runtime.store.sites.update(
        "default", policy={"flood_max": 10_000, "moderation_keys": ["refund"]}
    )
    runtime.service.forget_site("default")
    published = await post_as_other_reader(
        service,
        body="The ferry timetable is much better now.",
        author_name="Robin",
        author_email=EMAIL,
    )
    held = await post_as_other_reader(
        service,
        body="Will they refund the cancelled crossings?",
        author_name="Robin",
        author_email=EMAIL,
    )
    await wait_for_status(service, published["id"], Status.APPROVED)
    reply = await post_as_other_reader(
        service,
        body="Agreed, the early boat helps.",
        author_name="Mags",
        parent_id=published["id"],
        author_email="mags@example.org",
    )
    await wait_for_status(service, held["id"], Status.PENDING)
    await wait_for_status(service, reply["id"], Status.APPROVED)
    await subscribe(service, DEMO_THREAD, "Millbrook ferry", SubscriptionKind.REPLIES)
    await subscribe(service, OTHER_THREAD, "Harbour lights", SubscriptionKind.THREAD)

    # The widget: "Manage my comments and emails" asks for a link.
    me = await open_demo(browser, service)
    w = me.widget
    await w.locator("summary", has_text="Manage my comments and emails").click()
    manage = w.get_by_role("form", name="Manage my comments and emails")
    await manage.get_by_label("Your email").fill(EMAIL)
    await manage.get_by_role("button", name="Email me a link").click()
    await expect(manage.get_by_role("status")).to_contain_text("a link to them is on its way")
    await me.assert_clean()

    # The link arrives in the Maildir; the reader opens it.
    mail = await wait_for_mail(runtime.settings.maildir, EMAIL.lower())
    body = mail.get_body(("plain",))
    assert body is not None
    found = re.search(r"https?://[^/\s]+(/m/[A-Za-z0-9_\-.]+)", body.get_content())
    assert found, body.get_content()
    link = found.group(1)
    mine = await open_page(browser, str(service.make_url(link)))
    page = mine.page
    await expect(page.get_by_role("heading", name="Your comments and emails")).to_be_visible()
    held_item = page.locator(f'li[data-id="{held["id"]}"]')
    await expect(held_item).to_contain_text("Held for review")
    await expect(held_item).to_contain_text(
        "Why it waits: it contains a term this site reviews by hand."
    )
    published_item = page.locator(f'li[data-id="{published["id"]}"]')
    await expect(published_item).to_contain_text("Published")
    await expect(published_item.locator("li.reply")).to_contain_text(
        "Agreed, the early boat helps."
    )
    await expect(page.locator("body")).not_to_contain_text("mags@example.org")

    # Unsubscribe from one thread; the other subscription stays.
    await page.get_by_role("button", name="Unsubscribe from new comments on Harbour lights").click()
    await expect(page.get_by_role("status")).to_contain_text("Unsubscribed")
    await expect(page.locator("li[data-subscription]")).to_have_count(1)
    await expect(page.locator("li[data-subscription]")).to_contain_text("Millbrook ferry")

    # Download everything.
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download my data").click()
    download = await downloading.value
    saved = tmp_path / "my-comments.json"
    await download.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["email"] == EMAIL.lower()
    assert {c["id"] for c in data["comments"]} == {published["id"], held["id"]}
    assert [s["thread"]["key"] for s in data["subscriptions"]] == [DEMO_THREAD]
    [waiting] = [c for c in data["comments"] if c["id"] == held["id"]]
    assert waiting["status"] == "pending" and waiting["held_because"][0]["rule"] == "moderation_key"

    # Erase it.
    await page.get_by_label("I understand this can't be undone").check()
    await page.get_by_role("button", name="Erase my data").click()
    await expect(page.get_by_role("status")).to_contain_text("Your data is erased")
    await mine.assert_clean()

    # No table holds the address (in any case), and no API answer does.
    assert await tables_holding(runtime.store, EMAIL) == []
    admin = await moderator_token(service, "chief@example.org", role="admin")
    answers = []
    for path, params, headers in (
        ("/api/v1/comments", {"thread": DEMO_THREAD}, {}),
        (f"/api/v1/comments/{published['id']}", {}, {}),
        (f"/api/v1/comments/{reply['id']}", {}, {}),
        ("/api/v1/moderation/comments", {"status": "all"}, admin),
        (f"/api/v1/moderation/comments/{held['id']}", {}, admin),
        (f"/api/v1/moderation/comments/{held['id']}/events", {}, admin),
    ):
        resp = await service.get(path, params=params, headers=headers)
        answers.append(await resp.text())
    resp = await service.post(
        "/api/v1/moderation/people/export", json={"email": EMAIL}, headers=admin
    )
    exported = await resp.json()
    assert exported["comments"] == exported["subscriptions"] == exported["emails"] == []
    for answer in answers:
        assert EMAIL.casefold() not in answer.casefold()
    assert "Agreed, the early boat helps." in answers[0]  # replies by others stay
    assert (await service.get(link, headers={"Accept": "text/html"})).status == 404
