"""Bring a database to the newest schema (idempotent) and make sure site `default` exists."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.schema import CreateIndex

from commentsvc.clock import now_utc
from commentsvc.store.engine import Database
from commentsvc.store.tables import sites
from commentsvc.store.transfer_sqlite import bulk_indexes

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_SITE = "default"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise RuntimeError("no migrations found")
    return head


def _known(revision: str) -> bool:
    return any(script.revision == revision for script in _scripts().walk_revisions())


def _upgrade(connection: sa.Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(db: Database) -> str | None:
    async with db.read() as conn:
        return await conn.run_sync(_current)


async def schema_problem(db: Database) -> str | None:
    """Why this code can't work on the database's schema, or None when it can.

    No schema, or one older than this release's newest revision, is a problem. A
    revision this release doesn't know is newer: a later release migrated it
    before rolling out (deploy/README.md, Upgrades), and this one goes on serving
    until it is replaced.
    """
    current = await current_revision(db)
    if current is None:
        return "database schema not migrated: run `commentsvc migrate`"
    head = head_revision()
    if current == head or not _known(current):
        return None
    return (
        f"database schema not migrated to this release (at {current}, needs {head}): "
        "run `commentsvc migrate`"
    )


async def migrate(db: Database) -> str:
    """Upgrade to head; return the revision now in place.

    Also builds any secondary index an import into an empty database dropped and did
    not live to build again (it was killed): cheap when they are all there, and the
    service never runs for long without them (`serve` migrates at start).
    """
    async with db.write() as conn:
        await conn.run_sync(_upgrade)
    async with db.write() as conn:
        for index in bulk_indexes():
            await conn.execute(CreateIndex(index, if_not_exists=True))
    async with db.write() as conn:
        exists = await conn.scalar(sa.select(sites.c.id).where(sites.c.id == DEFAULT_SITE))
        if exists is None:
            await conn.execute(sites.insert().values(**default_site_row()))
    return head_revision()


def default_site_row() -> dict[str, Any]:
    return {
        "id": DEFAULT_SITE,
        "name": "Default site",
        "allowed_origins": [],
        "policy": {},
        "mail": {},
        "created_at": now_utc(),
    }
