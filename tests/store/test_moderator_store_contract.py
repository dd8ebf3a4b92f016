"""The ModeratorStore contract for API tokens and accounts, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from commentsvc.clock import now_utc
from commentsvc.store import Store
from commentsvc.store.migrate import alembic_config, head_revision
from commentsvc.store.moderators import TOKEN_TOUCH_EVERY, ModeratorRecord, TokenState
from commentsvc.store.tables import UTCDateTime, api_tokens, metadata


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    s = Store.from_url(database_url)
    await s.migrate()
    try:
        yield s
    finally:
        await s.close()


async def _moderator(store: Store, email: str = "ann@example.org") -> ModeratorRecord:
    return await store.moderators.add(email, "scrypt$hash", "moderator", ["*"])


async def _set_last_used(store: Store, token_id: int, ago: timedelta | None) -> None:
    value = None if ago is None else now_utc() - ago
    async with store.db.write() as conn:
        await conn.execute(
            api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=value)
        )


async def test_tokens_are_live_until_they_expire_or_are_revoked(store: Store) -> None:
    ann = await _moderator(store)
    bob = await _moderator(store, "bob@example.org")
    now = now_utc()
    plain = await store.moderators.add_token(ann.id, "h-plain", label="ci")
    later = await store.moderators.add_token(ann.id, "h-later", expires_at=now + timedelta(hours=1))
    gone = await store.moderators.add_token(ann.id, "h-gone", expires_at=now - timedelta(seconds=1))
    bobs = await store.moderators.add_token(bob.id, "h-bob")

    found = await store.moderators.use_token("h-plain")
    assert found is not None and found.moderator.email == "ann@example.org"
    assert (found.token.id, found.token.label) == (plain, "ci")
    assert found.token.state(now_utc()) is TokenState.ACTIVE
    expired = await store.moderators.use_token("h-gone")
    assert expired is not None and expired.token.state(now_utc()) is TokenState.EXPIRED
    assert await store.moderators.use_token("h-unknown") is None

    assert [t.id for t in await store.moderators.tokens(ann.id)] == [plain, later]
    every = await store.moderators.tokens(ann.id, include_inactive=True)
    assert [t.id for t in every] == [plain, later, gone]
    assert [(t.email, t.id) for t in await store.moderators.tokens()] == [
        ("ann@example.org", plain),
        ("ann@example.org", later),
        ("bob@example.org", bobs),
    ]

    assert not await store.moderators.revoke_token(bob.id, plain)  # not Bob's
    assert await store.moderators.revoke_token(ann.id, plain)
    assert not await store.moderators.revoke_token(ann.id, plain)  # revoked already
    assert not await store.moderators.revoke_token(ann.id, gone)  # expired: nothing to end
    revoked = await store.moderators.use_token("h-plain")
    assert revoked is not None and revoked.token.state(now_utc()) is TokenState.REVOKED
    assert revoked.token.revoked_at is not None

    assert await store.moderators.revoke_tokens(ann.id) == 1  # only `later` was still live
    assert await store.moderators.tokens(ann.id) == []
    states = [
        t.state(now_utc()) for t in await store.moderators.tokens(ann.id, include_inactive=True)
    ]
    assert states == [TokenState.REVOKED, TokenState.REVOKED, TokenState.EXPIRED]
    assert [t.id for t in await store.moderators.tokens(bob.id)] == [bobs]


async def test_last_use_is_written_at_most_once_a_minute(store: Store) -> None:
    ann = await _moderator(store)
    token_id = await store.moderators.add_token(ann.id, "h-busy")
    assert (await store.moderators.tokens(ann.id))[0].last_used_at is None

    await store.moderators.use_token("h-busy")  # the first use is always written
    first = (await store.moderators.tokens(ann.id))[0].last_used_at
    assert first is not None

    await _set_last_used(store, token_id, TOKEN_TOUCH_EVERY / 2)
    recent = (await store.moderators.tokens(ann.id))[0].last_used_at
    await store.moderators.use_token("h-busy")
    assert (await store.moderators.tokens(ann.id))[0].last_used_at == recent  # no write

    await _set_last_used(store, token_id, TOKEN_TOUCH_EVERY * 2)
    stale = (await store.moderators.tokens(ann.id))[0].last_used_at
    await store.moderators.use_token("h-busy")
    moved = (await store.moderators.tokens(ann.id))[0].last_used_at
    assert stale is not None and moved is not None and moved > stale

    await _set_last_used(store, token_id, None)
    await store.moderators.revoke_tokens(ann.id)
    await store.moderators.use_token("h-busy")  # a refused token is not "used"
    listed = await store.moderators.tokens(ann.id, include_inactive=True)
    assert listed[0].last_used_at is None


async def test_a_new_password_or_sign_out_ends_sessions_and_tokens(store: Store) -> None:
    ann = await _moderator(store)
    await store.moderators.create_session("s-1", ann.id, "c-1", 3600)
    await store.moderators.add_token(ann.id, "h-1")
    await store.moderators.add_token(ann.id, "h-2")
    await store.moderators.revoke_token(ann.id, await store.moderators.add_token(ann.id, "h-3"))

    assert await store.moderators.update(ann.id, password_hash="scrypt$new") == 2
    assert await store.moderators.session("s-1") is None
    assert await store.moderators.tokens(ann.id) == []

    await store.moderators.add_token(ann.id, "h-4")
    assert await store.moderators.update(ann.id, notify_pending=True) == 0
    assert await store.moderators.update(ann.id, role="admin") == 0  # keeps credentials
    assert len(await store.moderators.tokens(ann.id)) == 1
    assert await store.moderators.update(ann.id, role="moderator", sign_out=True) == 1
    assert await store.moderators.tokens(ann.id) == []


async def test_removing_a_moderator_removes_their_credentials(store: Store) -> None:
    ann = await _moderator(store)
    await store.moderators.create_session("s-1", ann.id, "c-1", 3600)
    await store.moderators.add_token(ann.id, "h-1")
    assert await store.moderators.remove(ann.id)
    assert not await store.moderators.remove(ann.id)
    assert await store.moderators.by_email("ann@example.org") is None
    assert await store.moderators.session("s-1") is None
    assert await store.moderators.use_token("h-1") is None

    again = await _moderator(store)  # the same address later is a new account
    assert again.id != ann.id and await store.moderators.use_token("h-1") is None


def _downgrade(conn: sa.Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = conn
    command.downgrade(config, revision)


def _schema_diff(conn: sa.Connection) -> list[Any]:
    return compare_metadata(MigrationContext.configure(conn), metadata)  # type: ignore[no-any-return]


async def test_tokens_made_before_revision_0002_still_work_after_it(database_url: str) -> None:
    store = Store.from_url(database_url)
    try:
        await store.migrate()
        async with store.db.write() as conn:  # down and up again: both directions run
            await conn.run_sync(_downgrade, "0001")
        moderators_0001 = sa.table(
            "moderators",
            sa.column("id", sa.Integer),
            sa.column("email", sa.String),
            sa.column("password_hash", sa.String),
            sa.column("role", sa.String),
            sa.column("sites", sa.JSON),
            sa.column("created_at", UTCDateTime),
        )
        tokens_0001 = sa.table(
            "api_tokens",
            sa.column("moderator_id", sa.Integer),
            sa.column("token_hash", sa.String),
            sa.column("created_at", UTCDateTime),
        )
        async with store.db.write() as conn:
            await conn.execute(
                moderators_0001.insert().values(
                    email="old@example.org",
                    password_hash="scrypt$x",
                    role="admin",
                    sites=["*"],
                    created_at=now_utc(),
                )
            )
            moderator_id = await conn.scalar(sa.select(moderators_0001.c.id))
            await conn.execute(
                tokens_0001.insert().values(
                    moderator_id=moderator_id, token_hash="h-old", created_at=now_utc()
                )
            )
        assert await store.migrate() == head_revision()  # 0002 and every later revision
        found = await store.moderators.use_token("h-old")
        assert found is not None and found.moderator.email == "old@example.org"
        assert (found.token.label, found.token.expires_at, found.token.revoked_at) == (
            "",
            None,
            None,
        )
        assert found.token.state(now_utc()) is TokenState.ACTIVE
        async with store.db.read() as conn:
            assert await conn.run_sync(_schema_diff) == []
            if conn.dialect.name == "sqlite":  # the downgrade's table copy kept AUTOINCREMENT
                ddl = await conn.scalar(
                    sa.text("SELECT sql FROM sqlite_master WHERE name = 'api_tokens'")
                )
                assert "AUTOINCREMENT" in str(ddl)
    finally:
        await store.close()
