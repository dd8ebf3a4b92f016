"""`commentsvc webhook …` and `commentsvc worker desk --burst` as real processes (issue 14).

A real receiver on 127.0.0.1 takes the deliveries; the worker auto-closes a thread whose
article is older than the site's `auto_close_days` and delivers the signed `thread.closed`.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from commentsvc.clock import now_utc
from commentsvc.store import Store
from commentsvc.webhooks import signing
from tests.processes import run_cli, service_env

KEY = "world/old-news"


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                got.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


async def _old_thread(sqlite_url: str) -> None:
    """An article dated ten days ago on a site that closes threads after three."""
    store = Store.from_url(sqlite_url)
    try:
        await store.migrate()
        thread = await store.threads.ensure("default", KEY, title="Old news")
        await store.desk.set_published(thread.id, now_utc() - timedelta(days=10))
        await store.sites.update("default", policy={"auto_close_days": 3})
    finally:
        await store.close()


async def _closed(sqlite_url: str) -> bool:
    store = Store.from_url(sqlite_url)
    try:
        thread = await store.threads.get("default", KEY)
        return thread is not None and thread.closed
    finally:
        await store.close()


def test_webhook_commands_and_the_desk_worker(
    tmp_path: Path, sqlite_url: str, redis_url: str, receiver: Receiver
) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url, COMMENTSVC_REDIS_URL=redis_url)
    asyncio.run(_old_thread(sqlite_url))

    bad = run_cli(env, "webhook", "add", "default", "ftp://example.org/hook")
    assert bad.returncode == 2 and "http or https" in bad.stderr
    for broken in (
        "http://[::1",
        "http://u:p@127.0.0.1:1/x",
        "http://a\r\nBcc: x@y/",
        "http://h:0/",
    ):
        refused = run_cli(env, "webhook", "add", "default", broken)
        assert refused.returncode == 2 and "the URL " in refused.stderr, (broken, refused.stderr)
    assert "added webhook" not in run_cli(env, "webhook", "list").stdout
    nosite = run_cli(env, "webhook", "add", "nosuch", receiver.url)
    assert nosite.returncode == 1 and "no site" in nosite.stderr

    added = run_cli(
        env,
        "webhook",
        "add",
        "default",
        receiver.url,
        "--event",
        "thread.closed",
        "--event",
        "comment.featured",
        "--allow-private",
    )
    assert added.returncode == 0, added.stderr
    found = re.search(r"^added webhook (\d+) on default: (\S+)$", added.stdout, re.M)
    assert found and found.group(2) == receiver.url, added.stdout
    endpoint_id = found.group(1)
    [secret] = re.findall(r"^secret: (whsec_\S+)$", added.stdout, re.M)
    assert "COMMENTSVC_SECRET_KEY" in added.stderr
    again = run_cli(env, "webhook", "secret", endpoint_id)
    assert again.stdout.strip() == secret

    listed = run_cli(env, "webhook", "list", "default")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(
        f"{endpoint_id}\tdefault\tenabled\tjson\t{receiver.url}\tthread.closed,comment.featured\t"
    )

    # The desk worker closes the thread and delivers the signed event, once.
    worked = run_cli(env, "worker", "desk", "--burst")
    assert worked.returncode == 0, worked.stderr
    assert asyncio.run(_closed(sqlite_url))
    [(headers, body)] = receiver.got
    assert headers[signing.EVENT_HEADER] == "thread.closed"
    assert signing.verify(
        secret, headers[signing.TIMESTAMP_HEADER], body, headers[signing.SIGNATURE_HEADER]
    )
    payload = orjson.loads(body)
    assert (payload["type"], payload["by"], payload["thread"]["key"]) == (
        "thread.closed",
        "auto",
        KEY,
    )

    shown = run_cli(env, "webhook", "deliveries", endpoint_id)
    [row] = shown.stdout.splitlines()
    delivery_id, event, event_key, status, attempts, http = row.split("\t")[:6]
    assert (event, event_key, status, attempts, http) == (
        "thread.closed",
        headers[signing.DELIVERY_HEADER],
        "sent",
        "attempts=1",
        "http=200",
    )

    # Disabled, a redelivery waits; enabled again, it goes out with the same delivery id.
    assert run_cli(env, "webhook", "disable", endpoint_id).returncode == 0
    queued = run_cli(env, "webhook", "redeliver", delivery_id)
    assert queued.returncode == 0 and "queued 1 delivery again" in queued.stdout
    assert run_cli(env, "worker", "desk", "--burst").returncode == 0
    assert len(receiver.got) == 1
    listed = run_cli(env, "webhook", "list")
    assert "\tdisabled (disabled from the command line)\t" in listed.stdout
    assert run_cli(env, "webhook", "enable", endpoint_id).returncode == 0
    assert run_cli(env, "worker", "desk", "--burst").returncode == 0
    assert [h[signing.DELIVERY_HEADER] for h, _ in receiver.got] == [event_key, event_key]

    missing = run_cli(env, "webhook", "redeliver", "999999")
    assert missing.returncode == 1 and "no delivery 999999" in missing.stderr
    assert run_cli(env, "webhook", "enable", "999999").returncode == 1


def test_an_id_no_row_can_have_is_refused_by_the_parser(tmp_path: Path, database_url: str) -> None:
    """Ids are 32-bit: a bigger one was an asyncpg DataError traceback on PostgreSQL."""
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=database_url)
    for argv in (
        ("enable", "2147483648"),
        ("disable", "99999999999"),
        ("secret", "0"),
        ("deliveries", "99999999999"),
        ("redeliver", "1", "99999999999"),
    ):
        done = run_cli(env, "webhook", *argv)
        assert done.returncode == 2, (argv, done.stderr)
        assert "Traceback" not in done.stderr and "an id from 1 to 2147483647" in done.stderr
    assert run_cli(env, "webhook", "enable", "2147483647").returncode == 1  # no such endpoint
