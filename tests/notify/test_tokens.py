"""Signed links: purpose-bound, bound to their row, no email inside, tamper-evident."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from commentsvc.clock import now_utc
from commentsvc.models import SubscriptionKind
from commentsvc.notify.tokens import CONFIRM, UNSUBSCRIBE, Tokens
from commentsvc.security import Keys
from commentsvc.store.deliveries import Delivery
from commentsvc.store.subscriptions import Subscription
from tests.notify.conftest import RETRY_HOURLY, SMTPServer, notify, subscriber
from tests.support import TEST_SECRET, runtime_of
from tests.web.helpers import post

NOW = datetime(2026, 1, 2, tzinfo=UTC)
THREAD = "world/test-article"
Client = TestClient[Any, Any]


def sub(id_: int = 41, email: str = "reader@example.org", thread_id: int = 3) -> Subscription:
    return Subscription(id_, "default", thread_id, email, SubscriptionKind.THREAD, None, NOW)


def test_tokens_name_their_row_and_purpose_only() -> None:
    tokens = Tokens(Keys(TEST_SECRET))
    s = sub()
    confirm, unsubscribe = tokens.confirm(s), tokens.unsubscribe(s)
    for token in (confirm, unsubscribe):
        assert "reader" not in token and "example" not in token
        decoded = "".join(
            base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("latin-1")
            for part in token.split(".")
            if part
        )
        assert "reader@example.org" not in decoded
    ref = tokens.read(CONFIRM, confirm)
    assert ref is not None and ref.kind == "subscription" and ref.id == 41
    assert tokens.matches_subscription(ref, s)
    assert tokens.read(UNSUBSCRIBE, confirm) is None, "a confirm link can't unsubscribe"
    assert tokens.read(CONFIRM, unsubscribe) is None, "an unsubscribe link can't confirm"


def test_a_token_does_not_fit_another_row_with_the_same_id() -> None:
    tokens = Tokens(Keys(TEST_SECRET))
    ref = tokens.read(UNSUBSCRIBE, tokens.unsubscribe(sub()))
    assert ref is not None
    assert not tokens.matches_subscription(ref, sub(email="someone-else@example.org"))
    assert not tokens.matches_subscription(ref, sub(thread_id=4))
    assert not tokens.matches_subscription(ref, sub(id_=42))


def test_altered_or_foreign_tokens_are_refused() -> None:
    tokens = Tokens(Keys(TEST_SECRET))
    token = tokens.unsubscribe(sub())
    assert tokens.read(UNSUBSCRIBE, token.replace("s41-", "s42-", 1)) is None
    assert tokens.read(UNSUBSCRIBE, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert tokens.read(UNSUBSCRIBE, "") is None and tokens.read(UNSUBSCRIBE, "x" * 1000) is None
    other = Tokens(Keys("another-secret-key-that-is-long-enough-0123456789"))
    assert other.read(UNSUBSCRIBE, token) is None


def test_delivery_tokens_are_bound_to_the_recipient() -> None:
    tokens = Tokens(Keys(TEST_SECRET))
    delivery = Delivery(
        9, "author@example.org", None, "approved", "sent", 1, None, None, NOW, None, NOW, None, None
    )
    ref = tokens.read(UNSUBSCRIBE, tokens.unsubscribe_delivery(9, "author@example.org"))
    assert ref is not None and ref.kind == "delivery" and tokens.matches_delivery(ref, delivery)
    moved = Delivery(
        9, "victim@example.org", None, "approved", "sent", 1, None, None, NOW, None, NOW, None, None
    )
    assert not tokens.matches_delivery(ref, moved)


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
