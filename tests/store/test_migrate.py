"""Whether a database's schema serves this release: missing, behind, current or ahead."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from commentsvc.store import Store
from commentsvc.store.migrate import alembic_config, current_revision, head_revision, schema_problem


def _downgrade_one(conn: sa.Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = conn
    command.downgrade(config, "-1")


async def test_a_database_never_migrated_is_named_with_the_command(sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url)
    try:
        problem = await schema_problem(store.db)
        assert problem == "database schema not migrated: run `commentsvc migrate`"
        await store.migrate()
        assert await schema_problem(store.db) is None
    finally:
        await store.close()


async def test_a_schema_behind_this_release_names_both_revisions(sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url)
    try:
        await store.migrate()
        async with store.db.write() as conn:
            await conn.run_sync(_downgrade_one)
        behind = await current_revision(store.db)
        assert behind is not None and behind != head_revision()
        problem = await schema_problem(store.db)
        assert problem is not None and "commentsvc migrate" in problem
        assert behind in problem and head_revision() in problem
    finally:
        await store.close()


async def test_a_schema_from_a_later_release_is_served(sqlite_url: str) -> None:
    # A rolling upgrade migrates first; the old release serves until it is replaced.
    store = Store.from_url(sqlite_url)
    try:
        await store.migrate()
        async with store.db.write() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_later'"))
        assert await schema_problem(store.db) is None
    finally:
        await store.close()
