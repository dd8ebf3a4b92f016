"""The client address: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import redis.asyncio as aioredis
from aiohttp.test_utils import make_mocked_request

from commentsvc.web.client import client_ip
from tests.support import live_client, make_settings

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))


def ip_for(peer: str, forwarded: str | None, proxies: tuple = PROXIES) -> str:  # type: ignore[type-arg]
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    request = make_mocked_request("GET", "/", headers=headers)
    request._transport_peername = (peer, 1234)  # type: ignore[attr-defined]
    return client_ip(request, proxies)


def test_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert ip_for("203.0.113.5", "198.51.100.1") == "203.0.113.5"
    assert ip_for("127.0.0.1", "198.51.100.1", proxies=()) == "127.0.0.1"


def test_trusted_proxies_are_skipped_from_the_right() -> None:
    assert ip_for("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert ip_for("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.1.2.3") == "198.51.100.1"
    # A client forging an extra hop only fools itself: the rightmost untrusted hop wins.
    assert ip_for("10.0.0.2", "evil, 198.51.100.1") == "198.51.100.1"
    assert ip_for("127.0.0.1", "10.0.0.9") == "127.0.0.1"
    assert ip_for("127.0.0.1", "2001:db8::1") == "2001:db8::1"


async def test_rate_limits_follow_the_forwarded_address(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS="post=2/3600",  # fixed windows: an hour, so no window boundary falls inside the test
        COMMENTSVC_TRUSTED_PROXIES="127.0.0.1",
    )
    async with live_client(settings) as client:
        for i in range(2):
            resp = await client.post(
                "/api/v1/comments",
                json={"thread": "t/xff", "body": f"a {i}"},
                headers={"X-Forwarded-For": "198.51.100.1"},
            )
            assert resp.status == 202
        limited = await client.post(
            "/api/v1/comments",
            json={"thread": "t/xff", "body": "a 3"},
            headers={"X-Forwarded-For": "198.51.100.1"},
        )
        assert limited.status == 429
        other = await client.post(
            "/api/v1/comments",
            json={"thread": "t/xff", "body": "b"},
            headers={"X-Forwarded-For": "198.51.100.2"},
        )
        assert other.status == 202
