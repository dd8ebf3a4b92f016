"""`commentsvc person export|erase EMAIL` as a real process, against a live app's database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import redis.asyncio as aioredis

from tests.processes import run_cli, service_env
from tests.support import drain, live_client, make_settings, runtime_of
from tests.web.mine_support import tables_holding

EMAIL = "Cli.Reader@example.org"


async def test_export_then_erase_from_the_command_line(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(tmp_path, sqlite_url, redis_url)
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url, COMMENTSVC_REDIS_URL=redis_url)

    async def cli(*args: str) -> tuple[int, str, str]:
        done = await asyncio.to_thread(run_cli, env, "person", *args)
        return done.returncode, done.stdout, done.stderr

    async with live_client(settings) as client:
        resp = await client.post(
            "/api/v1/comments",
            json={"thread": "t/cli", "body": "Said on the record.", "author_email": EMAIL},
        )
        posted = await resp.json()
        assert resp.status == 202
        await drain(client)
        store = runtime_of(client).store

        code, out, err = await cli("export", EMAIL.upper())
        assert code == 0, err
        document = json.loads(out)
        assert document["email"] == EMAIL.lower()
        assert [c["id"] for c in document["comments"]] == [posted["id"]]
        written = tmp_path / "person.json"
        written.write_text("an older copy, world-readable")
        written.chmod(0o644)
        code, _, err = await cli("export", EMAIL, "--output", str(written))
        assert code == 0 and json.loads(written.read_text())["comments"], err
        assert written.stat().st_mode & 0o777 == 0o600  # a person's data: the owner's only

        code, _, err = await cli("erase", EMAIL)
        assert code == 1 and "would erase 1 comment(s)" in err and "add --yes" in err
        assert await tables_holding(store, EMAIL)  # nothing changed

        code, out, err = await cli("erase", EMAIL, "--yes")
        assert code == 0, err
        assert out.startswith("erased: 1 comment(s) deleted, 0 anonymised")
        assert await tables_holding(store, EMAIL) == []
        events = await store.comments.events(posted["id"])
        assert (events[-1].action, events[-1].actor) == ("erase", "command line")

        code, _, err = await cli("export", "not-an-address")
        assert code == 2 and "not an email address" in err


def test_an_output_file_that_cannot_be_written_is_one_line(
    tmp_path: Path, sqlite_url: str, redis_url: str
) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url, COMMENTSVC_REDIS_URL=redis_url)
    assert run_cli(env, "migrate").returncode == 0
    target = tmp_path / "no-such-dir" / "person.json"
    done = run_cli(env, "person", "export", EMAIL, "--output", str(target))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot write {target}" in done.stderr
