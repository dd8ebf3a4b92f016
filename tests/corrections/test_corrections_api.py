"""The corrections desk over HTTP: readers report, moderators decide, the public sees markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from tests.moderators.helpers import moderator_token
from tests.support import drain, live_client, make_settings, runtime_of
from tests.web.helpers import expect_problem

Client = TestClient[Any, Any]
KEY = "world/figures"
ANCHOR = {"quote": "42 million", "prefix": "about ", "suffix": " people", "block": "p2"}


async def report(client: Client, **fields: Any) -> Any:
    data = {"thread": KEY, "anchor": ANCHOR, "note": "The census says 24 million.", **fields}
    return await client.post("/api/v1/corrections", json=data)


async def reports(client: Client, headers: dict[str, str], status: str = "open") -> Any:
    resp = await client.get(
        "/api/v1/moderation/corrections", params={"status": status}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_a_report_reaches_the_desk_and_never_the_public_thread(client: Client) -> None:
    resp = await report(client, email="Reader@Example.org", lang="de-AT")
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["status"] == "accepted"
    await drain(client)
    thread = await client.get("/api/v1/comments", params={"thread": KEY})
    body = await thread.json()
    assert body["comments"] == [] and body["thread"]["count"] == 0
    assert body["thread"]["feedback_count"] == 0
    feedback = await client.get("/api/v1/comments", params={"thread": KEY, "filter": "feedback"})
    assert (await feedback.json())["comments"] == []
    public = await client.get("/api/v1/corrections", params={"thread": KEY})
    assert (await public.json())["corrections"] == []
    counts = await client.get("/api/v1/counts", params={"thread": KEY})
    assert (await counts.json())["counts"][KEY] == 0

    mod = await moderator_token(client, "desk@example.org")
    listed = await reports(client, mod)
    assert listed["open_count"] == 1
    [item] = listed["items"]
    assert item["note"] == "The census says 24 million."
    assert item["anchor"] == ANCHOR
    assert item["reporter_email"] == "reader@example.org"
    assert item["lang"] == "de"
    assert item["thread"]["key"] == KEY
    assert item["status"] == "open"


async def test_a_corrected_passage_is_public_with_no_reporter_data(client: Client) -> None:
    assert (await report(client, email="reader@example.org")).status == 202
    mod = await moderator_token(client, "desk@example.org")
    [item] = (await reports(client, mod))["items"]
    resp = await client.post(
        f"/api/v1/moderation/corrections/{item['id']}/decision",
        json={"action": "correct", "public_note": "The figure now reads 24 million."},
        headers=mod,
    )
    decided = await resp.json()
    assert resp.status == 200, decided
    assert decided["status"] == "corrected" and decided["decided_by"] == "desk@example.org"
    public = await client.get("/api/v1/corrections", params={"thread": KEY})
    assert public.status == 200
    raw = await public.read()
    [passage] = orjson.loads(raw)["corrections"]
    assert passage["anchor"] == ANCHOR
    assert passage["public_note"] == "The figure now reads 24 million."
    assert passage["corrected_at"].endswith("Z")
    assert set(passage) == {"id", "anchor", "public_note", "corrected_at"}
    for private in (b"reader@example.org", b"census", b"desk@example.org"):
        assert private not in raw
    assert (await reports(client, mod))["open_count"] == 0
    everything = await reports(client, mod, "all")
    assert [i["status"] for i in everything["items"]] == ["corrected"]


async def test_not_an_error_and_duplicate_show_nothing_in_public(client: Client) -> None:
    mod = await moderator_token(client, "desk@example.org")
    for _ in range(2):
        assert (await report(client)).status == 202
    a, b = (await reports(client, mod))["items"]
    for item, action in ((a, "not_an_error"), (b, "duplicate")):
        resp = await client.post(
            f"/api/v1/moderation/corrections/{item['id']}/decision",
            json={"action": action, "public_note": "nothing public"},
            headers=mod,
        )
        assert (await resp.json())["status"] == action
    public = await client.get("/api/v1/corrections", params={"thread": KEY})
    assert (await public.json())["corrections"] == []


async def test_bad_reports_are_problems_listing_every_field(client: Client) -> None:
    resp = await client.post("/api/v1/corrections", json={"thread": "", "note": 3})
    body = await expect_problem(resp, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"thread", "anchor", "note"} <= fields
    resp = await report(client, anchor={"quote": "", "block": ""}, email="not an address")
    body = await expect_problem(resp, 422)
    assert {e["field"] for e in body["errors"]} == {"anchor.quote", "email"}
    resp = await report(client, note="bad \x00 byte")
    await expect_problem(resp, 422)
    resp = await client.post(
        "/api/v1/corrections", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    await expect_problem(resp, 400)
    resp = await client.post(
        "/api/v1/corrections", data=b"x", headers={"Content-Type": "text/plain"}
    )
    await expect_problem(resp, 415)
    resp = await report(client, site="nowhere")
    await expect_problem(resp, 422)  # an unknown site, as for comments
    resp = await client.get("/api/v1/corrections", params={"thread": ""})
    await expect_problem(resp, 400)


async def test_the_honeypot_report_is_accepted_but_never_reaches_the_desk(client: Client) -> None:
    assert (await report(client, website="http://spam.example")).status == 202
    mod = await moderator_token(client, "desk@example.org")
    assert (await reports(client, mod, "all"))["items"] == []


async def test_the_desk_needs_a_moderator(client: Client) -> None:
    assert (await report(client)).status == 202
    await expect_problem(await client.get("/api/v1/moderation/corrections"), 401)
    resp = await client.post(
        "/api/v1/moderation/corrections/1/decision", json={"action": "correct"}
    )
    await expect_problem(resp, 401)
    other = await moderator_token(client, "other@example.org", sites=("elsewhere",))
    resp = await client.get("/api/v1/moderation/corrections", headers=other)
    await expect_problem(resp, 403)
    resp = await client.post(
        "/api/v1/moderation/corrections/1/decision", json={"action": "correct"}, headers=other
    )
    await expect_problem(resp, 403)  # another site's report, as for comments
    mod = await moderator_token(client, "desk@example.org")
    resp = await client.post(
        "/api/v1/moderation/corrections/1/decision", json={"action": "publish"}, headers=mod
    )
    await expect_problem(resp, 422)
    resp = await client.post(
        "/api/v1/moderation/corrections/999/decision", json={"action": "correct"}, headers=mod
    )
    await expect_problem(resp, 404)


async def test_a_cursor_past_any_id_is_a_400_not_a_500(client: Client) -> None:
    mod = await moderator_token(client, "desk@example.org")
    for cursor in ("999999999999", "4294967296", "x1"):
        resp = await client.get(
            "/api/v1/moderation/corrections", params={"cursor": cursor}, headers=mod
        )
        await expect_problem(resp, 400)  # int4 ids on PostgreSQL: this overflowed (500)
    resp = await client.get(
        "/api/v1/moderation/corrections", params={"cursor": "999999999"}, headers=mod
    )
    assert resp.status == 200 and (await resp.json())["items"] == []


async def test_a_report_id_that_is_not_ascii_digits_is_a_404(client: Client) -> None:
    assert (await report(client)).status == 202
    mod = await moderator_token(client, "desk@example.org")
    for ref in ("%C2%B2", "%D9%A1", "1%20"):  # ² made int() raise (500); Arabic one read as 1
        resp = await client.post(
            f"/api/v1/moderation/corrections/{ref}/decision",
            json={"action": "correct"},
            headers=mod,
        )
        await expect_problem(resp, 404)


async def test_reports_are_rate_limited_per_address(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS="correction=2/60"
    )
    async with live_client(settings) as client:
        for _ in range(2):
            assert (await report(client)).status == 202
        resp = await report(client)
        await expect_problem(resp, 429)
        assert int(resp.headers["Retry-After"]) > 0


async def test_erasing_a_person_leaves_their_reports_without_them(client: Client) -> None:
    assert (await report(client, email="gone@example.org")).status == 202
    admin = await moderator_token(client, "admin@example.org", role="admin")
    resp = await client.post(
        "/api/v1/moderation/people/erase", json={"email": "gone@example.org"}, headers=admin
    )
    assert resp.status == 200, await resp.text()
    [item] = (await reports(client, admin))["items"]
    assert item["reporter_email"] is None and item["ip_hash"] is None
    assert item["note"] == "The census says 24 million."


async def test_disallowed_keys_and_bans_keep_a_report_off_the_desk(client: Client) -> None:
    store = runtime_of(client).store
    await store.sites.update("default", policy={"flood_max": 10_000, "disallowed_keys": ["casino"]})
    runtime_of(client).service.forget_site("default")
    await store.bans.add("default", "email", "banned@example.org")
    assert (await report(client, note="Best CASINO bonus here")).status == 202
    assert (await report(client, email="Banned@Example.org")).status == 202
    assert (await report(client, note="A real error.")).status == 202
    mod = await moderator_token(client, "desk@example.org")
    items = (await reports(client, mod, "all"))["items"]
    assert [i["note"] for i in items] == ["A real error."]


async def test_a_persons_data_export_holds_their_reports(client: Client) -> None:
    assert (await report(client, email="Reader@Example.org")).status == 202
    admin = await moderator_token(client, "admin@example.org", role="admin")
    resp = await client.post(
        "/api/v1/moderation/people/export", json={"email": "reader@example.org"}, headers=admin
    )
    assert resp.status == 200, await resp.text()
    [item] = (await resp.json())["error_reports"]
    assert item["note"] == "The census says 24 million."
    assert item["passage"] == ANCHOR and item["thread"]["key"] == KEY
    assert item["status"] == "open"
