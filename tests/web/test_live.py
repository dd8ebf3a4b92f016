"""Live updates: the SSE hub (bounded readers, shutdown) and GET /api/v1/stream end to end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from commentsvc.comments.events import EventBus, ThreadEvent
from commentsvc.web.keys import LIVE
from commentsvc.web.live import HubFull, LiveHub, TooManyStreams, encode
from tests.support import live_client, make_settings, runtime_of
from tests.web.helpers import assert_problem, post, post_approved

THREAD = "world/test-article"
# A guard against hangs, not a measurement: events normally arrive in milliseconds.
GUARD_S = 10.0


def hub_of(client: TestClient[Any, Any]) -> LiveHub:
    app = client.app
    assert app is not None
    hub: LiveHub = app[LIVE]
    return hub


def event(kind: str = "comment.approved", thread: str = THREAD, **kw: Any) -> ThreadEvent:
    return ThreadEvent(kind, "default", thread, kw.pop("version", 2), kw.pop("id", "c1"), **kw)


# ----- the hub -----------------------------------------------------------------------


def test_approval_is_a_comment_event_and_a_count() -> None:
    data = encode(event(count=7))
    assert data == (
        b'event: comment.approved\ndata: {"id":"c1","version":2,"count":7}\n\n'
        b'event: count\ndata: {"count":7,"version":2}\n\n'
    )


def test_vote_announcements_carry_no_count_and_unknown_types_say_nothing() -> None:
    assert b"event: count" not in encode(event("comment.updated"))
    assert encode(event("thread.changed")) == b""


async def test_readers_get_only_their_threads_events() -> None:
    hub = LiveHub()
    mine = hub.subscribe("default", THREAD)
    other = hub.subscribe("default", "elsewhere")
    hub.on_event(event(count=1))
    assert b"comment.approved" in await mine.next(1.0)
    assert await other.next(0.01) == b""  # a heartbeat tick, no data


async def test_a_slow_reader_is_dropped_and_the_others_still_get_everything() -> None:
    hub = LiveHub(queue_events=4)
    slow = hub.subscribe("default", THREAD)
    fast = hub.subscribe("default", THREAD)
    received = []
    for n in range(10):
        hub.on_event(event(id=f"c{n}", count=n))
        received.append(await fast.next(1.0))  # the fast reader keeps up
    assert all(f'"c{n}"'.encode() in chunk for n, chunk in enumerate(received))
    assert slow.dropped and slow.closed
    assert hub.dropped == 1
    assert hub.clients == 1


async def test_close_ends_every_stream_and_refuses_new_ones() -> None:
    hub = LiveHub()
    reader = hub.subscribe("default", THREAD)
    waiting = asyncio.create_task(reader.next(60.0))
    await asyncio.sleep(0)
    hub.close()
    assert await asyncio.wait_for(waiting, GUARD_S) == b""
    assert reader.closed
    assert hub.clients == 0
    with pytest.raises(HubFull):
        hub.subscribe("default", THREAD)


def test_the_hub_has_a_ceiling() -> None:
    hub = LiveHub(max_clients=2)
    first = hub.subscribe("default", "a")
    hub.subscribe("default", "b")
    with pytest.raises(HubFull):
        hub.subscribe("default", "c")
    hub.unsubscribe(first)
    hub.unsubscribe(first)  # twice is harmless
    assert hub.clients == 1
    hub.subscribe("default", "c")


def test_one_client_can_not_take_every_place() -> None:
    hub = LiveHub(max_clients=10, max_per_client=2)
    mine = [hub.subscribe("default", "a", "client-1"), hub.subscribe("default", "b", "client-1")]
    with pytest.raises(TooManyStreams):
        hub.subscribe("default", "c", "client-1")
    other = hub.subscribe("default", "a", "client-2")  # others still get in
    hub.unsubscribe(mine[0])
    hub.unsubscribe(mine[0])  # twice is harmless
    hub.subscribe("default", "c", "client-1")  # a place came free
    hub.unsubscribe(other)
    assert hub.clients == 2


# ----- over HTTP -------------------------------------------------------------------------


class Stream:
    """Reads SSE frames from an open response."""

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self.resp = resp
        self.prelude: list[str] = []

    async def frame(self) -> dict[str, str]:
        """The next frame (comment lines under the key ':')."""
        fields: dict[str, str] = {}
        while True:
            raw = await asyncio.wait_for(self.resp.content.readline(), GUARD_S)
            if not raw:
                raise EOFError("stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            fields[name or ":"] = value.strip()

    async def read_to_end(self) -> None:
        while True:
            await self.frame()

    async def next_event(self) -> tuple[str, dict[str, Any]]:
        while True:
            fields = await self.frame()
            if "event" in fields:
                return fields["event"], orjson.loads(fields["data"])


@contextlib.asynccontextmanager
async def open_stream(
    client: TestClient[Any, Any], thread: str = THREAD, **headers: str
) -> AsyncIterator[Stream]:
    resp = await client.get("/api/v1/stream", params={"thread": thread}, headers=headers)
    assert resp.status == 200, await resp.text()
    stream = Stream(resp)
    first = await stream.frame()  # the retry hint and a comment, flushed at once
    assert first["retry"] == "3000"
    hub = hub_of(client)
    assert hub.clients >= 1
    try:
        yield stream
    finally:
        resp.close()


async def test_stream_headers(client: TestClient[Any, Any]) -> None:
    async with open_stream(client) as stream:
        headers = stream.resp.headers
        assert headers["Content-Type"].startswith("text/event-stream")
        assert "no-cache" in headers["Cache-Control"]
        assert headers["X-Accel-Buffering"] == "no"


async def test_an_approval_reaches_readers_of_that_thread(client: TestClient[Any, Any]) -> None:
    async with open_stream(client) as stream:
        posted = await post_approved(client)
        kind, data = await stream.next_event()
        assert kind == "comment.approved"
        assert data["id"] == posted["id"]
        assert data["count"] == 1
        kind, data = await stream.next_event()
        assert (kind, data["count"]) == ("count", 1)


async def test_delete_and_votes_are_announced(client: TestClient[Any, Any]) -> None:
    posted = await post_approved(client)
    async with open_stream(client) as stream:
        # Another reader (another loopback address: authors can't vote on their own).
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
        async with aiohttp.ClientSession(connector=connector) as reader:
            vote = await reader.post(
                client.make_url(f"/api/v1/comments/{posted['id']}/votes"),
                json={"value": 1, "voter": "voter-0123456789"},
            )
            assert vote.status == 200, await vote.text()
        kind, data = await stream.next_event()
        assert (kind, data["id"], data["count"]) == ("comment.updated", posted["id"], 0)
        token = posted["edit_token"]
        resp = await client.delete(
            f"/api/v1/comments/{posted['id']}", headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status == 204
        kind, data = await stream.next_event()
        assert (kind, data["id"]) == ("comment.deleted", posted["id"])
        kind, data = await stream.next_event()
        assert (kind, data["count"]) == ("count", 0)


async def test_events_from_another_process_arrive_through_redis(
    client: TestClient[Any, Any], redis_url: str
) -> None:
    other = aioredis.Redis.from_url(redis_url)
    try:
        bus = EventBus(other)  # another process's bus: a different origin id
        async with open_stream(client) as stream:
            await bus.publish(event(id="from-elsewhere", count=3))
            kind, data = await stream.next_event()
            assert (kind, data["id"], data["count"]) == ("comment.approved", "from-elsewhere", 3)
    finally:
        await other.aclose()


async def test_heartbeats_keep_an_idle_stream_open(client: TestClient[Any, Any]) -> None:
    hub_of(client).heartbeat_s = 0.05
    async with open_stream(client) as stream:
        assert await stream.frame() == {":": "keepalive"}
        assert await stream.frame() == {":": "keepalive"}


async def test_a_reader_leaving_frees_its_place(client: TestClient[Any, Any]) -> None:
    hub = hub_of(client)
    hub.heartbeat_s = 0.05
    async with open_stream(client):
        assert hub.clients == 1
    for _ in range(200):
        if hub.clients == 0:
            break
        await asyncio.sleep(0.02)
    assert hub.clients == 0


async def test_bad_stream_requests_are_problems(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/v1/stream")
    assert_problem(400, await resp.json(), resp.content_type)
    resp = await client.get("/api/v1/stream", params={"thread": "x", "site": "nope"})
    assert_problem(404, await resp.json(), resp.content_type)
    resp = await client.get(
        "/api/v1/stream", params={"thread": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert_problem(403, await resp.json(), resp.content_type)


async def test_allowed_origins_may_read_the_stream(client: TestClient[Any, Any]) -> None:
    runtime = runtime_of(client)
    await runtime.store.sites.update("default", allowed_origins=["https://news.example"])
    runtime.service.forget_site("default")
    async with open_stream(client, Origin="https://news.example") as stream:
        assert stream.resp.headers["Access-Control-Allow-Origin"] == "https://news.example"
        await post(client)


async def test_shutdown_closes_open_streams(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    """Open streams end when the app shuts down, so a graceful stop isn't held up."""
    settings = make_settings(tmp_path, sqlite_url, redis_url)
    client_cm = live_client(settings)
    client = await client_cm.__aenter__()
    closed = False
    # The reader's own session: closing the test client must not be what ends the stream.
    async with aiohttp.ClientSession() as browser:
        try:
            hub = hub_of(client)
            resp = await browser.get(client.make_url("/api/v1/stream"), params={"thread": THREAD})
            stream = Stream(resp)
            await stream.frame()
            assert hub.clients == 1
            stopping = asyncio.create_task(client_cm.__aexit__(None, None, None))
            closed = True
            with pytest.raises(
                (EOFError, aiohttp.ClientPayloadError, aiohttp.ClientConnectionError)
            ):
                await stream.read_to_end()
            await asyncio.wait_for(stopping, GUARD_S)
            assert hub.clients == 0 and hub.closed
        finally:
            if not closed:
                await client_cm.__aexit__(None, None, None)


async def test_one_address_gets_a_429_past_its_share_of_streams(
    client: TestClient[Any, Any],
) -> None:
    hub = hub_of(client)
    hub.max_per_client = 1
    async with open_stream(client):
        resp = await client.get("/api/v1/stream", params={"thread": THREAD})
        assert resp.status == 429
        assert_problem(429, await resp.json(), resp.content_type)
        assert resp.headers["Retry-After"] == "10"
        # Another reader (another address, through the trusted proxy) still gets in.
        async with open_stream(client, **{"X-Forwarded-For": "198.51.100.7"}):
            assert hub.clients == 2
