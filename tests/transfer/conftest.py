"""Fixtures for import/export tests: the real app on SQLite + real Redis + a real SMTP server."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient

from commentsvc.cli import transfer as transfer_cli
from commentsvc.cli.commands import build_parser
from commentsvc.config import Settings
from tests.notify.conftest import GENEROUS_LIMITS, SMTPServer, smtp  # noqa: F401 - a fixture
from tests.support import live_client, make_settings

Client = TestClient[Any, Any]


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str, smtp: SMTPServer) -> Settings:  # noqa: F811
    return make_settings(
        tmp_path,
        database_url,  # each test on SQLite and on PostgreSQL (their import paths differ)
        redis_url,
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
        COMMENTSVC_SMTP_URL=smtp.url,
    )


@pytest.fixture
async def client(settings: Settings, redis: aioredis.Redis) -> AsyncIterator[Client]:
    async with live_client(settings) as c:
        yield c


async def run_import(settings: Settings, *argv: str) -> tuple[int, dict[str, Any], str]:
    """`commentsvc import ARGV --json` in this process: (exit code, summary, stderr)."""
    args = build_parser().parse_args(["import", *argv, "--json"])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = await transfer_cli.cmd_import(args, settings)
    text = out.getvalue().strip()
    return code, (json.loads(text) if text else {}), err.getvalue()


async def run_export(settings: Settings, path: Path, *argv: str) -> int:
    args = build_parser().parse_args(["export", "--output", str(path), *argv])
    with contextlib.redirect_stderr(io.StringIO()):
        return await transfer_cli.cmd_export(args, settings)


async def public_thread(client: Client, key: str, **params: str) -> dict[str, Any]:
    resp = await client.get("/api/v1/comments", params={"thread": key, **params})
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


def walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for node in nodes:
        out.append(node)
        out.extend(walk(node["replies"]))
    return out
