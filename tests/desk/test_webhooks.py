"""Webhooks (issue 14): a real receiver on 127.0.0.1, signed deliveries, retries, disabling.

The worker runs on a clock the test moves (no sleeps): a retry is due when the test says
the time has come.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from commentsvc.clock import now_utc
from commentsvc.webhooks import events as ev
from commentsvc.webhooks import signing
from commentsvc.webhooks.guard import address_allowed
from commentsvc.webhooks.worker import ALERT_TEMPLATE, WebhookWorker
from tests.moderators.helpers import moderator_token
from tests.support import drain, runtime_of
from tests.web.helpers import post

Client = TestClient[Any, Any]


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    tries: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.tries += 1
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.got.append((dict(request.headers), await request.read()))
        return web.Response(status=status, text="ok" if status == 200 else "down")

    def events(self) -> list[str]:
        return [orjson.loads(body)["type"] for _, body in self.got]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    app = web.Application()
    app.router.add_post("/hook", r.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    r.url = str(server.make_url("/hook"))
    try:
        yield r
    finally:
        await server.close()


class Clock:
    """Real time plus however far the test has moved it: rows queued by the app (on the
    real clock) are due at once, and a retry only once the test moves past its delay."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return now_utc() + self.offset

    @property
    def now(self) -> datetime:
        return self()

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


async def _endpoint(client: Client, url: str, headers: dict[str, str], **extra: Any) -> Any:
    resp = await client.post(
        "/api/v1/sites/default/webhooks",
        json={"url": url, "events": list(ev.EVENT_TYPES), "allow_private": True, **extra},
        headers=headers,
    )
    body = await resp.json()
    assert resp.status == 201, body
    return body


def _worker(client: Client, clock: Clock, **kwargs: Any) -> WebhookWorker:
    rt = runtime_of(client)
    return WebhookWorker(
        rt.settings,
        rt.store,
        rt.keys,
        clock=clock,
        jitter=0.0,
        retry_schedule_s=(5, 5, 5),
        **kwargs,
    )


async def test_each_event_arrives_once_signed(client: Client, receiver: Receiver) -> None:
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))
    endpoint = await _endpoint(client, receiver.url, admin)
    clock = Clock()
    worker = _worker(client, clock)
    try:
        posted = await post(client, thread="world/hooks")
        await drain(client)
        await worker.run_once()
        assert receiver.events() == [ev.RECEIVED, ev.APPROVED]
        service = runtime_of(client).service
        resp = await client.post(
            f"/api/v1/moderation/comments/{posted['id']}/feature",
            json={"featured": True},
            headers=admin,
        )
        assert resp.status == 200
        await service.set_thread_closed("default", "world/hooks", True)
        await worker.run_once()
        await worker.run_once()  # nothing twice
        assert sorted(receiver.events()) == sorted(
            [ev.RECEIVED, ev.APPROVED, ev.FEATURED, ev.CLOSED]
        )  # each once; deliveries are not ordered
        for headers, body in receiver.got:
            assert signing.verify(
                endpoint["secret"],
                headers[signing.TIMESTAMP_HEADER],
                body,
                headers[signing.SIGNATURE_HEADER],
            )
            assert not signing.verify(
                "whsec_not-the-secret",
                headers[signing.TIMESTAMP_HEADER],
                body,
                headers[signing.SIGNATURE_HEADER],
            )
        payload = orjson.loads(receiver.got[0][1])
        assert payload["comment"]["id"] == posted["id"] and "author_email" not in payload["comment"]
        # A held comment says why, and a reject follows.
        await runtime_of(client).store.sites.update(
            "default", policy={"flood_max": 10_000, "mode": "premoderate"}
        )
        service.forget_site("default")
        held = await post(client, thread="world/held")
        await drain(client)
        await client.post(
            f"/api/v1/moderation/comments/{held['id']}/decision",
            json={"action": "reject"},
            headers=admin,
        )
        await worker.run_once()
        tail = [orjson.loads(b) for _, b in receiver.got[4:]]
        assert [p["type"] for p in tail] == [ev.RECEIVED, ev.HELD, ev.REJECTED]
        assert [r["rule"] for r in tail[1]["reasons"]] == ["premoderate"]
    finally:
        await worker.close()


async def test_retries_then_arrives_once(client: Client, receiver: Receiver) -> None:
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))
    endpoint = await _endpoint(client, receiver.url, admin, events=[ev.RECEIVED])
    clock = Clock()
    worker = _worker(client, clock)
    try:
        receiver.statuses = [500, 500]
        await post(client, thread="world/retry")
        await worker.run_once()
        assert receiver.tries == 1 and receiver.got == []
        await worker.run_once()  # not due yet
        assert receiver.tries == 1
        clock.advance(5)
        await worker.run_once()
        clock.advance(5)
        await worker.run_once()
        clock.advance(5)
        await worker.run_once()
        assert receiver.tries == 3 and receiver.events() == [ev.RECEIVED]
        resp = await client.get(
            f"/api/v1/sites/default/webhooks/{endpoint['id']}/deliveries", headers=admin
        )
        [row] = (await resp.json())["items"]
        assert (row["status"], row["attempts"], row["response_status"]) == ("sent", 3, 200)
    finally:
        await worker.close()


async def test_a_failing_endpoint_is_disabled_and_admins_told(
    client: Client, receiver: Receiver
) -> None:
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))
    endpoint = await _endpoint(client, receiver.url, admin, format="slack")
    clock = Clock()
    worker = _worker(client, clock, disable_after=3)
    try:
        receiver.statuses = [500] * 100
        await post(client, thread="world/down")
        await drain(client)
        for _ in range(2):  # two deliveries (received, approved) a pass: four failures
            await worker.run_once()
            clock.advance(5)
        tried = receiver.tries
        assert tried >= 3
        clock.advance(60)
        await worker.run_once()
        assert receiver.tries == tried  # disabled: nothing more is tried
        resp = await client.get("/api/v1/sites/default/webhooks", headers=admin)
        [listed] = (await resp.json())["items"]
        assert listed["enabled"] is False and "HTTP 500" in listed["disabled_reason"]
        store = runtime_of(client).store
        rows = [
            r
            for r in await store.deliveries.claim_due(clock.now + timedelta(hours=1), 100, 60)
            if r.template == ALERT_TEMPLATE
        ]
        assert [r.recipient for r in rows] == ["admin@example.org"]
        # Enabled again, the waiting deliveries go out (Slack's shape: a text).
        receiver.statuses = []
        resp = await client.patch(
            f"/api/v1/sites/default/webhooks/{endpoint['id']}",
            json={"enabled": True},
            headers=admin,
        )
        assert (await resp.json())["enabled"] is True
        clock.advance(3600)
        await worker.run_once()
        texts = [orjson.loads(b)["text"] for _, b in receiver.got]
        assert len(texts) == 2 and all("/moderate" in t for t in texts)
    finally:
        await worker.close()


async def test_a_broken_stored_url_fails_alone_and_the_api_refuses_one(
    client: Client, receiver: Receiver
) -> None:
    """An endpoint whose URL can't be parsed is one refused delivery, not a crash of the
    whole worker pass that held back every other endpoint's deliveries."""
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))
    for bad, why in (
        ("http://[::1", "not a valid URL"),
        ("https://user:secret@hooks.example.org/x", "user name or password"),
        ("https://hooks.example.org:0/x", "port 0"),
    ):
        resp = await client.post(
            "/api/v1/sites/default/webhooks",
            json={"url": bad, "events": [ev.RECEIVED], "allow_private": True},
            headers=admin,
        )
        assert resp.status == 422, await resp.text()
        assert resp.content_type == "application/problem+json"
        assert why in (await resp.json())["detail"]
    # One stored before the API checked (an older version, or the database edited by hand).
    await runtime_of(client).store.webhooks.add_endpoint(
        "default",
        "http://[::1",
        [ev.RECEIVED],
        "json",
        allow_private=True,
        created_by="test",
        now=now_utc(),
    )
    store = runtime_of(client).store.webhooks
    await _endpoint(client, receiver.url, admin, allow_private=True, events=[ev.RECEIVED])
    worker = _worker(client, Clock())
    try:
        await post(client, thread="world/broken-url")
        await worker.run_once()
        assert receiver.tries == 1  # the good endpoint got its delivery
        broken = [e for e in await store.endpoints("default") if e.url == "http://[::1"]
        [row] = await store.deliveries(broken[0].id)
        assert row.status == "queued" and "refused" in (row.last_error or "")
    finally:
        await worker.close()


async def test_private_addresses_are_refused_unless_allowed(
    client: Client, receiver: Receiver
) -> None:
    assert not address_allowed("127.0.0.1", False) and address_allowed("127.0.0.1", True)
    for private in (
        "10.0.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ):
        assert not address_allowed(private, False)
    assert address_allowed("93.184.215.14", False)
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))
    await _endpoint(client, receiver.url, admin, allow_private=False, events=[ev.RECEIVED])
    localhost = receiver.url.replace("127.0.0.1", "localhost")
    await _endpoint(client, localhost, admin, allow_private=False, events=[ev.RECEIVED])
    clock = Clock()
    worker = _worker(client, clock)
    try:
        await post(client, thread="world/private")
        await worker.run_once()
        assert receiver.tries == 0
        for e in await runtime_of(client).store.webhooks.endpoints("default"):
            [row] = await runtime_of(client).store.webhooks.deliveries(e.id)
            assert row.status == "queued" and "refused" in (row.last_error or "")
    finally:
        await worker.close()


async def test_a_site_has_at_most_max_endpoints_even_when_added_at_once(client: Client) -> None:
    """Each event fans out to every endpoint of its site: their number is bounded, also for
    requests that arrive together (the count and the insert are one transaction)."""
    import asyncio

    from commentsvc.webhooks.events import MAX_ENDPOINTS_PER_SITE

    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))

    async def add(n: int) -> int:
        resp = await client.post(
            "/api/v1/sites/default/webhooks",
            json={"url": f"https://hooks.example.org/{n}", "events": [ev.RECEIVED]},
            headers=admin,
        )
        if resp.status != 201:
            assert resp.content_type == "application/problem+json"
            assert str(MAX_ENDPOINTS_PER_SITE) in (await resp.json())["detail"]
        return resp.status

    statuses = await asyncio.gather(*(add(n) for n in range(MAX_ENDPOINTS_PER_SITE + 5)))
    assert sorted(statuses) == [201] * MAX_ENDPOINTS_PER_SITE + [409] * 5
    stored = await runtime_of(client).store.webhooks.endpoints("default")
    assert len(stored) == MAX_ENDPOINTS_PER_SITE


async def test_a_comment_s_reasons_carry_no_address_to_the_receiver(
    client: Client, receiver: Receiver
) -> None:
    """A moderation key or ban that matched the author's email names it in the reason's
    detail; the moderation API may show that, a webhook (a chat room, say) may not."""
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))
    await _endpoint(client, receiver.url, admin, events=[ev.REJECTED], format="slack")
    await _endpoint(client, receiver.url, admin, events=[ev.REJECTED])
    await runtime_of(client).store.sites.update(
        "default", policy={"flood_max": 10_000, "moderation_keys": ["Troll.Author@example.org"]}
    )
    runtime_of(client).service.forget_site("default")
    resp = await client.post(
        "/api/v1/moderation/bans",
        json={"kind": "domain", "value": "example.org", "reason": "ask troll.author@example.org"},
        headers=admin,
    )
    assert resp.status == 201, await resp.text()
    posted = await post(client, thread="world/keys", author_email="troll.author@example.org")
    await drain(client)
    held = await client.get(f"/api/v1/moderation/comments/{posted['id']}", headers=admin)
    details = " ".join(r["detail"] for r in (await held.json())["reasons"])
    assert "troll.author@example.org" in details.lower()  # moderators see why
    worker = _worker(client, Clock())
    try:
        await worker.run_once()
    finally:
        await worker.close()
    assert len(receiver.got) == 2  # a banned author's comment is spam: rejected
    for _, body in receiver.got:
        assert b"@example.org" not in body.lower(), body
    payload = next(orjson.loads(b) for _, b in receiver.got if b"reasons" in b)
    assert {r["rule"] for r in payload["reasons"]} >= {"moderation_key", "ban"}


async def test_only_an_admin_of_the_site_hears_anything_about_an_endpoint(
    client: Client, receiver: Receiver
) -> None:
    admin = await moderator_token(client, "admin@example.org", role="admin", sites=("*",))
    endpoint = await _endpoint(client, receiver.url, admin)
    moderator = await moderator_token(client, "mod@example.org", sites=("*",))
    other_admin = await moderator_token(client, "other@example.org", role="admin", sites=("x",))
    path = f"/api/v1/sites/default/webhooks/{endpoint['id']}"
    for headers in (moderator, other_admin):
        for body in ({"url": "ftp://nope"}, {"enabled": False}):
            resp = await client.patch(path, json=body, headers=headers)
            assert resp.status == 403, await resp.text()  # not a 422 naming the field
            assert resp.content_type == "application/problem+json"
    resp = await client.patch(path, json={"url": "ftp://nope"}, headers=admin)
    assert resp.status == 422
    [stored] = await runtime_of(client).store.webhooks.endpoints("default")
    assert stored.enabled and stored.url == receiver.url
