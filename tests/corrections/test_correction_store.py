"""The corrections store contract: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from commentsvc.clock import now_utc
from commentsvc.models import Anchor
from commentsvc.store import Store
from commentsvc.store.corrections import CorrectionStatus
from commentsvc.store.tables import metadata


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    s = Store.from_url(database_url)
    await s.migrate()
    try:
        yield s
    finally:
        await s.close()


async def _report(store: Store, key: str = "world/a", **fields: object) -> int:
    thread = await store.threads.ensure("default", key)
    values: dict[str, object] = {
        "site_id": "default",
        "thread_id": thread.id,
        "anchor": Anchor(quote="42 million", prefix="about ", suffix=" people", block="p2"),
        "note": "It was 24 million.",
        "reporter_email": None,
        "lang": "de",
        "ip_hash": "abc",
        "user_agent": "test",
        "status": CorrectionStatus.OPEN,
        "now": now_utc(),
        **fields,
    }
    stored = await store.corrections.add(**values)  # type: ignore[arg-type]
    return stored.id


async def test_the_migration_builds_exactly_the_corrections_table(store: Store) -> None:
    def diff(conn: Connection) -> list[object]:
        found = compare_metadata(MigrationContext.configure(conn), metadata)
        return [d for d in found if "corrections" in repr(d)]

    async with store.db.read() as conn:
        assert await conn.run_sync(diff) == []


async def test_a_report_is_stored_with_its_passage_and_thread(store: Store) -> None:
    cid = await _report(store)
    found = await store.corrections.get(cid)
    assert found is not None
    assert found.anchor.quote == "42 million" and found.anchor.block == "p2"
    assert found.thread_key == "world/a"
    assert found.status is CorrectionStatus.OPEN
    assert found.lang == "de"
    assert await store.corrections.count_open("default") == 1


async def test_only_corrected_reports_are_corrected_passages(store: Store) -> None:
    a = await _report(store)
    b = await _report(store)
    await _report(store, status=CorrectionStatus.SPAM)
    thread = await store.threads.get("default", "world/a")
    assert thread is not None
    assert await store.corrections.corrected(thread.id) == []
    await store.corrections.decide(
        a, CorrectionStatus.CORRECTED, "Fixed the figure.", "m", now_utc()
    )
    await store.corrections.decide(b, CorrectionStatus.NOT_AN_ERROR, "ignored", "m", now_utc())
    passages = await store.corrections.corrected(thread.id)
    assert [(p.id, p.public_note) for p in passages] == [(a, "Fixed the figure.")]
    not_error = await store.corrections.get(b)
    assert not_error is not None and not_error.public_note == ""  # only a correction has one
    listed = await store.corrections.listing("default", None)
    assert [c.id for c in listed] == [a, b]  # spam is never listed
    assert [c.id for c in await store.corrections.listing("default", CorrectionStatus.OPEN)] == []


async def test_the_reporter_is_claimed_for_email_once_and_only_if_confirmed(store: Store) -> None:
    cid = await _report(store, reporter_email="reader@example.org")
    await store.corrections.decide(cid, CorrectionStatus.CORRECTED, "", "m", now_utc())
    assert not await store.corrections.claim_notification(cid, now_utc())  # not confirmed
    confirmed = await store.corrections.confirm_email(cid, now_utc())
    assert confirmed is not None and confirmed.email_confirmed_at is not None
    assert await store.corrections.claim_notification(cid, now_utc())
    assert not await store.corrections.claim_notification(cid, now_utc())  # never twice
    # Reopened and corrected again: still no second email.
    await store.corrections.decide(cid, CorrectionStatus.OPEN, "", "m", now_utc())
    await store.corrections.decide(cid, CorrectionStatus.CORRECTED, "", "m", now_utc())
    assert not await store.corrections.claim_notification(cid, now_utc())
