"""The "My comments" email through a real SMTP server: sent only to an address we hold, the same
answer for every address, rate-limited per caller and per address, never to a suppressed one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from commentsvc.clock import now_utc
from commentsvc.models import Site
from commentsvc.notify.compose import Composer
from commentsvc.notify.messages import Batch, Messages
from commentsvc.notify.mine import PersonLinks
from commentsvc.notify.tokens import Tokens
from commentsvc.security import Keys
from commentsvc.store.deliveries import Delivery
from commentsvc.store.subscriptions import UNSUBSCRIBED_ALL
from commentsvc.web.keys import PEOPLE
from tests.notify.conftest import SMTPServer, notify
from tests.notify.test_compose import BREAKS, EXPECTED_HEADERS, hostile_texts
from tests.notify.test_compose import settings as compose_settings
from tests.support import TEST_SECRET, drain, live_client, make_settings, runtime_of
from tests.web.helpers import expect_problem
from tests.web.mine_support import tables_holding

Client = TestClient[Any, Any]
KNOWN = "Known.Reader@example.org"
UNKNOWN = "nobody.here@example.org"
# Per caller (IP) 3 an hour, per address 2 a day: small enough to reach in a test.
LIMITS = (
    "post=1000/60,post_hour=10000/3600,subscribe=1000/60,confirm_ip=3/3600,confirm_email=2/86400"
)


@pytest.fixture
async def client(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis, smtp: SMTPServer
) -> AsyncIterator[Client]:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS=LIMITS,
        COMMENTSVC_SMTP_URL=smtp.url,
        COMMENTSVC_MAIL_FROM="comments@news.example",
        COMMENTSVC_TRUSTED_PROXIES="127.0.0.1",  # each test caller speaks as its own address
    )
    async with live_client(settings) as c:
        runtime = runtime_of(c)
        await runtime.store.sites.update("default", name="The Daily Example", policy={})
        runtime.service.forget_site("default")
        resp = await c.post(
            "/api/v1/comments",
            json={"thread": "t/rights", "body": "A comment of mine.", "author_email": KNOWN},
        )
        assert resp.status == 202
        await drain(c)
        yield c


async def ask(client: Client, email: str, ip: str = "198.51.100.1") -> Any:
    return await client.post("/api/v1/mine", json={"email": email}, headers={"X-Forwarded-For": ip})


async def send(client: Client) -> None:
    app = client.app
    assert app is not None
    await app[PEOPLE].settle()
    await notify(client)


async def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_gets_mail(
    client: Client, smtp: SMTPServer
) -> None:
    known = await ask(client, KNOWN)
    unknown = await ask(client, UNKNOWN, ip="198.51.100.2")
    assert known.status == unknown.status == 202
    assert await known.json() == await unknown.json()
    same = ("Content-Type", "Cache-Control", "Vary")
    assert [known.headers.get(h) for h in same] == [unknown.headers.get(h) for h in same]
    await send(client)

    assert smtp.to(UNKNOWN) == []  # nothing held, nothing sent (and nothing stored)
    assert await tables_holding(runtime_of(client).store, UNKNOWN) == []
    [mail] = smtp.to(KNOWN)
    message = mail.message
    assert message["Subject"] == "Your comments and emails on The Daily Example"
    assert message["To"] == KNOWN.lower()
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8080/u/")
    assert "works for 24 hours" in mail.text()
    path = mail.link("m")
    assert path in mail.html()

    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status == 200
    text = await page.text()
    assert KNOWN.lower() in text and "A comment of mine." in text


async def test_a_caller_is_limited_whatever_address_they_ask_for(client: Client) -> None:
    for email in (KNOWN, UNKNOWN, "third@example.org"):
        assert (await ask(client, email)).status == 202
    for email in (KNOWN, UNKNOWN):  # the same 429 for a known and an unknown address
        body = await expect_problem(await ask(client, email), 429)
        assert "try again" in body["detail"]
    limited = await ask(client, KNOWN)
    assert int(limited.headers["Retry-After"]) > 0
    assert (await ask(client, KNOWN, ip="198.51.100.9")).status == 202  # another caller


async def test_an_address_gets_at_most_its_daily_share_of_links(
    client: Client, smtp: SMTPServer
) -> None:
    for n in range(4):  # from four callers, so only the address's own limit applies
        resp = await ask(client, KNOWN, ip=f"198.51.100.{10 + n}")
        assert resp.status == 202  # still the same answer once the address is limited
    await send(client)
    assert len(smtp.to(KNOWN)) == 2


async def test_a_suppressed_address_gets_no_link(client: Client, smtp: SMTPServer) -> None:
    runtime = runtime_of(client)
    await runtime.store.subscriptions.suppress(KNOWN, UNSUBSCRIBED_ALL, now_utc())
    assert (await ask(client, KNOWN)).status == 202
    await send(client)
    assert smtp.to(KNOWN) == []


async def test_a_malformed_request_is_a_problem_that_names_no_address(client: Client) -> None:
    body = await expect_problem(
        await client.post("/api/v1/mine", json={"email": "not an address"}), 422
    )
    assert [e["field"] for e in body["errors"]] == ["email"]
    await expect_problem(await client.post("/api/v1/mine", data="email=x"), 415)
    await expect_problem(
        await client.post("/api/v1/mine", json={"email": KNOWN, "site": "nowhere"}), 422
    )


def test_the_link_email_keeps_hostile_site_names_inside_their_headers(tmp_path: Path) -> None:
    """The `mine` template through the same header builders as every other email."""
    composer = Composer(compose_settings(tmp_path))
    links = PersonLinks(Keys(TEST_SECRET))
    row = Delivery(
        id=5,
        recipient="reader@example.org",
        comment_id=None,
        template="mine",
        status="queued",
        attempts=1,
        next_attempt_at=None,
        last_error=None,
        sent_at=None,
        digest_group=None,
        created_at=now_utc(),
        thread_id=None,
        subscription_id=None,
        data={"site": "default"},
    )
    messages = Messages(
        composer, Tokens(Keys(TEST_SECRET)), links, "https://comments.news.example", now_utc, 600
    )
    for text in hostile_texts():
        site = Site("default", text, ())
        raw = messages.build([row], Batch(sites={"default": site}))
        assert raw.isascii()
        message = message_from_bytes(raw, policy=policy.default)
        assert {k.lower() for k in message} == EXPECTED_HEADERS
        for value in message.values():
            assert not any(br in str(value) for br in BREAKS)
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(r"https://comments\.news\.example/m/(\S+)", body.get_content())
        assert found and links.read(found.group(1)) is not None
