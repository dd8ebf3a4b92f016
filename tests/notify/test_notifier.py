"""The notifier end to end: HTTP in, moderation, fan-out, a real SMTP server out."""

from __future__ import annotations

import asyncio
import collections
import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from commentsvc.clock import now_utc
from commentsvc.models import Status, SubscriptionKind
from commentsvc.notify.compose import Composer
from commentsvc.notify.notifier import Notifier
from commentsvc.notify.sender import SMTPConfig, SMTPDestination
from commentsvc.queue.consumer import run_consumer
from commentsvc.store.records import Transition
from commentsvc.store.tables import comments, deliveries, moderators, suppressions, threads
from tests.notify.conftest import SMTPServer, notify, set_policy, subscriber
from tests.support import drain, runtime_of
from tests.web.helpers import post, post_approved
from workers.notifier import run_notifier

THREAD = "world/test-article"
Client = TestClient[Any, Any]


async def rows_for(client: TestClient[Any, Any], recipient: str) -> list[dict[str, Any]]:
    async with runtime_of(client).store.db.read() as conn:
        result = await conn.execute(
            sa.select(deliveries)
            .where(deliveries.c.recipient == recipient)
            .order_by(deliveries.c.id)
        )
        return [dict(r) for r in result.mappings()]


async def test_double_opt_in_then_one_email_per_approved_comment(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    resp = await client.post(
        "/api/v1/subscriptions",
        json={"thread": THREAD, "email": "Alice@Example.org", "kind": "thread"},
    )
    assert resp.status == 202, await resp.text()
    await post(
        client, body="Bob's first comment.", author_name="Bob", author_email="bob@example.org"
    )
    await notify(client)
    alice = smtp.to("alice@example.org")
    assert len(alice) == 1, "an unconfirmed subscriber gets only the confirmation"
    assert alice[0].message["Subject"].startswith("Confirm")
    confirm_path = alice[0].link("s")

    page = await client.get(confirm_path)
    assert page.status == 200 and '<form method="post"' in await page.text()
    await post(client, body="Still unconfirmed after the page was fetched.", author_name="Bob")
    await notify(client)
    assert len(smtp.to("alice@example.org")) == 1, "GET on the confirm link confirms nothing"

    assert (await client.post(confirm_path)).status == 200
    carol = await post(
        client, body="Carol's view of it.", author_name="Carol", author_email="carol@example.org"
    )
    await notify(client)
    alice = smtp.to("alice@example.org")
    assert len(alice) == 2
    assert "Carol's view of it." in alice[1].text()
    assert "Carol" in alice[1].message["Subject"]

    await set_policy(client, moderation_keys=["miracle cure"])
    held = await post(client, body="Ask me about the miracle cure.", author_name="Mallory")
    spam = await post(
        client, body="Cheap watches here.", author_name="Bot", website="http://spam.example"
    )
    before = len(smtp.messages)
    await notify(client)
    store = runtime_of(client).store
    assert (await store.comments.get(held["id"])).status is Status.PENDING  # type: ignore[union-attr]
    assert (await store.comments.get(spam["id"])).status is Status.SPAM  # type: ignore[union-attr]
    assert len(smtp.messages) == before, "a pending or spam comment mails nobody"

    await post(
        client,
        body="Alice adds her own thoughts.",
        author_name="Alice",
        author_email="ALICE@example.org",
    )
    await notify(client)
    assert len(smtp.to("alice@example.org")) == 2, (
        "the author never gets mail about her own comment"
    )
    assert carol["id"] in {r["comment_id"] for r in await rows_for(client, "alice@example.org")}


async def test_replies_subscriber_hears_of_a_reply_three_levels_down(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    store = runtime_of(client).store
    await subscriber(store, "alice@example.org")
    dave = await post_approved(
        client,
        body="Dave starts a discussion.",
        author_name="Dave",
        author_email="dave@example.org",
        notify="replies",
    )
    await notify(client)
    confirmation = smtp.to("dave@example.org")
    assert len(confirmation) == 1 and "replies to" in confirmation[0].message["Subject"]
    assert (await client.post(confirmation[0].link("s"))).status == 200
    await subscriber(store, "dave@example.org")  # follows the whole thread as well

    erin = await post_approved(
        client,
        parent_id=dave["id"],
        body="Erin answers Dave.",
        author_name="Erin",
        author_email="erin@example.org",
    )
    frank = await post_approved(
        client,
        parent_id=erin["id"],
        body="Frank answers Erin.",
        author_name="Frank",
        author_email="frank@example.org",
    )
    grace = await post_approved(
        client,
        parent_id=frank["id"],
        body="Grace answers Frank.",
        author_name="Grace",
        author_email="grace@example.org",
    )
    await notify(client)

    to_dave = smtp.to("dave@example.org")[1:]
    assert len(to_dave) == 3, "one email per reply below Dave's comment, not two"
    [deep] = [m for m in to_dave if m.text().startswith("Grace replied")]
    [direct] = [m for m in to_dave if m.text().startswith("Erin replied")]
    assert deep.message["Subject"].startswith("New reply below your comment")
    composer = Composer(runtime_of(client).settings)
    assert deep.message["In-Reply-To"] == composer.comment_message_id(
        frank["id"], "dave@example.org"
    )
    refs = deep.message["References"].split()
    assert refs[-1] == deep.message["In-Reply-To"]
    assert composer.comment_message_id(dave["id"], "dave@example.org") in refs
    assert direct.message["Subject"] == 'Erin replied to your comment on "world/test-article"'
    templates = {r["comment_id"]: r["template"] for r in await rows_for(client, "dave@example.org")}
    assert templates[grace["id"]] == "reply", "the reply template wins over the thread one"
    alice_templates = {
        r["comment_id"]: r["template"] for r in await rows_for(client, "alice@example.org")
    }
    assert alice_templates[grace["id"]] == "thread"
    assert len(smtp.to("alice@example.org")) == 4  # Dave, Erin, Frank, Grace


async def test_transient_failures_retry_until_delivered_exactly_once(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await subscriber(runtime_of(client).store, "flaky@example.org")
    smtp.rcpt_script["flaky@example.org"] = ["451 4.7.1 greylisted, try later"] * 2
    await post(client, body="Worth a retry.", author_email="writer@example.org")
    await notify(client)
    await notify(client)
    assert smtp.rcpt_attempts["flaky@example.org"] == 3
    assert len(smtp.to("flaky@example.org")) == 1
    [row] = await rows_for(client, "flaky@example.org")
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)


async def test_transient_failure_waits_about_a_minute_with_jitter(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await subscriber(runtime_of(client).store, "slow@example.org")
    smtp.rcpt_script["slow@example.org"] = ["421 4.3.2 busy"]
    await post(client, body="First try fails.")
    started = now_utc()
    await notify(client, retry_schedule_s=(60.0, 300.0, 1800.0, 7200.0, 21600.0))
    [row] = await rows_for(client, "slow@example.org")
    assert row["status"] == "queued" and row["attempts"] == 1 and "421" in row["last_error"]
    wait = row["next_attempt_at"] - started
    assert timedelta(seconds=47) <= wait <= timedelta(seconds=73)
    assert smtp.to("slow@example.org") == []


async def test_retries_end_in_failed_without_suppressing(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await subscriber(runtime_of(client).store, "down@example.org")
    smtp.rcpt_script["down@example.org"] = ["450 4.2.1 mailbox busy"] * 10
    await post(client, body="Will not get through.")
    await notify(client)
    [row] = await rows_for(client, "down@example.org")
    assert (row["status"], row["attempts"]) == ("failed", 6)
    assert smtp.rcpt_attempts["down@example.org"] == 6
    assert not await runtime_of(client).store.subscriptions.is_suppressed("down@example.org")


async def test_permanent_failure_suppresses_and_stops(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    store = runtime_of(client).store
    await subscriber(store, "gone@example.org")
    await subscriber(store, "fine@example.org")
    smtp.refuse["gone@example.org"] = "550 5.1.1 no such mailbox here"
    await post(client, body="The first one bounces.")
    await notify(client)
    [row] = await rows_for(client, "gone@example.org")
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "550" in row["last_error"]
    async with store.db.read() as conn:
        reason = await conn.scalar(
            sa.select(suppressions.c.reason).where(suppressions.c.email == "gone@example.org")
        )
    assert reason == "bounced"
    await post(client, body="The next one is not even tried.")
    await notify(client)
    assert smtp.rcpt_attempts["gone@example.org"] == 1
    assert len(await rows_for(client, "gone@example.org")) == 1
    assert len(smtp.to("fine@example.org")) == 2


async def test_a_name_can_never_add_a_header(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    evil = "Eve\r\nBcc: victim@example.com"
    resp = await client.post(
        "/api/v1/comments", json={"thread": THREAD, "body": "hi", "author_name": evil}
    )
    assert resp.status == 422, "the API refuses it outright"
    store = runtime_of(client).store
    await subscriber(store, "reader@example.org")
    # Names and titles already stored (an import, an old version) may hold anything.
    posted = await post(client, body="An innocent body.", author_name="Eve")
    async with store.db.write() as conn:
        await conn.execute(
            comments.update().where(comments.c.id == posted["id"]).values(author_name=evil)
        )
        await conn.execute(
            threads.update()
            .where(threads.c.key == THREAD)
            .values(title="Title\nX-Injected: yes\r\n\r\nbody")
        )
    await notify(client)
    [received] = smtp.messages
    assert received.rcpt_tos == ["reader@example.org"]
    message = received.message
    assert message["Bcc"] is None and message["X-Injected"] is None
    names = sorted(k.lower() for k in message)
    assert names == sorted(
        [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "in-reply-to",
            "references",
            "list-id",
            "list-unsubscribe",
            "list-unsubscribe-post",
            "auto-submitted",
            "x-auto-response-suppress",
            "mime-version",
            "content-type",
        ]
    )
    assert "Eve Bcc: victim@example.com" in message["Subject"]
    assert "Title X-Injected: yes body" in message["Subject"]
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^(bcc|x-injected):", head, re.IGNORECASE | re.MULTILINE)


async def test_twenty_comments_in_a_window_make_one_email_and_one_digest(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await set_policy(client, digest_window_s=900)
    await subscriber(runtime_of(client).store, "fan@example.org")
    for i in range(20):
        await post(client, body=f"Comment number {i} on a busy article.", author_name=f"Reader {i}")
    await notify(client)
    assert len(smtp.to("fan@example.org")) == 1
    rows = await rows_for(client, "fan@example.org")
    assert len(rows) == 20
    held = [r for r in rows if r["digest_group"]]
    assert len(held) == 19 and len({r["digest_group"] for r in held}) == 1
    await notify(client, clock=lambda: now_utc() + timedelta(seconds=600))
    assert len(smtp.to("fan@example.org")) == 1, "the window is still open"
    await notify(client, clock=lambda: now_utc() + timedelta(seconds=905))
    _first, digest = smtp.to("fan@example.org")
    assert digest.message["Subject"].startswith('19 new comments on "world/test-article"')
    text = digest.text()
    assert sum(f"Comment number {i} on a busy article." in text for i in range(20)) == 19
    assert digest.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert {r["status"] for r in await rows_for(client, "fan@example.org")} == {"sent"}
    await notify(client, clock=lambda: now_utc() + timedelta(seconds=2000))
    assert len(smtp.to("fan@example.org")) == 2


async def test_author_hears_when_a_moderator_publishes_a_held_comment(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    runtime = runtime_of(client)
    await set_policy(client, mode="premoderate")
    held = await post(
        client, body="Waiting for a human.", author_name="Hana", author_email="Hana@Example.org"
    )
    await notify(client)
    assert smtp.messages == []
    await runtime.service.transition(
        Transition(
            held["id"],
            frozenset({"pending"}),
            Status.APPROVED,
            actor="mod@example.org",
            action="approve",
        )
    )
    await notify(client)
    [note] = smtp.to("hana@example.org")
    assert "is published" in note.message["Subject"]
    assert "Waiting for a human." in note.text()
    assert note.message["List-Unsubscribe"].startswith("<http://127.0.0.1:8080/u/")

    await set_policy(client, mode="auto")
    await post(client, body="Approved by the machine.", author_email="hana@example.org")
    await notify(client)
    assert len(smtp.to("hana@example.org")) == 1, "no note when nobody had to approve it"

    await set_policy(client, mode="premoderate", notify_author_on_approval=False)
    quiet = await post(client, body="A site that does not tell.", author_email="hana@example.org")
    await notify(client)
    await runtime.service.transition(
        Transition(
            quiet["id"],
            frozenset({"pending"}),
            Status.APPROVED,
            actor="mod@example.org",
            action="approve",
        )
    )
    await notify(client)
    assert len(smtp.to("hana@example.org")) == 1


async def test_moderators_get_at_most_one_alert_per_interval(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    import asyncio

    store = runtime_of(client).store
    async with store.db.write() as conn:
        await conn.execute(
            moderators.insert(),
            [
                {
                    "email": "Mod@Example.org",
                    "password_hash": "x",
                    "role": "moderator",
                    "sites": ["default"],
                    "notify_pending": True,
                    "created_at": now_utc() - timedelta(days=1),
                },
                {
                    "email": "quiet@example.org",
                    "password_hash": "x",
                    "role": "moderator",
                    "sites": [],
                    "notify_pending": False,
                    "created_at": now_utc() - timedelta(days=1),
                },
            ],
        )
    await set_policy(client, mode="premoderate")
    for i in range(3):
        await post(client, body=f"Held comment {i}.", author_name=f"Writer {i}")
    await notify(client, moderator_alert_interval_s=1)
    [alert] = smtp.to("mod@example.org")
    assert alert.message["Subject"] == "3 comments waiting for review"
    assert "http://127.0.0.1:8080/moderate" in alert.text()
    assert "Held comment 2." in alert.text()
    assert smtp.to("quiet@example.org") == []

    await post(client, body="Held comment 3.", author_name="Writer 3")
    await notify(client, moderator_alert_interval_s=1)
    assert len(smtp.to("mod@example.org")) == 1, "not twice within the interval"
    await asyncio.sleep(1.1)
    await notify(client, moderator_alert_interval_s=1)
    second = smtp.to("mod@example.org")[1]
    assert second.message["Subject"] == "1 comment waiting for review"
    assert "Held comment 3." in second.text() and "Held comment 0." not in second.text()
    await asyncio.sleep(1.1)
    await notify(client, moderator_alert_interval_s=1)
    assert len(smtp.to("mod@example.org")) == 2, "nothing new pending, no alert"


async def test_unconfirmed_subscriptions_expire_after_seven_days(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    store = runtime_of(client).store
    thread = await store.threads.ensure("default", THREAD)
    old = await store.subscriptions.request(
        "default",
        thread.id,
        "old@example.org",
        SubscriptionKind.THREAD,
        now_utc() - timedelta(days=8),
        confirmation=False,
    )
    young = await store.subscriptions.request(
        "default",
        thread.id,
        "young@example.org",
        SubscriptionKind.THREAD,
        now_utc() - timedelta(days=6),
        confirmation=False,
    )
    kept = await subscriber(store, "kept@example.org")
    await notify(client)
    assert await store.subscriptions.get(old.id) is None
    assert await store.subscriptions.get(young.id) is not None
    assert await store.subscriptions.get(kept.id) is not None


async def test_a_comment_taken_back_before_sending_is_not_mailed(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    runtime = runtime_of(client)
    await set_policy(client, digest_window_s=900)
    await subscriber(runtime.store, "fan@example.org")
    await post(client, body="The first one goes at once.")
    second = await post(client, body="The second waits for the digest.")
    third = await post(client, body="The third waits too.")
    await notify(client)
    await runtime.service.transition(
        Transition(
            second["id"],
            frozenset({"approved"}),
            Status.SPAM,
            actor="mod@example.org",
            action="spam",
        )
    )
    await notify(client, clock=lambda: now_utc() + timedelta(seconds=901))
    _first, digest = smtp.to("fan@example.org")
    assert "The third waits too." in digest.text()
    assert "The second waits" not in digest.text()
    status = {r["comment_id"]: r["status"] for r in await rows_for(client, "fan@example.org")}
    assert status[second["id"]] == "suppressed" and status[third["id"]] == "sent"


async def test_redelivered_job_sends_nothing_twice(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    runtime = runtime_of(client)
    await subscriber(runtime.store, "once@example.org")
    posted = await post(client, body="Only once, please.")
    await notify(client)
    await runtime.notify_queue.publish({"comment_id": posted["id"]})  # a lost ack, a sweeper ring
    await runtime.notify_queue.publish({"comment_id": posted["id"]})
    await notify(client)
    assert len(smtp.to("once@example.org")) == 1
    comment = await runtime.store.comments.get(posted["id"])
    assert comment is not None and comment.notified_at is not None


async def test_comments_nobody_follows_are_settled_without_deliveries(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    """A thread without subscribers: approvals are marked notified, no rows, no mail."""
    ids = [(await post_approved(client, thread="quiet/thread"))["id"] for _ in range(5)]
    await notify(client)
    runtime = runtime_of(client)
    async with runtime.store.db.read() as conn:
        notified = await conn.execute(
            sa.select(comments.c.id, comments.c.notified_at).where(comments.c.id.in_(ids))
        )
        assert all(at is not None for _, at in notified)
        assert await conn.scalar(sa.select(sa.func.count()).select_from(deliveries)) == 0
    assert smtp.messages == []
    assert await runtime.store.comments.approved_unnotified_before(now_utc() + timedelta(1)) == []


class SlowServer(SMTPServer):
    """A relay that takes a while over each message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.15)
        return await super().handle_DATA(server, session, envelope)


async def test_a_bounce_stops_the_rest_of_the_batch_to_that_address(
    client: Client, smtp: SMTPServer
) -> None:
    store = runtime_of(client).store
    await subscriber(store, "gone@example.org")
    smtp.refuse["gone@example.org"] = "550 5.1.1 no such user"
    for i in range(3):
        await post(client, body=f"Comment number {i}.", author_name="Bob")
    await drain(client)
    await notify(client)
    assert smtp.rcpt_attempts["gone@example.org"] == 1
    async with store.db.read() as conn:
        statuses = sorted(
            r[0]
            for r in await conn.execute(
                sa.select(deliveries.c.status).where(deliveries.c.recipient == "gone@example.org")
            )
        )
    assert statuses == ["failed", "suppressed", "suppressed"]


async def test_mail_about_a_comment_held_again_waits_and_goes_when_approved(
    client: Client, smtp: SMTPServer
) -> None:
    rt = runtime_of(client)
    await set_policy(client, digest_window_s=600, moderation_keys=["miracle cure"])
    await subscriber(rt.store, "alice@example.org")
    await post(client, body="First comment.", author_name="Bob")
    await notify(client)
    assert len(smtp.to("alice@example.org")) == 1
    second = await post(client, body="Second comment, with a typo.", author_name="Carol")
    await notify(client)  # alice's email about it waits in a 10-minute digest
    resp = await client.patch(
        f"/api/v1/comments/{second['id']}",
        json={"body": "Second comment (about the miracle cure)."},
        headers={"Authorization": f"Bearer {second['edit_token']}"},
    )
    assert resp.status == 202
    await drain(client)
    held = await rt.store.comments.get(second["id"])
    assert held is not None and held.status is Status.PENDING
    later = now_utc() + timedelta(minutes=11)
    await run_notifier(rt, burst=True, clock=lambda: later)  # the digest falls due: it waits
    assert len(smtp.to("alice@example.org")) == 1
    async with rt.store.db.read() as conn:  # waiting used up none of its retries
        waiting = (
            await conn.execute(
                sa.select(deliveries.c.status, deliveries.c.attempts).where(
                    deliveries.c.comment_id == second["id"]
                )
            )
        ).all()
    assert [tuple(r) for r in waiting] == [("queued", 0)]
    result = await rt.service.transition(
        Transition(second["id"], frozenset({"pending"}), Status.APPROVED, "mod@ex.org", "approve")
    )
    assert result is not None
    await notify(client, clock=lambda: later + timedelta(hours=1))
    mails = smtp.to("alice@example.org")
    assert len(mails) == 2 and "miracle cure" in mails[1].text()


async def test_two_notifiers_and_a_slow_relay_send_each_row_once(
    client: Client, smtp: SMTPServer
) -> None:
    smtp.__class__ = SlowServer
    rt = runtime_of(client)
    for i in range(200):
        await subscriber(rt.store, f"r{i}@example.org")
    await post(client, body="A comment for 200 subscribers.", author_name="Bob")
    await drain(client)

    def notifier() -> tuple[Notifier, SMTPDestination]:
        dest = SMTPDestination(SMTPConfig.from_url(smtp.url), "comments@news.example", pool_size=8)
        return Notifier(rt.settings, rt.store, rt.keys, rt.redis, dest, lease_s=3.0), dest

    (a, dest_a), (b, dest_b) = notifier(), notifier()
    await run_consumer(rt.notify_queue, a.handle, name="notifier", burst=True)

    async def b_after_a_lease() -> int:  # 200 sends take about 4 s on 8 connections
        await asyncio.sleep(3.2)
        return await b.send_due()

    await asyncio.gather(a.send_due(), b_after_a_lease())
    await a.drain_due()
    await b.drain_due()
    await dest_a.close()
    await dest_b.close()
    per_recipient = collections.Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert len(per_recipient) == 200
    assert max(per_recipient.values()) == 1


async def test_a_late_digest_row_never_pulls_in_rows_another_notifier_holds(
    client: Client, smtp: SMTPServer
) -> None:
    rt = runtime_of(client)
    await set_policy(client, digest_window_s=600)
    await subscriber(rt.store, "alice@example.org")
    t0 = now_utc()
    await post(client, body="One.", author_name="Bob")
    await notify(client, clock=lambda: t0)
    await post(client, body="Two.", author_name="Bob")
    await notify(client, clock=lambda: t0 + timedelta(seconds=10))
    a_rows = await rt.store.deliveries.claim_due(t0 + timedelta(seconds=601), 200, 60)
    assert a_rows
    # Notifier B's clock is 2 s behind: it fans a third comment into the same group.
    dest = SMTPDestination(SMTPConfig.from_url(smtp.url), "comments@news.example")
    b_clock = [t0 + timedelta(seconds=599)]
    b = Notifier(rt.settings, rt.store, rt.keys, rt.redis, dest, clock=lambda: b_clock[0])
    await post(client, body="Three.", author_name="Bob")
    await drain(client)
    await run_consumer(rt.notify_queue, b.handle, name="notifier", burst=True)
    b_clock[0] = t0 + timedelta(seconds=601)
    b_rows = await rt.store.deliveries.claim_due(b_clock[0], 200, 60)
    await dest.close()
    assert b_rows  # the late row itself
    assert not {r.id for r in a_rows} & {r.id for r in b_rows}


async def test_a_reporters_mail_is_retried_like_any_other(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    """The corrections desk's confirmation is a deliveries row: a greylisting mail server
    delays it, never loses or repeats it (issue 16)."""
    smtp.rcpt_script["reporter@example.org"] = ["451 4.7.1 greylisted, try later"]
    resp = await client.post(
        "/api/v1/corrections",
        json={
            "thread": "world/test-article",
            "anchor": {"quote": "forty", "prefix": "", "suffix": "", "block": "p1"},
            "note": "It was fourteen.",
            "email": "reporter@example.org",
            "lang": "fr",
        },
    )
    assert resp.status == 202, await resp.text()
    await notify(client)
    await notify(client)
    assert smtp.rcpt_attempts["reporter@example.org"] == 2
    [mail] = smtp.to("reporter@example.org")
    assert '<html lang="fr"' in mail.html() and "/c/" in mail.text()
    [row] = await rows_for(client, "reporter@example.org")
    assert (row["template"], row["status"], row["attempts"]) == ("correction_confirm", "sent", 2)
