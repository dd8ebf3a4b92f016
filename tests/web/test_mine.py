"""A reader's data rights through the API: the "My comments" page, download, unsubscribe, erase
(both policy modes), bad links, and the admin routes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from commentsvc.clock import now_utc
from commentsvc.i18n import shipped
from commentsvc.models import Status
from commentsvc.notify.mine import PersonLinks
from commentsvc.policy import Policy, PolicyError
from commentsvc.store.tables import suppressions
from commentsvc.web.keys import PEOPLE
from tests.moderators.helpers import moderator_token
from tests.support import drain, runtime_of
from tests.web.helpers import expect_problem, post, post_approved, thread
from tests.web.mine_support import link_token, open_link, request_link, tables_holding

Client = TestClient[Any, Any]
EMAIL = "Pat.Reader@Example.org"  # stored as typed (domain lower-cased); matched in any case
OTHER = "someone.else@example.org"
KEY = "world/rights-article"
HTML = {"Accept": "text/html"}
ARTICLE = "http://127.0.0.1:8080/world/rights"  # on the service's own origin: safe to link


async def set_policy(client: Client, **policy: Any) -> None:
    runtime = runtime_of(client)
    site = await runtime.store.sites.get("default")
    assert site is not None
    await runtime.store.sites.update("default", policy={**site.policy, **policy})
    runtime.service.forget_site("default")


async def a_readers_life(client: Client) -> dict[str, str]:
    """An approved comment with a reply by someone else, a held one, a subscription."""
    mine = await post_approved(
        client,
        thread=KEY,
        thread_url=ARTICLE,
        thread_title="Rights <b>article</b>",
        author_name="Pat",
        author_email=EMAIL,
        body="The ferry is back.",
    )
    reply = await post_approved(
        client,
        thread=KEY,
        parent_id=mine["id"],
        author_name="Sam",
        author_email=OTHER,
        body="Good to hear it.",
    )
    await set_policy(client, moderation_keys=["refund"])
    held = await post(
        client, thread=KEY, author_name="Pat", author_email=EMAIL, body="I want a refund."
    )
    await drain(client)
    resp = await client.post(
        "/api/v1/subscriptions", json={"thread": KEY, "email": EMAIL.lower(), "kind": "replies"}
    )
    assert resp.status == 202
    return {"mine": mine["id"], "reply": reply["id"], "held": held["id"]}


def form(**fields: str) -> dict[str, Any]:
    return {"data": fields, "headers": HTML}


# ----- seeing and taking ---------------------------------------------------------------


async def test_the_page_lists_comments_with_why_held_replies_and_subscriptions(
    client: Client,
) -> None:
    ids = await a_readers_life(client)
    link = await open_link(client, EMAIL)
    resp = await client.get(link, headers=HTML)
    assert resp.status == 200
    page = await resp.text()
    assert EMAIL.lower() in page  # the reader sees their own address, and only here
    assert "The ferry is back." in page and "I want a refund." in page
    assert "Held for review" in page
    assert "it contains a term this site reviews by hand" in page
    assert "refund" not in page.split("Why it waits:")[1].split(".")[0]  # never the key
    assert "Good to hear it." in page and "Sam" in page
    assert OTHER not in page
    assert "Email about replies to your comments on" in page and "Unsubscribe" in page
    assert ids["held"] in page
    assert (
        f'<a href="{ARTICLE}#comment-{ids["mine"]}">Rights &lt;b&gt;article&lt;/b&gt;</a>' in page
    )
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


async def test_the_download_holds_everything_tied_to_the_address(client: Client) -> None:
    ids = await a_readers_life(client)
    link = await open_link(client, EMAIL.upper())  # any case finds the same person
    resp = await client.get(link + "/data.json")
    assert resp.status == 200
    assert resp.headers["Content-Disposition"] == 'attachment; filename="my-comments.json"'
    assert resp.headers["Cache-Control"] == "no-store"
    doc = await resp.json()
    assert doc["format"] == "commentsvc.person/1"
    assert doc["email"] == EMAIL.lower()
    by_id = {c["id"]: c for c in doc["comments"]}
    assert set(by_id) == {ids["mine"], ids["held"]}
    mine, held = by_id[ids["mine"]], by_id[ids["held"]]
    assert mine["status"] == "approved" and mine["body"] == "The ferry is back."
    assert mine["author_email"] == "Pat.Reader@example.org"
    assert mine["thread"]["key"] == KEY and mine["ip_hash"]
    assert [r["id"] for r in mine["replies"]] == [ids["reply"]]
    assert mine["replies"][0]["author_name"] == "Sam"
    assert held["status"] == "pending"
    assert held["held_because"] == [
        {"rule": "moderation_key", "message": "it contains a term this site reviews by hand"}
    ]
    [sub] = doc["subscriptions"]
    assert sub["kind"] == "replies" and sub["confirmed_at"] is None
    assert {e["template"] for e in doc["emails"]} == {"confirm", "mine"}
    assert doc["suppression"] is None
    assert OTHER not in str(doc)


async def test_unsubscribing_from_the_page_ends_only_that_subscription(client: Client) -> None:
    await a_readers_life(client)
    runtime = runtime_of(client)
    theirs = await client.post("/api/v1/subscriptions", json={"thread": KEY, "email": OTHER})
    assert theirs.status == 202
    link = await open_link(client, EMAIL)
    records = await runtime.store.people.records(EMAIL)
    [sub] = records.subscriptions
    other = (await runtime.store.people.records(OTHER)).subscriptions[0]

    # Someone else's subscription id: refused, and theirs stays.
    resp = await client.post(link, data={"action": "unsubscribe", "subscription": str(other.id)})
    await expect_problem(resp, 404)
    assert await runtime.store.subscriptions.get(other.id) is not None

    resp = await client.post(link, **form(action="unsubscribe", subscription=str(sub.id)))
    assert resp.status == 200
    assert "Unsubscribed" in await resp.text()
    assert await runtime.store.subscriptions.get(sub.id) is None
    again = await client.post(link, **form(action="unsubscribe", subscription=str(sub.id)))
    assert again.status == 200  # gone either way


# ----- erasing ---------------------------------------------------------------------------


async def test_erase_deletes_comments_keeps_replies_by_others_and_leaves_no_address(
    client: Client,
) -> None:
    ids = await a_readers_life(client)
    runtime = runtime_of(client)
    link = await open_link(client, EMAIL)
    async with runtime.store.db.write() as conn:  # a bounce on record is theirs too
        await conn.execute(
            suppressions.insert().values(
                email=EMAIL.lower(), reason="bounced", created_at=now_utc()
            )
        )
    before = (await thread(client, KEY))["thread"]["count"]

    unconfirmed = await client.post(link, **form(action="erase"))
    assert unconfirmed.status == 422  # the box was not ticked: nothing happens
    assert await tables_holding(runtime.store, EMAIL)

    resp = await client.post(link, **form(action="erase", confirm="yes"))
    assert resp.status == 200
    page = await resp.text()
    assert "Your data is erased" in page and "Comments deleted: 2" in page
    assert EMAIL.lower() not in page.lower()

    assert await tables_holding(runtime.store, EMAIL) == []
    shown = await thread(client, KEY)
    assert shown["thread"]["count"] == before - 1
    [placeholder] = shown["comments"]
    assert placeholder["id"] == ids["mine"] and placeholder["status"] == "deleted"
    assert placeholder["body_html"] == "" and placeholder["author_name"] == ""
    assert [r["id"] for r in placeholder["replies"]] == [ids["reply"]]
    assert (await client.get(f"/api/v1/comments/{ids['held']}")).status == 404
    for comment_id in (ids["mine"], ids["held"]):
        comment = await runtime.store.comments.get(comment_id)
        assert comment is not None and comment.status is Status.DELETED
        assert comment.body == "" and comment.ip_hash is None and comment.user_agent == ""
        events = await runtime.store.comments.events(comment_id)
        assert events[-1].action == "erase" and events[-1].actor == "reader"
        assert all(e.note == "" for e in events)  # that it happened, not what it was
    reply = await runtime.store.comments.get(ids["reply"])
    assert reply is not None and reply.author_email == OTHER  # others' data untouched

    assert (await client.get(link, headers=HTML)).status == 404  # the link died with the data
    await expect_problem(await client.get(link + "/data.json"), 404)


async def test_erase_anonymises_when_the_site_keeps_comments(client: Client) -> None:
    await set_policy(client, erase_comments="anonymise")
    kept = await post_approved(
        client,
        thread=KEY,
        author_name="Pat",
        author_email=EMAIL,
        body=f"Write to me at {EMAIL.lower()} about the ferry.",
    )
    reply = await post_approved(
        client, thread=KEY, parent_id=kept["id"], author_email=OTHER, body="Will do."
    )
    runtime = runtime_of(client)
    headers = await moderator_token(client, "editor@example.org", role="admin")
    edited = await client.patch(
        f"/api/v1/moderation/comments/{kept['id']}",
        json={"body": f"Write to me at {EMAIL} (edited)."},
        headers=headers,
    )
    assert edited.status == 200  # the audit note keeps the previous text, address and all

    link = await open_link(client, EMAIL)
    resp = await client.post(link, **form(action="erase", confirm="yes"))
    assert resp.status == 200 and "kept without your name or address: 1" in await resp.text()

    assert await tables_holding(runtime.store, EMAIL) == []
    [shown] = (await thread(client, KEY))["comments"]
    assert shown["status"] == "approved" and shown["author_name"] == "a reader"
    assert "Write to me at [address erased] (edited)." in shown["body_html"]
    assert [r["id"] for r in shown["replies"]] == [reply["id"]]
    events = await runtime.store.comments.events(kept["id"])
    assert "previous text" in events[-2].note and "[address erased]" in events[-2].note
    assert events[-1].action == "erase" and events[-1].note == ""
    old_token = await client.delete(
        f"/api/v1/comments/{kept['id']}", headers={"Authorization": f"Bearer {kept['edit_token']}"}
    )
    await expect_problem(old_token, 403)  # nobody can act as the author any more


def test_the_erase_policy_is_validated() -> None:
    assert Policy().erase_comments == "delete"
    assert Policy.from_json({"erase_comments": "anonymise"}).erase_comments == "anonymise"
    with pytest.raises(PolicyError, match="erase_comments: must be one of delete, anonymise"):
        Policy.from_json({"erase_comments": "shred"})


# ----- links ------------------------------------------------------------------------------


async def test_forged_altered_and_expired_links_are_refused(client: Client) -> None:
    await post_approved(client, thread=KEY, author_email=EMAIL)
    await request_link(client, EMAIL)
    token = await link_token(client, EMAIL)
    app = client.app
    assert app is not None
    links: PersonLinks = app[PEOPLE].links
    records = await runtime_of(client).store.people.records(EMAIL)
    row = next(d for d in records.deliveries if d.template == "mine")
    expired = links.token(row, ttl_s=-60)
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    moved = token.replace(f"m{row.id}-", f"m{row.id + 1}-", 1)  # another row: signature breaks
    for bad in (expired, altered, moved, "m1-abc.0.xyz", "x" * 300):
        for path in (f"/m/{bad}", f"/m/{bad}/data.json"):
            body = await expect_problem(await client.get(path), 404)
            assert "not valid" in body["detail"]
        page = await client.get(f"/m/{bad}", headers=HTML)
        assert page.status == 404 and "This link doesn&#39;t work" in await page.text()
        erase = await client.post(f"/m/{bad}", data={"action": "erase", "confirm": "yes"})
        await expect_problem(erase, 404)
    assert await runtime_of(client).store.people.is_known(EMAIL)  # nothing changed
    assert (await client.get(f"/m/{token}", headers=HTML)).status == 200


async def test_a_link_signed_for_another_email_row_is_refused(client: Client) -> None:
    """A confirmation row's id under the link purpose: the check names a `mine` row only."""
    await post_approved(client, thread=KEY, author_email=EMAIL)
    resp = await client.post("/api/v1/subscriptions", json={"thread": KEY, "email": EMAIL})
    assert resp.status == 202
    app = client.app
    assert app is not None
    records = await runtime_of(client).store.people.records(EMAIL)
    confirm_row = next(d for d in records.deliveries if d.template == "confirm")
    forged = app[PEOPLE].links.token(confirm_row)
    body = await expect_problem(await client.get(f"/m/{forged}/data.json"), 404)
    assert "nothing is held" in body["detail"]


async def test_bad_forms_are_problems(client: Client) -> None:
    await post_approved(client, thread=KEY, author_email=EMAIL)
    link = await open_link(client, EMAIL)
    await expect_problem(await client.post(link, json={"action": "erase"}), 400)
    await expect_problem(await client.post(link, data={"action": "shred"}), 400)
    unconfirmed = await expect_problem(await client.post(link, data={"action": "erase"}), 422)
    assert unconfirmed["errors"] == [{"field": "confirm", "message": "must be yes"}]
    for bad_id in ("²", "9" * 10, "-1", ""):  # ids are 32-bit: a longer one is no id at all
        await expect_problem(
            await client.post(link, data={"action": "unsubscribe", "subscription": bad_id}), 400
        )
    # A charset Python has no codec for was a LookupError out of request.post(): a 500.
    bogus = {"Content-Type": "application/x-www-form-urlencoded; charset=bogus"}
    await expect_problem(await client.post(link, data=b"action=erase", headers=bogus), 400)
    assert await runtime_of(client).store.people.is_known(EMAIL)


# ----- the admin's routes -------------------------------------------------------------------


async def test_the_admin_routes_need_an_admin_of_every_site(client: Client) -> None:
    ids = await a_readers_life(client)
    routes = ("/api/v1/moderation/people/export", "/api/v1/moderation/people/erase")
    for route in routes:
        await expect_problem(await client.post(route, json={"email": EMAIL}), 401)
    moderator = await moderator_token(client, "mod@example.org")
    local_admin = await moderator_token(
        client, "local@example.org", role="admin", sites=("default",)
    )
    await runtime_of(client).store.sites.add("sport", "Sport", [])
    for headers in (moderator, local_admin):
        for route in routes:
            await expect_problem(
                await client.post(route, json={"email": EMAIL}, headers=headers), 403
            )
    admin = await moderator_token(client, "chief@example.org", role="admin")
    # An admin of each site there is may act too.
    both = await moderator_token(
        client, "both@example.org", role="admin", sites=("default", "sport")
    )
    each = await client.post(routes[0], json={"email": EMAIL}, headers=both)
    assert each.status == 200 and len((await each.json())["comments"]) == 2
    bad = await client.post(routes[0], json={"email": "not-an-address"}, headers=admin)
    assert (await expect_problem(bad, 422))["errors"][0]["field"] == "email"

    resp = await client.post(routes[0], json={"email": EMAIL.upper()}, headers=admin)
    assert resp.status == 200
    doc = await resp.json()
    assert {c["id"] for c in doc["comments"]} == {ids["mine"], ids["held"]}

    resp = await client.post(routes[1], json={"email": EMAIL}, headers=admin)
    assert resp.status == 200
    assert (await resp.json())["erased"] == {
        "comments_deleted": 2,
        "comments_anonymised": 0,
        "subscriptions": 1,
        "emails": 1,
        "suppressions": 0,
    }
    runtime = runtime_of(client)
    assert await tables_holding(runtime.store, EMAIL) == []
    events = await runtime.store.comments.events(ids["mine"])
    assert events[-1].action == "erase" and events[-1].actor == "chief@example.org"
    queue = await client.get("/api/v1/moderation/comments", params={"status": "all"}, headers=admin)
    assert EMAIL.lower() not in (await queue.text()).lower()
    again = await client.post(routes[0], json={"email": EMAIL}, headers=admin)
    assert (await again.json())["comments"] == []


@pytest.mark.parametrize(
    ("accept", "lang", "direction"), [("de-AT, en;q=0.3", "de", "ltr"), ("ar", "ar", "rtl")]
)
async def test_the_page_speaks_the_readers_language(
    client: Client, accept: str, lang: str, direction: str
) -> None:
    """Every sentence of the page comes from the reader's catalogue (browser's language),
    held reasons included; their own words and the article's title stay as written."""
    await a_readers_life(client)
    link = await open_link(client, EMAIL)
    resp = await client.get(link, headers={**HTML, "Accept-Language": accept})
    page = await resp.text()
    words = shipped(lang)
    assert f'<html lang="{lang}" dir="{direction}">' in page
    for key in ("me.title.open", "me.data", "me.download", "me.erase_button", "status.pending"):
        assert str(words[key]) in page, key
    assert str(words["why.moderation_key"]) in page
    assert "The ferry is back." in page and "Rights &lt;b&gt;article&lt;/b&gt;" in page
    english = shipped("en")
    for key in ("me.data_hint", "me.erase_hint", "me.understand", "me.no_subscriptions"):
        assert str(english[key]) not in page, key
    assert "{" + "email}" not in page and "{title}" not in page
