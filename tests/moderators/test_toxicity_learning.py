"""Learning from moderators, end to end: rejections of a new kind of abuse teach the site."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from commentsvc.models import Status
from tests.moderation.test_toxicity import NEW_KIND
from tests.moderators.helpers import moderator_token, post
from tests.support import drain, runtime_of

pytest.importorskip("onnxruntime", reason="the toxicity extra is not installed")

Client = TestClient[Any, Any]
THREAD = "local/bandstand-reopens"


async def set_policy(client: Client, **policy: Any) -> None:
    runtime = runtime_of(client)
    site = await runtime.store.sites.get("default")
    await runtime.store.sites.update("default", policy={**(site.policy if site else {}), **policy})
    runtime.service.forget_site("default")


async def status_and_reasons(client: Client, comment_id: str) -> tuple[Status, list[str]]:
    stored = await runtime_of(client).store.comments.get(comment_id)
    assert stored is not None
    return stored.status, [f"{r.rule}: {r.detail}" for r in stored.reasons]


BEFORE = "Another lovely day at the cricket pavilion, Brian. The pond misses you."
AFTER = "Another lovely day at the boating lake, Linda. The pond misses you."
CIVIL = "Lovely to see the bandstand open again, the brass band was superb."


async def test_fifty_rejections_teach_the_site_and_the_reason_says_so(client: Client) -> None:
    await set_policy(client, toxicity_threshold=0.5, flood_max=10_000, duplicate_window_s=0)
    headers = await moderator_token(client, "editor@example.org", role="admin")
    taunts = [(await post(client, thread=THREAD, body=t))["id"] for t in NEW_KIND]
    before = await post(client, thread=THREAD, body=BEFORE)
    await drain(client)
    got = await status_and_reasons(client, before["id"])
    assert got[0] is Status.APPROVED, got  # the shipped model does not know this kind
    resp = await client.post(  # the moderators reject the lot (held or published)
        "/api/v1/moderation/decisions", json={"ids": taunts, "action": "reject"}, headers=headers
    )
    assert resp.status == 200, await resp.text()

    fresh = await post(client, thread=THREAD, body=AFTER)
    civil = await post(client, thread=THREAD, body=CIVIL)
    await drain(client)  # the worker reads what the moderators decided before it judges
    status, reasons = await status_and_reasons(client, fresh["id"])
    assert status is Status.PENDING, reasons
    (reason,) = [r for r in reasons if r.startswith("toxicity:")]
    assert "learned from 50 moderator decisions on this site" in reason
    assert "comment(s) they rejected" in reason
    assert (await status_and_reasons(client, civil["id"]))[0] is Status.APPROVED

    await set_policy(client, learn_from_moderators=False)  # a moderator turns it off
    again = await post(client, thread="local/another-article", body=BEFORE)
    await drain(client)
    got = await status_and_reasons(client, again["id"])
    assert got[0] is Status.APPROVED, got
