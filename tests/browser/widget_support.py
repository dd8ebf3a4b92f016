"""Helpers for the widget's browser tests: a watched page on /demo, another reader, the DB."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    expect,
)

from commentsvc.web.keys import LIVE
from commentsvc.web.live import LiveHub
from tests.browser.conftest import GENEROUS_LIMITS
from tests.support import live_client, make_settings, runtime_of

WIDGET = "[data-commentsvc-thread]"
DEMO_THREAD = "demo/millbrook-ferry"
# How long a UI step may take before the test fails (a hang guard, not a measurement).
STEP_MS = 10_000

WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


@dataclass
class Watched:
    """A page plus everything alarming it did: dialogs, console errors, uncaught errors."""

    context: BrowserContext
    page: Page
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def widget(self) -> Locator:
        return self.page.locator(WIDGET)

    async def csp_violations(self) -> list[str]:
        return list(await self.page.evaluate("window.__csp || []"))

    async def assert_clean(self) -> None:
        assert self.dialogs == [], self.dialogs
        assert self.page_errors == [], self.page_errors
        assert self.console_errors == [], self.console_errors
        assert await self.csp_violations() == []


async def open_page(browser: Browser, url: str, **context_kwargs: Any) -> Watched:
    context = await browser.new_context(**context_kwargs)
    context.set_default_timeout(STEP_MS)
    page = await context.new_page()
    watched = Watched(context, page)

    async def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            watched.console_errors.append(msg.text)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: watched.page_errors.append(str(exc)))
    await page.add_init_script(WATCH_CSP)
    await page.goto(url)
    return watched


async def open_demo(browser: Browser, service: TestClient[Any, Any], **kw: Any) -> Watched:
    """/demo with the widget loaded (its header shows the count)."""
    watched = await open_page(browser, str(service.make_url("/demo")), **kw)
    await expect(watched.widget.locator("h2")).to_have_text(re.compile(r"^\d+ Comments?$"))
    return watched


async def post_as_other_reader(
    service: TestClient[Any, Any], thread: str = DEMO_THREAD, **fields: Any
) -> dict[str, Any]:
    """Post through the API from another loopback address: another reader, not us."""
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        resp = await session.post(
            service.make_url("/api/v1/comments"), json={"thread": thread, **fields}
        )
        body: dict[str, Any] = await resp.json()
        assert resp.status == 202, body
        return body


def hub_of(service: TestClient[Any, Any]) -> LiveHub:
    app = service.app
    assert app is not None
    hub: LiveHub = app[LIVE]
    return hub


async def wait_for_live_readers(service: TestClient[Any, Any], count: int) -> None:
    """Until `count` browsers hold an open event stream (server side)."""
    hub = hub_of(service)
    for _ in range(STEP_MS // 20):
        if hub.clients >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{hub.clients} live readers, expected {count}")


async def wait_for_count(
    service: TestClient[Any, Any], count: int, thread: str = DEMO_THREAD
) -> None:
    """Until the thread has `count` approved comments (the running worker decides)."""
    for _ in range(STEP_MS // 20):
        resp = await service.get("/api/v1/counts", params={"thread": thread})
        if (await resp.json())["counts"][thread] == count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"thread {thread} never reached {count} approved comments")


async def subscriptions_for(service: TestClient[Any, Any], email: str) -> list[dict[str, Any]]:
    from commentsvc.store.tables import subscriptions

    runtime = runtime_of(service)
    async with runtime.store.db.read() as conn:
        rows = await conn.execute(sa.select(subscriptions).where(subscriptions.c.email == email))
        return [dict(r) for r in rows.mappings().all()]


@contextlib.asynccontextmanager
async def api_only_service(
    tmp_path: Path, sqlite_url: str, redis_url: str
) -> AsyncIterator[TestClient[Any, Any]]:
    """The API with no background worker: tests run the moderation worker with `drain`."""
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS
    )
    async with live_client(settings) as client:
        await runtime_of(client).store.sites.update("default", policy={"flood_max": 10_000})
        runtime_of(client).service.forget_site("default")
        yield client


@contextlib.asynccontextmanager
async def other_origin(
    service: TestClient[Any, Any], path: str, render: Callable[[web.Request, str], str]
) -> AsyncIterator[str]:
    """Another origin on 127.0.0.1 serving `render(request, api_url)` at `path` under a
    strict CSP that allows only the API; the default site accepts embeds from it."""
    api = str(service.make_url("")).rstrip("/")
    csp = (
        f"default-src 'none'; script-src {api}; connect-src {api}; "
        "img-src data:; style-src 'none'; base-uri 'none'; form-action 'none'"
    )

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text=render(request, api),
            content_type="text/html",
            headers={"Content-Security-Policy": csp},
        )

    app = web.Application()
    app.router.add_get(path, page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    origin = str(server.make_url("")).rstrip("/")
    runtime = runtime_of(service)
    await runtime.store.sites.update(
        "default", allowed_origins=[origin], policy={"flood_max": 10_000}
    )
    runtime.service.forget_site("default")
    try:
        yield origin
    finally:
        await server.close()
