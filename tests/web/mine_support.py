"""Helpers for the data-rights tests: a "My comments" link without a mailbox, and a scan of
every table for an address."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from commentsvc.notify.mine import TEMPLATE
from commentsvc.store import Store
from commentsvc.web.keys import PEOPLE
from tests.support import runtime_of


async def request_link(client: TestClient[Any, Any], email: str) -> None:
    """Ask for a link as the widget does, and wait until the request is looked up."""
    resp = await client.post("/api/v1/mine", json={"email": email})
    assert resp.status == 202, await resp.text()
    app = client.app
    assert app is not None
    await app[PEOPLE].settle()


async def link_token(client: TestClient[Any, Any], email: str) -> str:
    """The token of the newest link queued for `email` (what its email would carry)."""
    app = client.app
    assert app is not None
    records = await runtime_of(client).store.people.records(email)
    rows = [d for d in records.deliveries if d.template == TEMPLATE]
    assert rows, f"no link was queued for {email}"
    token: str = app[PEOPLE].links.token(rows[-1])
    return token


async def open_link(client: TestClient[Any, Any], email: str) -> str:
    """Ask for a link and return its path, `/m/<token>`."""
    await request_link(client, email)
    return "/m/" + await link_token(client, email)


async def tables_holding(store: Store, needle: str) -> list[str]:
    """`table.column` of every text value (JSON included) holding `needle`, in any case."""
    wanted = needle.casefold()

    def names(sync_conn: Any) -> list[str]:
        return list(sa.inspect(sync_conn).get_table_names())

    found: list[str] = []
    async with store.db.read() as conn:
        for table in await conn.run_sync(names):
            rows = await conn.execute(sa.text(f'SELECT * FROM "{table}"'))  # noqa: S608
            for row in rows.mappings():
                for column, value in row.items():
                    if value is None or isinstance(value, int | float | bool):
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if wanted in text.casefold() and f"{table}.{column}" not in found:
                        found.append(f"{table}.{column}")
    return found
