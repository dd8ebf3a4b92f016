"""Featured comments and staff replies in the widget (issue 14): a "Featured" strip above the
thread (never instead of it), the comment marked in place, a "Staff" badge on a desk reply."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, expect

from tests.browser.widget_support import (
    STEP_MS,
    open_demo,
    post_as_other_reader,
    wait_for_count,
    wait_for_live_readers,
)
from tests.moderators.helpers import moderator_token


async def test_featured_strip_marks_in_place_and_a_staff_reply_has_its_badge(
    browser: Browser, service: TestClient[Any, Any]
) -> None:
    headers = await moderator_token(service, "desk@example.org", sites=("*",))
    first = await post_as_other_reader(
        service, body="The timetable on the landing is already out of date.", author_name="Ines"
    )
    await wait_for_count(service, 1)
    second = await post_as_other_reader(service, body="Lovely to see the Heron running again.")
    await wait_for_count(service, 2)

    me = await open_demo(browser, service)
    w = me.widget
    strip = w.get_by_role("region", name="Featured")
    await expect(strip).to_be_hidden()
    await wait_for_live_readers(service, 1)

    # Featured by a moderator: the open page shows it in the strip (a live update) and
    # marks it in place; the thread still holds both comments.
    resp = await service.post(
        f"/api/v1/moderation/comments/{first['id']}/feature",
        json={"featured": True},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    await expect(strip).to_be_visible(timeout=STEP_MS)
    await expect(strip.locator("li")).to_have_count(1)
    await expect(strip).to_contain_text("already out of date")
    await expect(strip).to_contain_text("Ines")
    in_place = w.locator(f'ol.list li.c[data-id="{first["id"]}"]')
    await expect(in_place).to_have_class("c featured")
    await expect(in_place.locator(":scope > article .badge")).to_have_text("Featured")
    await expect(w.locator(f'ol.list li.c[data-id="{second["id"]}"]')).not_to_have_class(
        "c featured"
    )
    await expect(w.locator("ol.list > li.c")).to_have_count(2)  # never instead of the thread
    # The strip sits above the thread, and its link goes to the comment in place.
    strip_box, list_box = await strip.bounding_box(), await w.locator("ol.list").bounding_box()
    assert strip_box and list_box and strip_box["y"] < list_box["y"]
    await strip.get_by_role("link", name="Go to this comment in the thread").click()
    await expect(in_place.locator(":scope > article")).to_be_focused()

    # A fresh page view shows the same (from the thread's `featured` list).
    again = await open_demo(browser, service)
    await expect(again.widget.get_by_role("region", name="Featured").locator("li")).to_have_count(1)
    await again.context.close()

    # A staff reply: approved at once, with its badge.
    resp = await service.post(
        f"/api/v1/moderation/comments/{second['id']}/replies",
        json={"body": "Thanks, the new timetable goes up on Monday.", "author_name": "The Desk"},
        headers=headers,
    )
    assert resp.status == 201, await resp.text()
    staff = await resp.json()
    await me.page.reload()
    reply = w.locator(f'li.c[data-id="{staff["id"]}"]')
    await expect(reply).to_contain_text("The Desk")
    await expect(reply.locator(":scope > article .badge.staff")).to_have_text("Staff")
    await expect(w.locator(f'li.c[data-id="{first["id"]}"] > article .badge.staff')).to_have_count(
        0
    )
    await wait_for_live_readers(service, 1)

    # Rejected later: it leaves the strip (and the thread) on the open page.
    resp = await service.post(
        f"/api/v1/moderation/comments/{first['id']}/decision",
        json={"action": "reject"},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    await expect(strip).to_be_hidden(timeout=STEP_MS)
    await expect(strip.locator("li")).to_have_count(0)
    await expect(w.locator(f'li.c[data-id="{first["id"]}"]')).to_have_count(0)
    await me.assert_clean()
