"""Defects a review of the notifier found, each shown here before it could come back:
a reused subscription id, a bounce not stopping the rest of a batch, mail lost when a
comment was held again, and two notifiers sending one row."""

from __future__ import annotations

import asyncio
import collections
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from commentsvc.clock import now_utc
from commentsvc.models import Status, SubscriptionKind
from commentsvc.notify.notifier import Notifier
from commentsvc.notify.sender import SMTPConfig, SMTPDestination
from commentsvc.notify.tokens import Tokens
from commentsvc.queue.consumer import run_consumer
from commentsvc.store.records import Transition
from commentsvc.store.tables import deliveries
from tests.notify.conftest import SMTPServer, notify, set_policy, subscriber
from tests.support import drain, runtime_of
from tests.web.helpers import post
from workers.notifier import run_notifier

Client = TestClient[Any, Any]
THREAD = "world/test-article"
RETRY_HOURLY = (3600.0,) * 5


async def test_a_deleted_subscriptions_id_never_stands_for_another(
    client: Client, smtp: SMTPServer
) -> None:
    rt = runtime_of(client)
    alice = await subscriber(rt.store, "alice@example.org")
    smtp.rcpt_script["alice@example.org"] = ["451 4.7.1 greylisted, try later"]
    await post(client, body="Bob says something.", author_name="Bob", author_email="b@ex.org")
    await notify(client, retry_schedule_s=RETRY_HOURLY)
    assert smtp.to("alice@example.org") == []  # her email waits for a retry
    token = Tokens(rt.keys).unsubscribe(alice)
    resp = await client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert resp.status == 200
    carol = await subscriber(rt.store, "carol@example.org", thread_key="other/article")
    assert carol.id != alice.id  # SQLite hands out a deleted row's id never again
    later = now_utc() + timedelta(hours=2)
    await notify(client, retry_schedule_s=RETRY_HOURLY, clock=lambda: later)
    assert smtp.to("alice@example.org") == []  # unsubscribed means no more mail


async def test_a_deferred_confirmation_can_not_confirm_someone_else(
    client: Client, smtp: SMTPServer
) -> None:
    store = runtime_of(client).store

    async def subscribe(email: str) -> None:
        body = {"thread": THREAD, "email": email, "kind": "thread"}
        assert (await client.post("/api/v1/subscriptions", json=body)).status == 202

    await subscribe("mallory@evil.example")
    await notify(client)
    unsubscribe = smtp.to("mallory@evil.example")[0].link("u")
    smtp.rcpt_script["mallory@evil.example"] = ["451 4.7.1 try again later"]
    await subscribe("mallory@evil.example")  # a second confirmation, deferred
    await notify(client, retry_schedule_s=(60.0,) * 5)
    assert (await client.post(unsubscribe)).status == 200
    await subscribe("victim@example.org")
    thread = await store.threads.ensure("default", THREAD)
    victim = await store.subscriptions.find(
        thread.id, "victim@example.org", SubscriptionKind.THREAD
    )
    assert victim is not None and not victim.confirmed
    later = now_utc() + timedelta(minutes=5)
    await notify(client, retry_schedule_s=(60.0,) * 5, clock=lambda: later)
    for mail in smtp.to("mallory@evil.example")[1:]:  # whatever reached her later
        await client.post(mail.link("s"))
    victim = await store.subscriptions.get(victim.id)
    assert victim is not None and not victim.confirmed


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


class SlowServer(SMTPServer):
    """A relay that takes a while over each message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.15)
        return await super().handle_DATA(server, session, envelope)


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
