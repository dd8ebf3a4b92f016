"""The public API of API.md, through HTTP against the real app, SQLite and Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from commentsvc.comments.reader_actions import MAX_VOTERS_PER_ADDRESS
from commentsvc.models import Status
from tests.support import drain, live_client, make_settings, runtime_of
from tests.web.helpers import assert_problem, expect_problem, post, post_approved, thread

Client = TestClient[Any, Any]


async def test_post_is_accepted_then_approved(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        json={
            "thread": "world/a",
            "body": "Clear and useful, thank you.",
            "author_name": "Ada",
            "thread_title": "An article",
            "thread_url": "https://news.example/world/a",
        },
    )
    assert resp.status == 202
    body = await resp.json()
    assert resp.headers["Location"] == f"/api/v1/comments/{body['id']}"
    assert body["status"] == "received"
    assert body["edit_token"] and body["edit_until"].endswith("Z")
    assert body["comment"]["body_html"] == "<p>Clear and useful, thank you.</p>"
    assert (await thread(client, "world/a"))["comments"] == []
    await drain(client)
    page = await thread(client, "world/a")
    assert page["thread"] == {
        "key": "world/a",
        "title": "An article",
        "url": "https://news.example/world/a",
        "closed": False,
        "count": 1,
        "feedback_count": 0,
    }
    [comment] = page["comments"]
    assert comment["id"] == body["id"]
    assert comment["author_name"] == "Ada"
    assert comment["status"] == "approved"
    assert comment["votes"] == {"up": 0, "down": 0}


async def test_unknown_thread_is_empty(client: Client) -> None:
    page = await thread(client, "never/posted")
    assert page == {
        "thread": {
            "key": "never/posted",
            "title": "",
            "url": "",
            "closed": False,
            "count": 0,
            "feedback_count": 0,
        },
        "featured": [],
        "comments": [],
        "next_cursor": None,
    }


async def test_replies_nest_at_any_depth(client: Client) -> None:
    top = await post_approved(client, thread="t/nest")
    reply = await post_approved(client, thread="t/nest", parent_id=top["id"])
    deeper = await post_approved(client, thread="t/nest", parent_id=reply["id"])
    page = await thread(client, "t/nest")
    assert [c["id"] for c in page["comments"]] == [top["id"]]
    first = page["comments"][0]["replies"][0]
    assert first["id"] == reply["id"] and first["parent_id"] == top["id"]
    assert first["replies"][0]["id"] == deeper["id"]
    assert page["thread"]["count"] == 3


async def test_reply_to_unknown_or_hidden_parent_is_404(client: Client) -> None:
    for parent in ("01aaaaaaaaaaaaaaaaaaaaaaaa", "not-an-id"):
        resp = await client.post(
            "/api/v1/comments", json={"thread": "t/p", "body": "hi", "parent_id": parent}
        )
        assert resp.status == 404
        assert_problem(404, await resp.json(), resp.content_type)
    held = await post(
        client, thread="t/p", body="see http://a.example http://b.example http://c.example"
    )
    await drain(client)
    resp = await client.post(
        "/api/v1/comments", json={"thread": "t/p", "body": "reply", "parent_id": held["id"]}
    )
    assert resp.status == 404


async def test_sorts_and_cursor_pagination_cover_every_comment_once(client: Client) -> None:
    ids = [(await post(client, thread="t/page"))["id"] for _ in range(7)]
    await drain(client)
    seen: list[str] = []
    cursor = ""
    while True:
        params = {"limit": "3", "sort": "oldest", **({"cursor": cursor} if cursor else {})}
        page = await thread(client, "t/page", **params)
        seen += [c["id"] for c in page["comments"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    newest = await thread(client, "t/page", limit="100")
    assert [c["id"] for c in newest["comments"]] == list(reversed(ids))


async def test_top_sort_orders_by_votes(client: Client) -> None:
    a = await post_approved(client, thread="t/top")
    b = await post_approved(client, thread="t/top")
    runtime = runtime_of(client)
    await runtime.store.reactions.set_vote(
        b["id"],
        (await runtime.store.threads.get("default", "t/top")).id,  # type: ignore[union-attr]
        "voter-1",
        1,
    )
    runtime.service.pages.clear()
    page = await thread(client, "t/top", sort="top")
    assert [c["id"] for c in page["comments"]] == [b["id"], a["id"]]


async def test_bad_query_parameters_are_400(client: Client) -> None:
    for params in (
        {"thread": "t", "sort": "sideways"},
        {"thread": "t", "limit": "0"},
        {"thread": "t", "limit": "x"},
        {"thread": "t", "filter": "odd"},
        {},
        {"thread": "t", "cursor": "garbage!!"},
    ):
        resp = await client.get("/api/v1/comments", params=params)
        assert resp.status == 400, params
        assert_problem(400, await resp.json(), resp.content_type)


async def test_etag_gives_304(client: Client) -> None:
    await post_approved(client, thread="t/etag")
    resp = await client.get("/api/v1/comments", params={"thread": "t/etag"})
    etag = resp.headers["ETag"]
    assert "max-age" in resp.headers["Cache-Control"]
    again = await client.get(
        "/api/v1/comments", params={"thread": "t/etag"}, headers={"If-None-Match": etag}
    )
    assert again.status == 304
    await post_approved(client, thread="t/etag")
    changed = await client.get(
        "/api/v1/comments", params={"thread": "t/etag"}, headers={"If-None-Match": etag}
    )
    assert changed.status == 200
    assert changed.headers["ETag"] != etag


async def test_feedback_filter_and_counts(client: Client) -> None:
    await post_approved(client, thread="t/fb", body="Plain comment here.")
    fb = await post_approved(
        client,
        thread="t/fb",
        body="This sentence needs a source.",
        anchor={
            "quote": "the river rose",
            "prefix": "In May ",
            "suffix": " by a metre",
            "block": "p3",
        },
    )
    page = await thread(client, "t/fb", filter="feedback")
    assert [c["id"] for c in page["comments"]] == [fb["id"]]
    assert page["comments"][0]["kind"] == "feedback"
    assert page["comments"][0]["anchor"] == {
        "quote": "the river rose",
        "prefix": "In May ",
        "suffix": " by a metre",
        "block": "p3",
    }
    assert page["thread"]["count"] == 2 and page["thread"]["feedback_count"] == 1
    resp = await client.get("/api/v1/counts", params=[("thread", "t/fb"), ("thread", "t/none")])
    assert await resp.json() == {"counts": {"t/fb": 2, "t/none": 0}}


async def test_author_sees_own_pending_comment_and_why(client: Client) -> None:
    body = await post(
        client, thread="t/why", body="links: https://a.example https://b.example https://c.example"
    )
    await drain(client)
    public = await client.get(f"/api/v1/comments/{body['id']}")
    assert public.status == 404
    mine = await client.get(
        f"/api/v1/comments/{body['id']}", headers={"Authorization": f"Bearer {body['edit_token']}"}
    )
    data = await mine.json()
    assert data["status"] == "pending"
    assert [w["rule"] for w in data["waiting_because"]] == ["links"]
    wrong = await client.get(
        f"/api/v1/comments/{body['id']}", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status == 404


async def test_edit_own_comment_is_moderated_again(client: Client) -> None:
    body = await post_approved(client, thread="t/edit")
    auth = {"Authorization": f"Bearer {body['edit_token']}"}
    resp = await client.patch(
        f"/api/v1/comments/{body['id']}", json={"body": "Fixed a typo."}, headers=auth
    )
    assert resp.status == 202
    assert (await resp.json())["status"] == "received"
    assert (await thread(client, "t/edit"))["comments"] == []
    await drain(client)
    [comment] = (await thread(client, "t/edit"))["comments"]
    assert comment["body_html"] == "<p>Fixed a typo.</p>"
    assert comment["edited_at"] is not None


async def test_edit_refusals(client: Client) -> None:
    body = await post_approved(client, thread="t/edit2")
    no_token = await client.patch(f"/api/v1/comments/{body['id']}", json={"body": "x"})
    assert no_token.status == 403
    assert_problem(403, await no_token.json(), no_token.content_type)
    bad = await client.patch(
        f"/api/v1/comments/{body['id']}",
        json={"body": "x"},
        headers={"Authorization": "Bearer wrong-token"},
    )
    assert bad.status == 403
    await post_approved(client, thread="t/edit2", parent_id=body["id"])
    after_reply = await client.patch(
        f"/api/v1/comments/{body['id']}",
        json={"body": "x"},
        headers={"Authorization": f"Bearer {body['edit_token']}"},
    )
    assert after_reply.status == 409
    assert_problem(409, await after_reply.json(), after_reply.content_type)


async def test_edit_window_closes(client: Client) -> None:
    runtime = runtime_of(client)
    await runtime.store.sites.update("default", policy={"edit_window_s": 0, "flood_max": 10_000})
    runtime.service.forget_site("default")
    body = await post_approved(client, thread="t/late")
    resp = await client.delete(
        f"/api/v1/comments/{body['id']}", headers={"Authorization": f"Bearer {body['edit_token']}"}
    )
    assert resp.status == 403
    assert "window" in (await resp.json())["detail"]


async def test_delete_own_leaves_placeholder_when_replied(client: Client) -> None:
    lonely = await post_approved(client, thread="t/del")
    parent = await post_approved(client, thread="t/del")
    reply = await post_approved(client, thread="t/del", parent_id=parent["id"])
    for c in (lonely, parent):
        resp = await client.delete(
            f"/api/v1/comments/{c['id']}", headers={"Authorization": f"Bearer {c['edit_token']}"}
        )
        assert resp.status == 204
    page = await thread(client, "t/del")
    [placeholder] = page["comments"]
    assert placeholder["id"] == parent["id"]
    assert (
        placeholder["status"] == "deleted"
        and placeholder["body_html"] == ""
        and placeholder["author_name"] == ""
    )
    assert placeholder["replies"][0]["id"] == reply["id"]
    assert page["thread"]["count"] == 1


async def test_votes_one_per_voter_and_not_own(client: Client) -> None:
    body = await post_approved(client, thread="t/votes")
    url = f"/api/v1/comments/{body['id']}/votes"
    own = await client.post(
        url,
        json={"value": 1, "voter": "voter-zzzz"},
        headers={"Authorization": f"Bearer {body['edit_token']}"},
    )
    assert own.status == 403  # the author's own edit token
    assert "own comment" in (await own.json())["detail"]
    # The author's address alone proves nothing (a shared network), and refusing it
    # would tell anyone whether a comment came from theirs: the vote counts.
    assert await (await client.post(url, json={"value": 1, "voter": "voter-aaaa"})).json() == {
        "up": 1,
        "down": 0,
    }
    assert await (await client.post(url, json={"value": 1, "voter": "voter-aaaa"})).json() == {
        "up": 1,
        "down": 0,
    }
    assert await (await client.post(url, json={"value": -1, "voter": "voter-bbbb"})).json() == {
        "up": 1,
        "down": 1,
    }
    assert await (await client.post(url, json={"value": 0, "voter": "voter-aaaa"})).json() == {
        "up": 0,
        "down": 1,
    }
    [comment] = (await thread(client, "t/votes"))["comments"]
    assert comment["votes"] == {"up": 0, "down": 1}
    bad = await client.post(url, json={"value": 5, "voter": "voter-aaaa"})
    assert bad.status == 422


async def test_flags_past_threshold_send_back_to_review(client: Client) -> None:
    body = await post_approved(client, thread="t/flags")
    url = f"/api/v1/comments/{body['id']}/flags"
    for reporter, address in (
        ("reporter-1", "198.51.100.1"),
        ("reporter-1", "198.51.100.1"),
        ("reporter-2", "198.51.100.2"),
    ):
        resp = await client.post(
            url,
            json={"reason": "abuse", "reporter": reporter},
            headers={"X-Forwarded-For": address},
        )
        assert resp.status == 202
    # One address with any number of reporter ids is one flag.
    for reporter in ("reporter-3", "reporter-4", "reporter-5"):
        resp = await client.post(
            url,
            json={"reason": "abuse", "reporter": reporter},
            headers={"X-Forwarded-For": "198.51.100.2"},
        )
        assert resp.status == 202
    assert len((await thread(client, "t/flags"))["comments"]) == 1  # two distinct so far
    await client.post(
        url,
        json={"reason": "spam", "reporter": "reporter-6", "note": "ad"},
        headers={"X-Forwarded-For": "198.51.100.3"},
    )
    assert (await thread(client, "t/flags"))["comments"] == []
    comment = await runtime_of(client).store.comments.get(body["id"])
    assert comment is not None and comment.status is Status.PENDING
    assert comment.flag_count == 3
    assert "flagged" in [r.rule for r in comment.reasons]


async def test_closed_thread_refuses_posts(client: Client) -> None:
    await post_approved(client, thread="t/closed")
    await runtime_of(client).service.set_thread_closed("default", "t/closed", True)
    resp = await client.post("/api/v1/comments", json={"thread": "t/closed", "body": "late"})
    assert resp.status == 409
    assert "closed" in (await resp.json())["detail"]


async def test_duplicate_within_window_is_409(client: Client) -> None:
    await post(client, thread="t/dup", body="Same words twice")
    resp = await client.post(
        "/api/v1/comments", json={"thread": "t/dup", "body": "same   WORDS twice"}
    )
    assert resp.status == 409
    assert_problem(409, await resp.json(), resp.content_type)
    other_thread = await client.post(
        "/api/v1/comments", json={"thread": "t/dup2", "body": "Same words twice"}
    )
    assert other_thread.status == 202


async def test_honeypot_marks_spam(client: Client) -> None:
    body = await post(client, thread="t/honey", website="http://spam.example")
    await drain(client)
    comment = await runtime_of(client).store.comments.get(body["id"])
    assert comment is not None and comment.status is Status.SPAM
    assert [r.rule for r in comment.reasons] == ["honeypot"]


async def test_cors_per_allowed_origins(client: Client) -> None:
    runtime = runtime_of(client)
    await runtime.store.sites.update("default", allowed_origins=["https://news.example"])
    runtime.service.forget_site("default")
    pre = await client.options(
        "/api/v1/comments",
        headers={
            "Origin": "https://news.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    ok = await client.post(
        "/api/v1/comments",
        json={"thread": "t/cors", "body": "from the news site"},
        headers={"Origin": "https://news.example"},
    )
    assert ok.status == 202 and ok.headers["Access-Control-Allow-Origin"] == "https://news.example"
    evil_pre = await client.options(
        "/api/v1/comments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert evil_pre.status == 403
    assert "Access-Control-Allow-Origin" not in evil_pre.headers
    evil = await client.post(
        "/api/v1/comments",
        json={"thread": "t/cors", "body": "from elsewhere"},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status == 403
    assert_problem(403, await evil.json(), evil.content_type)


async def test_listed_words_are_censored_by_default_and_held_on_request(client: Client) -> None:
    """The word stage runs in the worker: masked in public by default, with the reason kept."""
    body = await post_approved(client, thread="t/words", body="What a sh1t take, honestly.")
    [comment] = (await thread(client, "t/words"))["comments"]
    assert comment["id"] == body["id"]
    assert comment["body_html"] == "<p>What a **** take, honestly.</p>"
    stored = await runtime_of(client).store.comments.get(body["id"])
    assert stored is not None and stored.body == "What a sh1t take, honestly."
    assert [r.rule for r in stored.reasons] == ["words"]
    runtime = runtime_of(client)
    await runtime.store.sites.update("default", policy={"flood_max": 10_000, "profanity": "hold"})
    runtime.service.forget_site("default")
    held = await post(client, thread="t/words", body="f u c k this paywall")
    await drain(client)
    mine = await client.get(
        f"/api/v1/comments/{held['id']}", headers={"Authorization": f"Bearer {held['edit_token']}"}
    )
    data = await mine.json()
    assert data["status"] == "pending"
    assert [w["rule"] for w in data["waiting_because"]] == ["words"]


async def test_toxicity_threshold_holds_hostile_comments(client: Client) -> None:
    """With the toxicity extra installed, a site's threshold holds what the model scores high."""
    runtime = runtime_of(client)
    await runtime.store.sites.update(
        "default", policy={"flood_max": 10_000, "toxicity_threshold": 0.9, "profanity": "censor"}
    )
    runtime.service.forget_site("default")
    calm = await post(client, thread="t/tox", body="I disagree with the second point, politely.")
    hostile = await post(client, thread="t/tox", body="You are a worthless idiot and a moron.")
    await drain(client)
    statuses = {
        c["id"]: c
        for c in [
            await (
                await client.get(
                    f"/api/v1/comments/{p['id']}",
                    headers={"Authorization": f"Bearer {p['edit_token']}"},
                )
            ).json()
            for p in (calm, hostile)
        ]
    }
    assert statuses[calm["id"]]["status"] == "approved"
    assert statuses[hostile["id"]]["status"] == "pending"
    assert "toxicity" in [w["rule"] for w in statuses[hostile["id"]]["waiting_because"]]
    stored = await runtime.store.comments.get(hostile["id"])
    assert stored is not None
    assert any(r.rule == "toxicity" and "score" in r.detail for r in stored.reasons)


async def test_if_none_match_star_and_lists(client: Client) -> None:
    await post_approved(client, thread="t/etag")
    url = "/api/v1/comments?thread=t%2Fetag"
    first = await client.get(url)
    etag = first.headers["ETag"]
    for header in ("*", f'"other", {etag}', f"W/{etag}"):
        assert (await client.get(url, headers={"If-None-Match": header})).status == 304, header
    for header in ('"other"', etag.strip('"'), etag[:-3] + '"'):
        assert (await client.get(url, headers={"If-None-Match": header})).status == 200, header


async def test_public_reads_vary_by_origin_even_without_one(client: Client) -> None:
    await post_approved(client, thread="t/vary")
    for path in ("/api/v1/comments?thread=t%2Fvary", "/api/v1/counts?thread=t%2Fvary"):
        resp = await client.get(path)
        assert resp.status == 200
        assert "Origin" in resp.headers.getall("Vary", []), path
        assert "Access-Control-Allow-Origin" not in resp.headers


async def test_direction_overrides_in_a_name_are_refused(client: Client) -> None:
    resp = await client.post(
        "/api/v1/comments",
        json={"thread": "t/bidi", "body": "Hello.", "author_name": "Admin\u202egnp.exe"},
    )
    body = await expect_problem(resp, 422)
    assert [e["field"] for e in body["errors"]] == ["author_name"]
    # The body keeps them: right-to-left writers use them.
    ok = await client.post(
        "/api/v1/comments", json={"thread": "t/bidi", "body": "\u202bשלום\u202c world"}
    )
    assert ok.status == 202


async def test_deleting_own_comments_is_rate_limited(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS="post=3/3600,post_hour=100/3600"
    )
    async with live_client(settings) as client:
        await runtime_of(client).store.sites.update("default", policy={"flood_max": 10_000})
        statuses = []
        for _ in range(4):
            resp = await client.delete(
                "/api/v1/comments/01aaaaaaaaaaaaaaaaaaaaaaaa",
                headers={"Authorization": "Bearer guess-guess-guess"},
            )
            statuses.append(resp.status)
        assert statuses[-1] == 429 and "Retry-After" in resp.headers
        assert set(statuses[:-1]) <= {403, 404}


async def test_one_address_can_not_mint_voters_to_push_a_comment_up(client: Client) -> None:
    c = await post_approved(client, thread="t/mint")
    url = f"/api/v1/comments/{c['id']}/votes"
    net = {"X-Forwarded-For": "203.0.113.50"}
    for n in range(MAX_VOTERS_PER_ADDRESS):
        resp = await client.post(url, json={"value": 1, "voter": f"minted-{n:04d}"}, headers=net)
        assert resp.status == 200
    resp = await client.post(url, json={"value": 1, "voter": "minted-9999"}, headers=net)
    body = await expect_problem(resp, 403)
    assert "your address" in body["detail"]
    resp = await client.post(
        url, json={"value": 1, "voter": "elsewhere-1"}, headers={"X-Forwarded-For": "198.51.100.9"}
    )
    assert await resp.json() == {"up": MAX_VOTERS_PER_ADDRESS + 1, "down": 0}
