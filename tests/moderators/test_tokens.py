"""API tokens that can be revoked (issue 10 §4): revocation, expiry, last use, and what
ends a moderator's tokens (a new password, a demotion, removal)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from commentsvc.clock import now_utc
from commentsvc.store.tables import api_tokens
from tests.moderators.helpers import (
    PASSWORD,
    Client,
    accounts_of,
    add_moderator,
    login,
    token_headers,
)
from tests.support import runtime_of
from tests.web.helpers import expect_problem

QUEUE = "/api/v1/moderation/comments"


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_a_revoked_token_answers_401(any_client: Client) -> None:
    email = await add_moderator(any_client, "bot@example.org")
    accounts = accounts_of(any_client)
    kept = await accounts.create_token(email, label="kept")
    revoked = await accounts.create_token(email, label="to revoke")
    assert (await any_client.get(QUEUE, headers=_bearer(revoked.secret))).status == 200

    assert await accounts.revoke_tokens(email, [revoked.id]) == 1
    problem = await expect_problem(
        await any_client.get(QUEUE, headers=_bearer(revoked.secret)), 401
    )
    assert "revoked" in problem["detail"]
    # Only that token: the moderator's other token still works.
    assert (await any_client.get(QUEUE, headers=_bearer(kept.secret))).status == 200


async def test_an_expired_token_answers_401(any_client: Client) -> None:
    email = await add_moderator(any_client, "cron@example.org")
    issued = await accounts_of(any_client).create_token(email, expires_in=timedelta(days=30))
    assert issued.expires_at is not None
    assert (await any_client.get(QUEUE, headers=_bearer(issued.secret))).status == 200

    async with runtime_of(any_client).store.db.write() as conn:  # thirty days later
        await conn.execute(
            api_tokens.update()
            .where(api_tokens.c.id == issued.id)
            .values(expires_at=now_utc() - timedelta(seconds=1))
        )
    problem = await expect_problem(await any_client.get(QUEUE, headers=_bearer(issued.secret)), 401)
    assert "expired" in problem["detail"]


async def test_a_listing_shows_last_use_and_never_the_secret(
    client: Client, tmp_path: Path
) -> None:
    email = await add_moderator(client, "watch@example.org")
    accounts = accounts_of(client)
    issued = await accounts.create_token(email, label="dashboard")
    [before] = await accounts.tokens(email)
    assert (before.id, before.label, before.last_used_at) == (issued.id, "dashboard", None)

    assert (await client.get(QUEUE, headers=_bearer(issued.secret))).status == 200
    [after] = await accounts.tokens(email)
    assert after.last_used_at is not None and after.last_used_at >= after.created_at

    hashed = runtime_of(client).keys.token_hash(issued.secret)
    assert issued.secret not in repr(after) and hashed not in repr(after)
    async with runtime_of(client).store.db.read() as conn:
        stored = (await conn.execute(sa.select(api_tokens))).mappings().one()
    assert stored["token_hash"] == hashed  # a keyed hash at rest, never the token
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("commentsvc.sqlite3*"))
    assert on_disk and issued.secret.encode() not in on_disk


async def test_a_new_password_ends_sessions_and_revokes_api_tokens(client: Client) -> None:
    """A password is changed after a leak: whatever the old one let in must stop."""
    email = await add_moderator(client, "leaked@example.org")
    await login(client, email)
    headers = await token_headers(client, email)
    assert (await client.get(QUEUE)).status == 200
    assert (await client.get(QUEUE, headers=headers)).status == 200

    assert await accounts_of(client).set_password(email, "a brand new passphrase") == 1
    await expect_problem(await client.get(QUEUE), 401)
    await expect_problem(await client.get(QUEUE, headers=headers), 401)
    assert await accounts_of(client).tokens(email) == []
    # A token made after the change works.
    assert (await client.get(QUEUE, headers=await token_headers(client, email))).status == 200


async def test_demoting_an_admin_revokes_their_tokens(any_client: Client) -> None:
    email = await add_moderator(any_client, "chief@example.org", role="admin")
    await login(any_client, email)
    headers = await token_headers(any_client, email)
    assert (await any_client.get("/api/v1/sites/default/policy", headers=headers)).status == 200

    change = await accounts_of(any_client).set_role(email, "moderator")
    assert (change.demoted, change.tokens_revoked) == (True, 1)
    await expect_problem(await any_client.get(QUEUE, headers=headers), 401)
    await expect_problem(await any_client.get(QUEUE), 401)  # the session ended too


async def test_taking_a_site_away_revokes_tokens_but_a_promotion_keeps_them(
    client: Client,
) -> None:
    email = await add_moderator(client, "desk@example.org", sites=("default", "sport"))
    accounts = accounts_of(client)
    headers = await token_headers(client, email)

    promoted = await accounts.set_role(email, "admin", ["default", "sport", "news"])
    assert not promoted.demoted
    assert (await client.get("/api/v1/sites/default/policy", headers=headers)).status == 200

    narrowed = await accounts.set_role(email, "admin", ["default"])
    assert narrowed.demoted and narrowed.sites == ("default",)
    await expect_problem(await client.get(QUEUE, headers=headers), 401)


async def test_removing_a_moderator_revokes_their_tokens(any_client: Client) -> None:
    email = await add_moderator(any_client, "leaver@example.org")
    headers = await token_headers(any_client, email)
    assert (await any_client.get(QUEUE, headers=headers)).status == 200

    await accounts_of(any_client).remove_moderator(email)
    await expect_problem(await any_client.get(QUEUE, headers=headers), 401)
    bad_login = await any_client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    await expect_problem(bad_login, 401)
    # Coming back later is a new account: the old token stays dead.
    await add_moderator(any_client, email)
    await expect_problem(await any_client.get(QUEUE, headers=headers), 401)
