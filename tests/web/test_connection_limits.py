"""Connection limits of the served process: per-address cap, request head and keep-alive timeouts.

The real app behind the real runner (`commentsvc.web.serve`) on 127.0.0.1, with
raw connections from other loopback addresses (Linux routes 127.0.0.0/8 to lo):
127.0.0.2 is the greedy client, 127.0.0.1 everyone else. The last test runs
`commentsvc api` itself, to see the command line reach the limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web

from commentsvc.web.accesslog import RequestLog
from commentsvc.web.app import create_app
from commentsvc.web.serve import runner_for
from tests.processes import ServiceProcess, service_env
from tests.support import make_settings

GREEDY = "127.0.0.2"
OTHER = "127.0.0.1"
PROXY = "127.0.0.3"
WAIT_S = 30.0  # only a bound for a broken build; nothing here depends on it
HALF_SENT = b"GET /healthz HTTP/1.1\r\nHost: comments.test\r\nUser-Agent: slow"
REST = b"loris\r\n\r\n"
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: comments.test\r\n\r\n"

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Serve = Callable[..., Any]


@pytest.fixture
async def serve(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> AsyncIterator[Serve]:
    """Start the app with settings from `env`; returns the port. Stopped after the test."""
    runners: list[web.AppRunner] = []

    async def start(**env: str) -> int:
        settings = make_settings(tmp_path, sqlite_url, redis_url, **env)
        runner = runner_for(create_app(settings, migrate=True), settings, RequestLog)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return int(runner.addresses[0][1])

    yield start
    for runner in runners:
        await runner.cleanup()


async def connect(port: int, source: str) -> Connection:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def answer(conn: Connection) -> tuple[int, dict[str, str], bytes]:
    """Read one response (the server closes after it, or it has a Content-Length)."""
    reader, _ = conn
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_S)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), WAIT_S)
    return int(status_line.split()[1]), headers, body


async def closed(conn: Connection) -> bytes:
    """Everything the server sends until it closes the connection."""
    reader, _ = conn
    return await asyncio.wait_for(reader.read(), WAIT_S)


def close(*conns: Connection) -> None:
    for _, writer in conns:
        writer.close()


def problem_of(body: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body)
    assert {"type", "title", "status", "detail"} <= set(data)
    return data


async def test_one_address_over_the_cap_leaves_others_served(serve: Serve) -> None:
    port = await serve(COMMENTSVC_MAX_CONNECTIONS_PER_IP="4", COMMENTSVC_HEADER_TIMEOUT_S="600")
    held = [await connect(port, GREEDY) for _ in range(4)]
    for _, writer in held:
        writer.write(HALF_SENT)
    refused = await connect(port, GREEDY)
    status, headers, body = await answer(refused)
    assert status == 429
    assert headers["content-type"] == "application/problem+json"
    assert headers["retry-after"]
    assert "4" in problem_of(body)["detail"]
    assert await closed(refused) == b""

    # Everyone else is served as usual while the greedy address holds its connections.
    other = await connect(port, OTHER)
    other[1].write(HEALTHZ)
    status, _, body = await answer(other)
    assert (status, json.loads(body)) == (200, {"status": "ok"})

    # The held requests are alive and served once complete; one closed frees a place.
    held[0][1].write(REST)
    assert (await answer(held[0]))[0] == 200
    close(held.pop(0))
    for _ in range(50):  # the server learns of the close on its next loop turn
        again = await connect(port, GREEDY)
        again[1].write(HEALTHZ)
        status, _, _ = await answer(again)
        close(again)
        if status == 200:
            break
        await asyncio.sleep(0.05)
    assert status == 200
    close(other, *held)


async def test_connections_from_a_trusted_proxy_are_not_capped(serve: Serve) -> None:
    # Behind a proxy every reader arrives from it; the proxy keeps the per-address limit.
    port = await serve(
        COMMENTSVC_MAX_CONNECTIONS_PER_IP="2",
        COMMENTSVC_HEADER_TIMEOUT_S="600",
        COMMENTSVC_TRUSTED_PROXIES=PROXY,
    )
    held = [await connect(port, PROXY) for _ in range(5)]
    for _, writer in held:
        writer.write(HEALTHZ)
    statuses = [(await answer(conn))[0] for conn in held]
    assert statuses == [200] * 5
    close(*held)


async def test_a_half_sent_request_is_closed_after_the_header_timeout(serve: Serve) -> None:
    port = await serve(COMMENTSVC_HEADER_TIMEOUT_S="0.2")
    slow = await connect(port, GREEDY)
    slow[1].write(HALF_SENT)
    status, headers, body = await answer(slow)
    assert status == 408
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert problem_of(body)["status"] == 408
    assert await closed(slow) == b""

    silent = await connect(port, GREEDY)  # sends nothing: closed without an answer
    assert await closed(silent) == b""
    close(slow, silent)


async def test_the_next_request_on_a_kept_alive_connection_is_timed_too(serve: Serve) -> None:
    port = await serve(COMMENTSVC_HEADER_TIMEOUT_S="0.2")
    conn = await connect(port, GREEDY)
    conn[1].write(HEALTHZ)
    assert (await answer(conn))[0] == 200
    conn[1].write(HALF_SENT)
    assert (await answer(conn))[0] == 408
    assert await closed(conn) == b""
    close(conn)


async def test_an_idle_kept_alive_connection_is_closed(serve: Serve) -> None:
    port = await serve(COMMENTSVC_KEEPALIVE_TIMEOUT_S="0.2", COMMENTSVC_HEADER_TIMEOUT_S="600")
    conn = await connect(port, GREEDY)
    conn[1].write(HEALTHZ)
    status, headers, _ = await answer(conn)
    assert status == 200 and headers.get("connection", "keep-alive").lower() != "close"
    assert await closed(conn) == b""
    close(conn)


async def test_a_head_sent_in_pieces_within_the_timeout_is_served(serve: Serve) -> None:
    port = await serve(COMMENTSVC_HEADER_TIMEOUT_S="600")
    conn = await connect(port, GREEDY)
    for piece in (HALF_SENT[:10], HALF_SENT[10:], REST):
        conn[1].write(piece)
        await conn[1].drain()
        await asyncio.sleep(0)
    assert (await answer(conn))[0] == 200
    close(conn)


@pytest.mark.parametrize(
    ("raw", "levels"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: comments.test\r\nNo colon here\r\n\r\n", ["WARNING"]),
        # Not HTTP at all (a scanner, TLS sent to the plain port): aiohttp logs that at
        # DEBUG only, so port noise from the internet can't fill the log.
        (b"GARBAGE\x01 / HTTP/1.1\r\nHost: comments.test\r\n\r\n", []),
    ],
    ids=["bad-header", "not-http"],
)
async def test_a_malformed_request_is_one_warning_and_a_problem(
    serve: Serve, caplog: pytest.LogCaptureFixture, raw: bytes, levels: list[str]
) -> None:
    port = await serve()
    conn = await connect(port, GREEDY)
    with caplog.at_level("DEBUG", logger="aiohttp"):
        conn[1].write(raw)
        status, headers, body = await answer(conn)
        with contextlib.suppress(ConnectionError):
            await closed(conn)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert problem_of(body)["status"] == 400
    server = [r for r in caplog.records if r.name == "aiohttp.server" and r.levelname != "DEBUG"]
    assert [r.levelname for r in server] == levels, server
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in server)
    close(conn)


async def test_a_request_line_over_the_limit_is_a_problem(serve: Serve) -> None:
    """aiohttp refuses a request line over 8190 bytes itself; the answer is still ours."""
    port = await serve()
    conn = await connect(port, GREEDY)
    long_query = b"%C4%A9" * 2000
    conn[1].write(b"GET /api/v1/counts?thread=" + long_query + b" HTTP/1.1\r\nHost: c.test\r\n\r\n")
    status, headers, body = await answer(conn)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert "8190" in problem_of(body)["detail"]
    close(conn)


def test_the_command_line_sets_the_cap(tmp_path: Path, redis_url: str) -> None:
    """`commentsvc api --max-connections-per-ip N` as a real process."""
    env = service_env(tmp_path, COMMENTSVC_REDIS_URL=redis_url)
    svc = ServiceProcess(  # one process: the cap is per process
        env,
        "api",
        "--processes",
        "1",
        "--max-connections-per-ip",
        "2",
        log_path=tmp_path / "api.log",
    ).start()
    held = []
    try:
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", svc.port), WAIT_S, (GREEDY, 0))
            held.append(sock)
        with socket.create_connection(("127.0.0.1", svc.port), WAIT_S, (GREEDY, 0)) as refused:
            answer = b""
            while chunk := refused.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 429 ")
        assert svc.request("GET", "/healthz")[0] == 200  # from 127.0.0.1: served
    finally:
        for sock in held:
            sock.close()
        assert svc.terminate() == 0
    assert "Traceback" not in svc.log()
