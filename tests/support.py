"""Helpers for tests that run the real app: settings, a live server, draining the worker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from commentsvc.config import Settings, parse_settings
from commentsvc.runtime import Runtime
from commentsvc.web.app import create_app
from commentsvc.web.connections import ConnectionLimits
from commentsvc.web.keys import RUNTIME
from commentsvc.web.serve import LimitedAppRunner

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(tmp_path: Path, database_url: str, redis_url: str, **env: str) -> Settings:
    values = {
        "COMMENTSVC_DATA_DIR": str(tmp_path / "data"),
        "COMMENTSVC_DATABASE_URL": database_url,
        "COMMENTSVC_REDIS_URL": redis_url,
        "COMMENTSVC_SECRET_KEY": TEST_SECRET,
        "COMMENTSVC_PUBLIC_URL": "http://127.0.0.1:8080",
        **env,
    }
    return parse_settings(values)


class ServedTestServer(TestServer):
    """A `TestServer` on the production server (`commentsvc.web.serve`): its connection
    limits, head timeout and problem+json answers to requests aiohttp can't parse."""

    def __init__(self, app: web.Application, settings: Settings, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._limits = ConnectionLimits.from_settings(settings)

    async def _make_runner(self, **kwargs: Any) -> web.AppRunner:
        return LimitedAppRunner(self.app, self._limits, **kwargs)


@contextlib.asynccontextmanager
async def live_client(settings: Settings, **app_kwargs: Any) -> AsyncIterator[TestClient[Any, Any]]:
    """The real app on a loopback port, with a client; the database is migrated first."""
    app = create_app(settings, migrate=True, **app_kwargs)
    server = ServedTestServer(app, settings, host="127.0.0.1")
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def runtime_of(client: TestClient[Any, Any]) -> Runtime:
    return client.server.app[RUNTIME]  # type: ignore[union-attr]


async def drain(client: TestClient[Any, Any]) -> int:
    """Run the moderation worker until its queue is empty (burst mode)."""
    from workers.moderation import run_moderation

    return await run_moderation(runtime_of(client), burst=True)
