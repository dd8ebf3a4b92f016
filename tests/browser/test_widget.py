"""The widget on /demo in headless Chromium: posting, moderation notice, replies, sort, votes,
edit/delete, and "Notify of" (issue 6, acceptance 1 and 5)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Locator, expect

from tests.browser.widget_support import (
    api_only_service,
    open_demo,
    post_as_other_reader,
    subscriptions_for,
)
from tests.support import drain, runtime_of

pytestmark = pytest.mark.browser


@pytest.fixture
async def quiet_service(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[TestClient[Any, Any]]:
    async with api_only_service(tmp_path, sqlite_url, redis_url) as client:
        yield client


def item(widget: Locator, comment_id: str) -> Locator:
    return widget.locator(f'li.c[data-id="{comment_id}"]')


def own_actions(li: Locator) -> Locator:
    return li.locator(":scope > article > .acts")


async def test_guest_posts_then_replies_sorts_and_votes(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    service = quiet_service
    other = await post_as_other_reader(
        service, body="The ferry was always the quickest way to the station.", author_name="Mags"
    )
    await drain(service)
    me = await open_demo(browser, service)
    w = me.widget
    heading = w.locator("h2")
    await expect(heading).to_have_text("1 Comment")
    await expect(me.page.locator('a[data-commentsvc-count="demo/millbrook-ferry"]')).to_have_text(
        "1 Comment"
    )

    # Post as a guest: the author sees the comment, marked as awaiting moderation.
    form = w.get_by_role("form", name="Leave a comment")
    text = "I crossed on Saturday and the pilot was wonderful."
    await form.get_by_label("Comment", exact=True).fill(text)
    await form.get_by_label("Name").fill("Rowan")
    await form.get_by_role("button", name="Post Comment").click()
    await expect(w.locator(".status")).to_contain_text("awaiting moderation")
    mine = w.locator("li.c", has_text=text)
    await expect(mine).to_contain_text("Awaiting moderation")
    await expect(heading).to_have_text("1 Comment")

    # The moderation worker approves it: it joins the list, the header counts it.
    assert await drain(service) == 1
    await expect(mine).not_to_contain_text("Awaiting moderation")
    await expect(mine).to_have_attribute("class", "c")
    await expect(heading).to_have_text("2 Comments")
    await expect(me.page.locator('a[data-commentsvc-count="demo/millbrook-ferry"]')).to_have_text(
        "2 Comments"
    )
    # Your own comment: no vote buttons, but edit and delete while the window is open.
    await expect(mine.locator(".vote")).to_have_count(0)
    await expect(own_actions(mine).get_by_role("button", name="Edit")).to_be_visible()

    # Reply to the other reader.
    theirs = item(w, other["id"])
    await own_actions(theirs).get_by_role("button", name="Reply").click()
    reply_text = "Agreed, and it is far prettier than the bridge."
    await theirs.get_by_label("Your reply").fill(reply_text)
    await theirs.get_by_role("button", name="Post Reply").click()
    reply = theirs.locator(":scope > ol.replies > li.c", has_text=reply_text)
    await expect(reply).to_contain_text("Awaiting moderation")
    await expect(theirs.get_by_label("Your reply")).to_have_count(0)
    await drain(service)
    await expect(reply).not_to_contain_text("Awaiting moderation")
    await expect(heading).to_have_text("3 Comments")

    # Vote the other reader's comment up; the API agrees.
    up = own_actions(theirs).get_by_role("button", name=re.compile(r"^Vote up"))
    await up.click()
    await expect(up).to_have_attribute("aria-pressed", "true")
    await expect(up).to_have_accessible_name("Vote up (1)")
    resp = await service.get(f"/api/v1/comments/{other['id']}")
    assert (await resp.json())["votes"] == {"up": 1, "down": 0}

    # Sort: oldest first, newest first, most voted first.
    top_level = w.locator("ol.list > li.c")
    await w.get_by_role("button", name="Oldest").click()
    await expect(w.get_by_role("button", name="Oldest")).to_have_attribute("aria-pressed", "true")
    await expect(top_level.first).to_have_attribute("data-id", other["id"])
    await w.get_by_role("button", name="Newest").click()
    await expect(top_level.first).to_contain_text(text)
    await w.get_by_role("button", name="Most voted").click()
    await expect(top_level.first).to_have_attribute("data-id", other["id"])
    await expect(item(w, other["id"]).locator(":scope > ol.replies")).to_contain_text(reply_text)
    await expect(heading).to_have_text("3 Comments")
    await me.assert_clean()


async def test_author_sees_why_a_held_comment_waits(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    runtime = runtime_of(service)
    await runtime.store.sites.update(
        "default", policy={"flood_max": 10_000, "moderation_keys": ["toll"]}
    )
    runtime.service.forget_site("default")
    me = await open_demo(browser, service)
    w = me.widget
    form = w.get_by_role("form", name="Leave a comment")
    text = "Will there be a toll for cyclists next year?"
    await form.get_by_label("Comment", exact=True).fill(text)
    await form.get_by_role("button", name="Post Comment").click()
    mine = w.locator("li.c", has_text=text)
    # The worker holds it; the author learns why (live event → their own view of it).
    await expect(mine.get_by_role("list", name="Why it waits")).to_contain_text(
        "it contains a term this site reviews by hand"
    )
    await expect(mine).to_contain_text("Awaiting moderation")
    await expect(w.locator("h2")).to_have_text("0 Comments")

    # Still shown to its author after a reload; never to anyone else.
    await me.page.reload()
    await expect(mine.get_by_role("list", name="Why it waits")).to_be_visible()
    stranger = await open_demo(browser, service)
    await expect(stranger.widget.locator("h2")).to_have_text("0 Comments")
    await expect(stranger.widget.locator("li.c")).to_have_count(0)
    await me.assert_clean()
    await stranger.assert_clean()


async def test_author_edits_and_deletes_inside_the_window(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    service = quiet_service
    me = await open_demo(browser, service)
    w = me.widget
    form = w.get_by_role("form", name="Leave a comment")
    await form.get_by_label("Comment", exact=True).fill(
        "The timetable should be posted at both ends."
    )
    await form.get_by_role("button", name="Post Comment").click()
    await expect(w.locator(".status")).to_contain_text("awaiting moderation")
    await drain(service)
    mine = w.locator("li.c", has_text="The timetable should be posted")
    await expect(mine).not_to_contain_text("Awaiting moderation")

    await own_actions(mine).get_by_role("button", name="Edit").click()
    editor = mine.get_by_role("textbox", name="Your comment")
    await expect(editor).to_have_value("The timetable should be posted at both ends.")
    await editor.fill("The timetable should be posted at both landings.")
    await mine.get_by_role("button", name="Save").click()
    edited = w.locator("li.c", has_text="posted at both landings")
    await expect(edited).to_contain_text("Awaiting moderation")  # moderated again
    await drain(service)
    await expect(edited).not_to_contain_text("Awaiting moderation")
    await expect(edited).to_contain_text("(edited)")

    await own_actions(edited).get_by_role("button", name="Delete").click()
    await edited.get_by_role("button", name="Delete", exact=True).last.click()
    await expect(w.locator(".status")).to_have_text("Your comment was deleted.")
    await expect(w.locator("li.c")).to_have_count(0)
    await expect(w.locator("h2")).to_have_text("0 Comments")
    await me.assert_clean()


async def test_report_a_comment(browser: Browser, quiet_service: TestClient[Any, Any]) -> None:
    service = quiet_service
    other = await post_as_other_reader(service, body="Buy cheap watches at my shop today.")
    await drain(service)
    me = await open_demo(browser, service)
    theirs = item(me.widget, other["id"])
    await own_actions(theirs).get_by_role("button", name="Report").click()
    await theirs.get_by_label("What is wrong with it?").select_option("spam")
    await theirs.get_by_role("button", name="Send report").click()
    await expect(theirs.locator(".msg")).to_have_text(
        "Thanks for the report. A moderator will take a look."
    )
    await me.assert_clean()


async def test_name_and_email_are_remembered(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    me = await open_demo(browser, quiet_service)
    form = me.widget.get_by_role("form", name="Leave a comment")
    await form.get_by_label("Comment", exact=True).fill(
        "Lovely to see the landing stages restored."
    )
    await form.get_by_label("Name").fill("Priya")
    await form.get_by_label("Email").fill("priya@example.org")
    await form.get_by_role("button", name="Post Comment").click()
    await expect(me.widget.locator(".status")).to_contain_text("awaiting moderation")
    await me.page.reload()
    form = me.widget.get_by_role("form", name="Leave a comment")
    await expect(form.get_by_label("Name")).to_have_value("Priya")
    await expect(form.get_by_label("Email")).to_have_value("priya@example.org")
    await expect(form.get_by_label("Comment", exact=True)).to_have_value("")


async def test_load_more_pages_through_the_thread(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    service = quiet_service
    for n in range(35):
        await post_as_other_reader(service, body=f"Comment number {n} about the ferry crossing.")
    await drain(service)
    me = await open_demo(browser, service)
    w = me.widget
    await expect(w.locator("h2")).to_have_text("35 Comments")
    await expect(w.locator("ol.list > li.c")).to_have_count(30)
    await w.get_by_role("button", name="Load more comments").click()
    await expect(w.locator("ol.list > li.c")).to_have_count(35)
    await expect(w.get_by_role("button", name="Load more comments")).to_be_hidden()
    await expect(w.locator("ol.list > li.c").last).to_contain_text("Comment number 0 ")


async def test_notify_of_replies_creates_a_pending_subscription(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    me = await open_demo(browser, service)
    form = me.widget.get_by_role("form", name="Leave a comment")
    await form.get_by_label("Comment", exact=True).fill("Please tell me when someone answers.")
    await form.get_by_label("Email").fill("reader@example.org")
    await form.get_by_label("Notify of").select_option(label="New replies to my comments")
    await form.get_by_role("button", name="Post Comment").click()
    # The running worker may approve it before the check: either notice will do.
    await expect(me.widget.locator(".status")).to_contain_text(
        re.compile("awaiting moderation|is published")
    )
    rows = await subscriptions_for(service, "reader@example.org")
    # The widget's language goes with it, so the reader's emails come in it.
    assert [(r["kind"], r["confirmed_at"], r["lang"]) for r in rows] == [("replies", None, "en")]


async def test_notify_needs_an_email(browser: Browser, quiet_service: TestClient[Any, Any]) -> None:
    me = await open_demo(browser, quiet_service)
    form = me.widget.get_by_role("form", name="Leave a comment")
    await form.get_by_label("Comment", exact=True).fill("Keep me posted.")
    await form.get_by_label("Notify of").select_option("thread")
    await form.get_by_role("button", name="Post Comment").click()
    email = form.get_by_label("Email")
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(email).to_be_focused()
    await expect(form.get_by_role("alert")).to_have_text("Please fix the marked fields.")
    await expect(me.widget.locator("li.c")).to_have_count(0)


async def test_theme_follows_the_reader_and_the_page_can_override(
    browser: Browser, quiet_service: TestClient[Any, Any]
) -> None:
    background = "(el) => getComputedStyle(el.shadowRoot.querySelector('section')).backgroundColor"
    light = await open_demo(browser, quiet_service, color_scheme="light")
    dark = await open_demo(browser, quiet_service, color_scheme="dark")
    assert await light.widget.evaluate(background) == "rgb(255, 255, 255)"
    assert await dark.widget.evaluate(background) == "rgb(27, 30, 35)"
    # The host page's override wins over the reader's preference, live.
    await dark.page.evaluate(
        "document.documentElement.setAttribute('data-commentsvc-theme', 'light')"
    )
    await expect(dark.widget.locator("section")).to_have_css(
        "background-color", "rgb(255, 255, 255)"
    )
    # Colours are custom properties the page can set on the container.
    await light.widget.evaluate("(el) => el.style.setProperty('--csvc-accent', 'rgb(120, 0, 40)')")
    await expect(light.widget.get_by_role("button", name="Post Comment")).to_have_css(
        "background-color", "rgb(120, 0, 40)"
    )
    await light.assert_clean()
    await dark.assert_clean()
