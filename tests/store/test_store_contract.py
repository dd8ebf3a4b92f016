"""The Store contract: every test runs on SQLite and on PostgreSQL (see the test id)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from commentsvc import ids
from commentsvc.clock import now_utc
from commentsvc.models import Kind, Status
from commentsvc.store import Store
from commentsvc.store.cursors import CursorError
from commentsvc.store.reactions import TooManyVoters
from commentsvc.store.records import Transition
from commentsvc.store.tables import metadata


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    s = Store.from_url(database_url)
    await s.migrate()
    try:
        yield s
    finally:
        await s.close()


def row(
    thread_id: int,
    *,
    parent: dict[str, Any] | None = None,
    status: Status = Status.RECEIVED,
    body: str = "hello",
    kind: Kind = Kind.COMMENT,
    **extra: Any,
) -> dict[str, Any]:
    comment_id = ids.new_id()
    return {
        "id": comment_id,
        "site_id": "default",
        "thread_id": thread_id,
        "parent_id": parent["id"] if parent else None,
        "root_id": parent["root_id"] if parent else comment_id,
        "depth": parent["depth"] + 1 if parent else 0,
        "kind": kind.value,
        "anchor": {"quote": "q"} if kind is Kind.FEEDBACK else None,
        "author_name": "Ann",
        "author_email": "ann@example.org",
        "ip_hash": "iphash1",
        "user_agent": "ua",
        "body": body,
        "body_html": f"<p>{body}</p>",
        "body_hash": f"h-{body}",
        "honeypot": False,
        "status": status.value,
        "moderation": {},
        "created_at": now_utc(),
        "edit_token_hash": "th",
        **extra,
    }


async def approve(store: Store, comment_id: str) -> Any:
    return await store.comments.transition(
        Transition(
            comment_id, frozenset({"received", "pending"}), Status.APPROVED, "system", "moderate"
        )
    )


async def test_migrate_is_idempotent_and_matches_the_tables(store: Store) -> None:
    assert await store.migrate() == await store.migrate()
    sites = await store.sites.all()
    assert [s.id for s in sites] == ["default"]

    def diff(conn: sa.Connection) -> list[Any]:
        return compare_metadata(MigrationContext.configure(conn), metadata)  # type: ignore[no-any-return]

    async with store.db.read() as conn:
        assert await conn.run_sync(diff) == []


async def test_sites(store: Store) -> None:
    await store.sites.add("news", "News", ["https://news.example"], {"max_links": 3})
    site = await store.sites.get("news")
    assert site is not None and site.allowed_origins == ("https://news.example",)
    assert site.policy == {"max_links": 3}
    updated = await store.sites.update("news", policy={"mode": "premoderate"}, allowed_origins=[])
    assert (
        updated is not None
        and updated.policy == {"mode": "premoderate"}
        and updated.allowed_origins == ()
    )
    assert await store.sites.get("nope") is None


async def test_threads_ensure_keeps_first_url_and_title(store: Store) -> None:
    t = await store.threads.ensure("default", "world/a")
    again = await store.threads.ensure("default", "world/a", "https://x.example/a", "Title")
    assert again.id == t.id and again.url == "https://x.example/a" and again.title == "Title"
    third = await store.threads.ensure("default", "world/a", "https://other.example", "Other")
    assert third.url == "https://x.example/a" and third.title == "Title"
    racing = await asyncio.gather(
        *(store.threads.ensure("default", "world/race") for _ in range(5))
    )
    assert len({r.id for r in racing}) == 1


async def test_insert_and_get(store: Store) -> None:
    t = await store.threads.ensure("default", "k")
    rows = [row(t.id, body=f"b{i}") for i in range(3)]
    await store.comments.insert_many(rows)
    got = await store.comments.get(rows[0]["id"])
    assert got is not None and got.status is Status.RECEIVED and got.created_at.tzinfo is not None
    assert {c.id for c in await store.comments.get_many([r["id"] for r in rows])} == {
        r["id"] for r in rows
    }
    assert [e.action for e in await store.comments.events(rows[0]["id"])] == ["post"]


async def test_transition_is_compare_and_set_with_one_event(store: Store) -> None:
    t = await store.threads.ensure("default", "cas")
    r = row(t.id)
    await store.comments.insert_many([r])
    results = await asyncio.gather(*(approve(store, r["id"]) for _ in range(4)))
    winners = [x for x in results if x is not None]
    assert len(winners) == 1
    assert winners[0].first_approval and winners[0].from_status is Status.RECEIVED
    assert winners[0].thread.count == 1
    events = await store.comments.events(r["id"])
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "received"),
        ("received", "approved"),
    ]
    back = await store.comments.transition(
        Transition(r["id"], frozenset({"approved"}), Status.PENDING, "mod", "hold")
    )
    assert back is not None and back.thread.count == 0
    again = await approve(store, r["id"])
    assert (
        again is not None and not again.first_approval
    )  # notified once, on the first approval only


async def test_counts_follow_transitions_and_feedback(store: Store) -> None:
    t = await store.threads.ensure("default", "counts")
    c, f = row(t.id, body="c"), row(t.id, body="f", kind=Kind.FEEDBACK)
    await store.comments.insert_many([c, f])
    await approve(store, c["id"])
    result = await approve(store, f["id"])
    assert result is not None and (result.thread.count, result.thread.feedback_count) == (2, 1)
    await store.comments.transition(
        Transition(f["id"], frozenset({"approved"}), Status.DELETED, "author", "delete")
    )
    assert await store.threads.counts("default", ["counts", "missing"]) == {
        "counts": 1,
        "missing": 0,
    }


async def test_require_no_replies_blocks_edit(store: Store) -> None:
    t = await store.threads.ensure("default", "edit")
    parent = row(t.id)
    await store.comments.insert_many([parent])
    await approve(store, parent["id"])
    await store.comments.insert_many([row(t.id, parent=parent, body="reply")])
    assert await store.comments.has_replies(parent["id"])
    edit = Transition(
        parent["id"],
        frozenset({"approved"}),
        Status.RECEIVED,
        "author",
        "edit",
        changes={"body": "new"},
        require_no_replies=True,
    )
    assert await store.comments.transition(edit) is None


async def test_thread_page_nests_paginates_and_hides(store: Store) -> None:
    t = await store.threads.ensure("default", "page")
    tops = [row(t.id, body=f"top{i}") for i in range(5)]
    await store.comments.insert_many(tops)
    for r in tops:
        await approve(store, r["id"])
    reply = row(t.id, parent=tops[0], body="reply")
    hidden = row(t.id, parent=tops[0], body="hidden")
    await store.comments.insert_many([reply, hidden])
    await approve(store, reply["id"])
    page = await store.comments.thread_page(t.id, sort="oldest", limit=2)
    assert [c.id for c in page.top] == [tops[0]["id"], tops[1]["id"]]
    assert [c.id for c in page.replies] == [reply["id"]]
    seen = [c.id for c in page.top]
    cursor = page.next_cursor
    while cursor:
        page = await store.comments.thread_page(t.id, sort="oldest", limit=2, cursor=cursor)
        seen += [c.id for c in page.top]
        cursor = page.next_cursor
    assert seen == [r["id"] for r in tops]
    with pytest.raises(CursorError):
        await store.comments.thread_page(
            t.id, sort="top", cursor=page.next_cursor or "bm90LWEtY3Vyc29y"
        )


async def test_deleted_top_level_shows_only_with_visible_replies(store: Store) -> None:
    t = await store.threads.ensure("default", "del")
    lonely, parent = row(t.id, body="a"), row(t.id, body="b")
    await store.comments.insert_many([lonely, parent])
    for r in (lonely, parent):
        await approve(store, r["id"])
    child = row(t.id, parent=parent, body="c")
    await store.comments.insert_many([child])
    await approve(store, child["id"])
    for r in (lonely, parent):
        await store.comments.transition(
            Transition(r["id"], frozenset({"approved"}), Status.DELETED, "author", "delete")
        )
    page = await store.comments.thread_page(t.id)
    assert [c.id for c in page.top] == [parent["id"]]


async def test_top_sort_and_votes(store: Store) -> None:
    t = await store.threads.ensure("default", "votes")
    a, b = row(t.id, body="a"), row(t.id, body="b")
    await store.comments.insert_many([a, b])
    for r in (a, b):
        await approve(store, r["id"])
    assert await store.reactions.set_vote(b["id"], t.id, "v1", 1) == (1, 0)
    assert await store.reactions.set_vote(b["id"], t.id, "v1", 1) == (1, 0)
    assert await store.reactions.set_vote(b["id"], t.id, "v2", -1) == (1, 1)
    assert await store.reactions.set_vote(a["id"], t.id, "v2", 1) == (1, 0)
    assert await store.reactions.set_vote(b["id"], t.id, "v2", 0) == (1, 0)
    assert await store.reactions.set_vote(b["id"], t.id, "v3", 1) == (2, 0)
    page = await store.comments.thread_page(t.id, sort="top", limit=1)
    assert [c.id for c in page.top] == [b["id"]]
    assert page.next_cursor
    rest = await store.comments.thread_page(t.id, sort="top", limit=1, cursor=page.next_cursor)
    assert [c.id for c in rest.top] == [a["id"]]


async def test_one_address_may_vote_under_a_few_voter_ids_only(store: Store) -> None:
    t = await store.threads.ensure("default", "voters")
    c = row(t.id, body="c")
    await store.comments.insert_many([c])
    await approve(store, c["id"])

    async def vote(voter: str, value: int, ip_hash: str = "net-a") -> tuple[int, int]:
        return await store.reactions.set_vote(
            c["id"], t.id, voter, value, ip_hash=ip_hash, max_voters_per_address=2
        )

    assert await vote("v1", 1) == (1, 0)
    assert await vote("v2", 1) == (2, 0)
    with pytest.raises(TooManyVoters):
        await vote("v3", 1)
    assert await vote("v2", -1) == (1, 1)  # changing a vote is always fine
    assert await vote("v3", 1, ip_hash="net-b") == (2, 1)  # another address
    assert await vote("v1", 0) == (1, 1)  # withdrawing frees a place
    assert await vote("v4", 1) == (2, 1)


async def test_flags_count_distinct_reporters(store: Store) -> None:
    t = await store.threads.ensure("default", "flags")
    r = row(t.id)
    await store.comments.insert_many([r])
    assert await store.reactions.add_flag(r["id"], "rep1", "spam", "") == (True, 1)
    assert await store.reactions.add_flag(r["id"], "rep1", "abuse", "") == (False, 1)
    assert await store.reactions.add_flag(r["id"], "rep2", "abuse", "n") == (True, 2)


async def test_moderation_facts(store: Store) -> None:
    t = await store.threads.ensure("default", "facts")
    old = row(t.id, body="same text")
    await store.comments.insert_many([old])
    await approve(store, old["id"])
    new = row(t.id, body="same text")
    await store.comments.insert_many([new])
    since = now_utc() - timedelta(hours=1)
    counted = await store.comments.count_approved_by_authors(
        [("Ann", "ann@example.org", None), ("Bob", None, "iphash1"), ("Ann", None, None)]
    )
    assert counted == {
        ("Ann", "ann@example.org", None): 1,
        ("Bob", None, "iphash1"): 0,
        ("Ann", None, None): 0,
    }
    assert (
        await store.comments.find_duplicate(t.id, "h-same text", "iphash1", None, since) is not None
    )
    assert await store.comments.find_duplicate(t.id, "h-other", "iphash1", None, since) is None


async def test_sweeper_queries(store: Store) -> None:
    t = await store.threads.ensure("default", "sweep")
    r = row(t.id)
    await store.comments.insert_many([r])
    later = now_utc() + timedelta(seconds=1)
    assert await store.comments.ids_in_status_before(Status.RECEIVED, later) == [r["id"]]
    assert (
        await store.comments.ids_in_status_before(Status.RECEIVED, now_utc() - timedelta(minutes=1))
        == []
    )
    await approve(store, r["id"])
    assert await store.comments.approved_unnotified_before(later) == [r["id"]]
    await store.comments.mark_notified_many([r["id"]])
    assert await store.comments.approved_unnotified_before(later) == []


async def test_bans_expire(store: Store) -> None:
    await store.bans.add("default", "email", "x@example.org", "spammer")
    await store.bans.add("default", "ip", "abc", expires_at=now_utc() - timedelta(seconds=1))
    active = await store.bans.active("default")
    assert [(b.kind, b.value) for b in active] == [("email", "x@example.org")]
    assert await store.bans.remove(active[0].id)
    assert await store.bans.active("default") == []
