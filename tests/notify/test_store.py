"""The subscription and delivery stores: a contract run on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from commentsvc import ids
from commentsvc.clock import now_utc
from commentsvc.models import Status, SubscriptionKind
from commentsvc.store import Store
from commentsvc.store.deliveries import (
    FAILED,
    QUEUED,
    SENT,
    Outcome,
    Planned,
)
from commentsvc.store.records import Transition
from commentsvc.store.tables import comments, deliveries
from commentsvc.store.throttle import digest_closes_at

T0 = now_utc().replace(microsecond=0)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    s = Store.from_url(database_url)
    await s.migrate()
    try:
        yield s
    finally:
        await s.close()


async def new_comment(
    store: Store,
    thread_id: int,
    parent: str | None = None,
    email: str | None = None,
    status: Status = Status.APPROVED,
) -> str:
    comment_id = ids.new_id()
    parent_row = await store.comments.get(parent) if parent else None
    await store.comments.insert_many(
        [
            {
                "id": comment_id,
                "site_id": "default",
                "thread_id": thread_id,
                "parent_id": parent,
                "root_id": parent_row.root_id if parent_row else comment_id,
                "depth": parent_row.depth + 1 if parent_row else 0,
                "kind": "comment",
                "anchor": None,
                "author_name": "A",
                "author_email": email,
                "ip_hash": None,
                "user_agent": "",
                "body": "b",
                "body_html": "<p>b</p>",
                "body_hash": comment_id,
                "honeypot": False,
                "status": "received",
                "moderation": {},
                "created_at": now_utc(),
                "edit_token_hash": "t",
            }
        ]
    )
    if status is not Status.RECEIVED:
        await store.comments.transition(
            Transition(comment_id, frozenset({"received"}), status, "system", "moderate")
        )
    return comment_id


async def rows(store: Store, **where: Any) -> list[dict[str, Any]]:
    query = sa.select(deliveries).order_by(deliveries.c.id)
    for column, value in where.items():
        query = query.where(deliveries.c[column] == value)
    async with store.db.read() as conn:
        return [dict(r) for r in (await conn.execute(query)).mappings()]


async def test_subscriptions_are_one_per_address_kind_and_thread(store: Store) -> None:
    thread = await store.threads.ensure("default", "t")
    first = await store.subscriptions.request(
        "default", thread.id, "Ann@Example.org", SubscriptionKind.THREAD, T0, confirmation=True
    )
    again = await store.subscriptions.request(
        "default", thread.id, "ann@example.org ", SubscriptionKind.THREAD, T0, confirmation=True
    )
    other = await store.subscriptions.request(
        "default", thread.id, "ann@example.org", SubscriptionKind.REPLIES, T0, confirmation=False
    )
    assert first.id == again.id != other.id and first.email == "ann@example.org"
    assert [r["template"] for r in await rows(store)] == ["confirm", "confirm"]
    assert await store.subscriptions.confirmed(thread.id, SubscriptionKind.THREAD) == []
    confirmed = await store.subscriptions.confirm(first.id, T0)
    assert confirmed is not None and confirmed.confirmed_at == T0
    assert (await store.subscriptions.confirm(first.id, T0 + timedelta(days=1))).confirmed_at == T0  # type: ignore[union-attr]
    assert await store.subscriptions.confirmed(thread.id, SubscriptionKind.THREAD) == [
        (first.id, "ann@example.org")
    ]
    confirmed_again = await store.subscriptions.request(
        "default", thread.id, "ann@example.org", SubscriptionKind.THREAD, T0, confirmation=True
    )
    assert confirmed_again.confirmed and len(await rows(store)) == 2, (
        "no confirmation for a confirmed one"
    )
    await store.subscriptions.suppress("ANN@example.org", "unsubscribed_all", T0)
    assert await store.subscriptions.is_suppressed("ann@example.org")
    assert (
        await store.subscriptions.get(first.id) is None
        and await store.subscriptions.get(other.id) is None
    )


async def test_unconfirmed_subscriptions_expire(store: Store) -> None:
    thread = await store.threads.ensure("default", "t")
    old = await store.subscriptions.request(
        "default",
        thread.id,
        "old@x.example",
        SubscriptionKind.THREAD,
        T0 - timedelta(days=8),
        confirmation=False,
    )
    kept = await store.subscriptions.request(
        "default",
        thread.id,
        "kept@x.example",
        SubscriptionKind.THREAD,
        T0 - timedelta(days=8),
        confirmation=False,
    )
    await store.subscriptions.confirm(kept.id, T0)
    assert await store.subscriptions.expire_unconfirmed(T0 - timedelta(days=7)) == 1
    assert (
        await store.subscriptions.get(old.id) is None
        and await store.subscriptions.get(kept.id) is not None
    )


async def test_fan_out_writes_once_and_marks_the_comment(store: Store) -> None:
    thread = await store.threads.ensure("default", "t")
    comment_id = await new_comment(store, thread.id)
    planned = [Planned("a@x.example", "thread", 1), Planned("b@x.example", "reply", 2)]
    assert await store.deliveries.fan_out(comment_id, thread.id, planned, 0, T0) == 2
    assert await store.deliveries.fan_out(comment_id, thread.id, planned, 0, T0) == 0
    comment = await store.comments.get(comment_id)
    assert comment is not None and comment.notified_at is not None
    async with store.db.write() as conn:  # as if the mark were lost: the unique rows still hold
        await conn.execute(
            comments.update().where(comments.c.id == comment_id).values(notified_at=None)
        )
    await store.deliveries.fan_out(comment_id, thread.id, planned, 0, T0)
    assert len(await rows(store)) == 2


async def test_throttle_opens_and_chains_digest_windows(store: Store) -> None:
    thread = await store.threads.ensure("default", "t")
    fan = [Planned("fan@x.example", "thread", 1)]
    moments = [0, 10, 20, 1000, 2800]
    for offset in moments:
        comment_id = await new_comment(store, thread.id)
        await store.deliveries.fan_out(
            comment_id, thread.id, fan, 900, T0 + timedelta(seconds=offset)
        )
    got = await rows(store)
    groups = [r["digest_group"] for r in got]
    assert groups[0] is None and groups[4] is None
    assert groups[1] == groups[2] and digest_closes_at(groups[1]) == T0 + timedelta(seconds=900)
    assert digest_closes_at(groups[3]) == T0 + timedelta(seconds=1800)
    assert got[1]["next_attempt_at"] == T0 + timedelta(seconds=900)


async def test_claims_lease_rows_and_take_whole_digests(store: Store) -> None:
    thread = await store.threads.ensure("default", "t")
    fan = [Planned("fan@x.example", "thread", 1)]
    for offset in (0, 5, 6, 7):
        comment_id = await new_comment(store, thread.id)
        await store.deliveries.fan_out(
            comment_id, thread.id, fan, 60, T0 + timedelta(seconds=offset)
        )
    [first] = await store.deliveries.claim_due(T0 + timedelta(seconds=10), 10, lease_s=30)
    assert first.attempts == 1 and first.digest_group is None
    assert await store.deliveries.claim_due(T0 + timedelta(seconds=20), 10, lease_s=30) == []
    again = await store.deliveries.claim_due(T0 + timedelta(seconds=45), 10, lease_s=30)
    assert [d.id for d in again] == [first.id] and again[0].attempts == 2, "the lease ran out"
    await store.deliveries.settle([Outcome((first.id,), SENT)], T0 + timedelta(seconds=50))
    digest = await store.deliveries.claim_due(T0 + timedelta(seconds=61), 1, lease_s=30)
    assert len(digest) == 3 and len({d.digest_group for d in digest}) == 1, (
        "a limit never splits a digest"
    )
    assert await store.deliveries.claim_due(T0 + timedelta(seconds=70), 10, lease_s=30) == []
    await store.deliveries.settle(
        [
            Outcome(
                tuple(d.id for d in digest),
                QUEUED,
                "451 later",
                retry_at=T0 + timedelta(seconds=500),
            )
        ],
        T0 + timedelta(seconds=75),
    )
    by_id = {r["id"]: r for r in await rows(store)}
    assert by_id[first.id]["status"] == SENT and by_id[first.id]["sent_at"] is not None
    assert {by_id[d.id]["next_attempt_at"] for d in digest} == {T0 + timedelta(seconds=500)}
    assert {by_id[d.id]["last_error"] for d in digest} == {"451 later"}
    await store.deliveries.settle(
        [Outcome((digest[0].id,), FAILED, "550 gone", suppress="FAN@x.example")], T0
    )
    assert await store.subscriptions.is_suppressed("fan@x.example")
    await store.deliveries.settle([Outcome((first.id,), FAILED, "late news")], T0)
    assert {r["id"]: r["status"] for r in await rows(store)}[first.id] == SENT, (
        "settled rows stay settled"
    )


async def test_chain_up_and_newly_pending(store: Store) -> None:
    thread = await store.threads.ensure("default", "t")
    root = await new_comment(store, thread.id, email="root@x.example")
    mid = await new_comment(store, thread.id, parent=root, email=None)
    leaf = await new_comment(store, thread.id, parent=mid, email="leaf@x.example")
    chain = await store.comments.chain_up(leaf)
    assert sorted(c[0] for c in chain) == sorted([root, mid, leaf])
    assert {c[1] for c in chain} == {"root@x.example", None, "leaf@x.example"}
    before = now_utc() - timedelta(seconds=1)
    held = [await new_comment(store, thread.id, status=Status.PENDING) for _ in range(3)]
    found, total = await store.alerts.newly_pending(before, None, 2)
    assert total == 3 and found == held[:2]
    assert (await store.alerts.newly_pending(before, ["elsewhere"], 10)) == ([], 0)
    assert (await store.alerts.newly_pending(now_utc(), None, 10)) == ([], 0)
