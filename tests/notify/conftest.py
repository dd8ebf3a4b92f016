"""A real SMTP server (aiosmtpd on 127.0.0.1) that records what it accepts and answers as told,
and a live app that sends to it."""

from __future__ import annotations

import asyncio
import email
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient
from aiosmtpd.controller import Controller

from commentsvc.clock import now_utc
from commentsvc.models import SubscriptionKind
from commentsvc.store import Store
from commentsvc.store.subscriptions import Subscription
from tests.servers import free_port
from tests.support import drain, live_client, make_settings, runtime_of

GENEROUS_LIMITS = (
    "post=1000/60,post_hour=10000/3600,vote=1000/60,flag=1000/60,subscribe=1000/60,"
    "confirm_ip=1000/3600,confirm_email=100/86400"
)
NO_WAIT = (0.0, 0.0, 0.0, 0.0, 0.0)  # retry schedule for tests: retries are due at once
RETRY_HOURLY = (3600.0,) * 5  # retries an hour apart: a retry is not due within a test


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    peer: tuple[str, int]

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]

    def html(self) -> str:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]

    def link(self, kind: str) -> str:
        """The path of the first /s/… or /u/… link in the text part."""
        found = re.search(rf"https?://[^/\s]+(/{kind}/[A-Za-z0-9_\-.]+)", self.text())
        assert found, self.text()
        return found.group(1)


class SMTPServer:
    """The handler of a test SMTP server: records accepted mail, answers from a script.

    `rcpt_script[address]`: replies to give that address's next RCPTs, in order
    (then it is accepted). `refuse[address]`: a reply given to every RCPT.
    `data_script[address]`: replies to DATA for messages to that address, in order.
    `pause_after`: once that many messages are accepted, DATA waits (unreplied)
    until `paused` is cleared; a client that dies meanwhile delivered nothing.
    """

    def __init__(self) -> None:
        self.url = ""
        self.messages: list[Received] = []
        self.rcpt_script: dict[str, list[str]] = {}
        self.refuse: dict[str, str] = {}
        self.rcpt_attempts: dict[str, int] = {}
        self.data_script: dict[str, list[str]] = {}
        self.pause_after: int | None = None
        self.paused = False
        self.waiting = 0
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        address = address.lower()
        with self._lock:
            self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
            script = self.rcpt_script.get(address)
            if script:
                return script.pop(0)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            for address in envelope.rcpt_tos:
                script = self.data_script.get(address)
                if script:
                    return script.pop(0)
        self.waiting += 1
        try:
            while self.paused:
                await asyncio.sleep(0.005)
        finally:
            self.waiting -= 1
        with self._lock:
            self.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.content),
                    tuple(session.peer),
                )
            )
            if self.pause_after is not None and len(self.messages) >= self.pause_after:
                self.paused = True
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list[Received]:
        return [m for m in list(self.messages) if address.lower() in m.rcpt_tos]

    def wait_for(self, count: int, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.messages)} of {count} emails arrived")
            time.sleep(0.01)


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    handler = SMTPServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.url = f"smtp://127.0.0.1:{port}"
    try:
        yield handler
    finally:
        handler.paused = False
        controller.stop()


@pytest.fixture
async def client(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis, smtp: SMTPServer
) -> AsyncIterator[TestClient[Any, Any]]:
    """The app on SQLite + real Redis, mailing the test SMTP server; no digest window."""
    settings = make_settings(
        tmp_path,
        sqlite_url,
        redis_url,
        COMMENTSVC_RATE_LIMITS=GENEROUS_LIMITS,
        COMMENTSVC_SMTP_URL=smtp.url,
        COMMENTSVC_MAIL_FROM="comments@news.example",
    )
    async with live_client(settings) as c:
        runtime = runtime_of(c)
        await runtime.store.sites.update(
            "default", policy={"flood_max": 10_000, "digest_window_s": 0}
        )
        runtime.service.forget_site("default")
        yield c


async def set_policy(client: TestClient[Any, Any], **policy: Any) -> None:
    runtime = runtime_of(client)
    site = await runtime.store.sites.get("default")
    assert site is not None
    await runtime.store.sites.update("default", policy={**site.policy, **policy})
    runtime.service.forget_site("default")


async def notify(client: TestClient[Any, Any], **kwargs: Any) -> int:
    """Moderate what is waiting, then run the notifier in burst mode (retries due at once)."""
    from workers.notifier import run_notifier

    await drain(client)
    kwargs.setdefault("retry_schedule_s", NO_WAIT)
    return await run_notifier(runtime_of(client), burst=True, **kwargs)


async def subscriber(
    store: Store,
    email_address: str,
    thread_key: str = "world/test-article",
    kind: SubscriptionKind = SubscriptionKind.THREAD,
) -> Subscription:
    """A confirmed subscription, made through the store (no confirmation email)."""
    thread = await store.threads.ensure("default", thread_key)
    sub = await store.subscriptions.request(
        "default", thread.id, email_address, kind, now_utc(), confirmation=False
    )
    confirmed = await store.subscriptions.confirm(sub.id, now_utc())
    assert confirmed is not None
    return confirmed
