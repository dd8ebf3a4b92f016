"""Notification fan-out and sending: one approved comment to N confirmed thread subscribers.

    .venv/bin/python benchmarks/notify.py [--subscribers 10000] [--pool-size 8] [--baseline N]

A local SMTP server (aiosmtpd on 127.0.0.1, in its own process) accepts
everything. The service runs on the embedded default (SQLite + embedded Redis)
in a fresh data dir. Two threads get N confirmed subscribers each; one
comment is approved in each, and the notifier (burst mode: fan out the job,
then send until nothing is due) sends:

1. pooled: the notifier as shipped, a pool of reused SMTP connections;
2. baseline: the same notifier, but one new SMTP connection per email
   (same concurrency), the way a naive sender works.

It prints emails/s and the time from the notifier's start until the server
accepted the last email, for both, and their ratio. The last line is the one
to read:
    notify: emails=N pooled_s=… pooled_per_s=… baseline_s=… baseline_per_s=… ratio=…
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_S = 20.0
SECRET = "benchmark-secret-key-that-is-long-enough-0123456789"


# --- the SMTP server, in its own process ----------------------------------------------


class _CountingHandler:
    def __init__(self, count: Synchronized[int], last: Synchronized[float]) -> None:
        self.count = count
        self.last = last

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        self.last.value = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process
        return "250 2.0.0 accepted"


def _serve_smtp(port: int, count: Synchronized[int], last: Synchronized[float], ready: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_CountingHandler(count, last), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the service side ---------------------------------------------------------------


@dataclass
class Run:
    name: str
    emails: int
    fan_out_s: float
    total_s: float
    connections: int

    @property
    def per_s(self) -> float:
        return self.emails / self.total_s if self.total_s else 0.0

    def line(self) -> str:
        return (
            f"{self.name:<9} {self.emails:>6} emails in {self.total_s:6.2f} s "
            f"= {self.per_s:7.0f} emails/s   (fan-out {self.fan_out_s:5.2f} s, "
            f"{self.connections} SMTP connections)"
        )


async def _seed(runtime: Any, thread_key: str, subscribers: int) -> str:
    """N confirmed subscribers of a new thread, and one comment, approved: returns its id."""
    from commentsvc import ids
    from commentsvc.clock import now_utc
    from commentsvc.comments.lifecycle import Act, step
    from commentsvc.models import Status
    from commentsvc.store.tables import subscriptions

    store = runtime.store
    thread = await store.threads.ensure("default", thread_key, title=f"Benchmark {thread_key}")
    now = now_utc()
    async with store.db.write() as conn:
        await conn.execute(
            subscriptions.insert(),
            [
                {
                    "site_id": "default",
                    "thread_id": thread.id,
                    "email": f"reader{i}@bench.example",
                    "kind": "thread",
                    "confirmed_at": now,
                    "created_at": now,
                }
                for i in range(subscribers)
            ],
        )
    comment_id = ids.new_id()
    await store.comments.insert_many(
        [
            {
                "id": comment_id,
                "site_id": "default",
                "thread_id": thread.id,
                "parent_id": None,
                "root_id": comment_id,
                "depth": 0,
                "kind": "comment",
                "anchor": None,
                "author_name": "Benchmark Writer",
                "author_email": "writer@bench.example",
                "ip_hash": None,
                "user_agent": "",
                "body": "A comment every subscriber hears about. " * 5,
                "body_html": "<p>" + "A comment every subscriber hears about. " * 5 + "</p>",
                "body_hash": comment_id,
                "honeypot": False,
                "status": "received",
                "moderation": {},
                "created_at": now,
                "edit_token_hash": "x",
            }
        ]
    )
    result = await runtime.service.transition(
        step(Act.MODERATE).transition(comment_id, Status.RECEIVED, "system", to=Status.APPROVED)
    )
    if result is None or not result.first_approval:
        raise RuntimeError("the benchmark comment was not approved")
    return comment_id


async def _measure(
    runtime: Any,
    name: str,
    thread_key: str,
    subscribers: int,
    destination: Any,
    count: Synchronized[int],
    last: Synchronized[float],
) -> Run:
    from commentsvc.notify.notifier import Notifier
    from commentsvc.queue.consumer import run_consumer

    await _seed(runtime, thread_key, subscribers)
    notifier = Notifier(runtime.settings, runtime.store, runtime.keys, runtime.redis, destination)
    before = count.value
    started = time.monotonic()
    await run_consumer(runtime.notify_queue, notifier.handle, name="notifier", burst=True)
    fanned = time.monotonic()
    await notifier.drain_due()
    await destination.close()
    sent = count.value - before
    if sent != subscribers:
        raise RuntimeError(f"{name}: the server accepted {sent} of {subscribers} emails")
    return Run(name, sent, fanned - started, last.value - started, destination.connections_opened)


async def _bench(args: argparse.Namespace, port: int, count: Any, last: Any) -> tuple[Run, Run]:
    from commentsvc.config import parse_settings
    from commentsvc.notify.sender import SMTPConfig, SMTPDestination
    from commentsvc.runtime import open_runtime

    with tempfile.TemporaryDirectory(prefix="commentsvc-bench-notify-") as tmp:
        settings = parse_settings(
            {
                "COMMENTSVC_DATA_DIR": tmp,
                "COMMENTSVC_SECRET_KEY": SECRET,
                "COMMENTSVC_SMTP_URL": f"smtp://127.0.0.1:{port}",
                "COMMENTSVC_PUBLIC_URL": "https://comments.bench.example",
                "COMMENTSVC_MAIL_FROM": "comments@bench.example",
            }
        )
        async with open_runtime(settings, migrate=True) as runtime:
            config = SMTPConfig.from_url(settings.smtp_url)
            pooled = await _measure(
                runtime,
                "pooled",
                "bench/pooled",
                args.subscribers,
                SMTPDestination(config, settings.mail_from, pool_size=args.pool_size),
                count,
                last,
            )
            print(pooled.line(), flush=True)
            baseline = await _measure(
                runtime,
                "baseline",
                "bench/baseline",
                args.baseline,
                SMTPDestination(
                    config,
                    settings.mail_from,
                    pool_size=args.pool_size,
                    max_messages_per_connection=1,
                ),
                count,
                last,
            )
            print(baseline.line(), flush=True)
            return pooled, baseline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--pool-size", type=int, default=8, help="SMTP connections (both runs)")
    parser.add_argument(
        "--baseline", type=int, default=0, help="emails in the baseline run (default: same)"
    )
    args = parser.parse_args()
    args.baseline = args.baseline or args.subscribers

    ctx = multiprocessing.get_context("spawn")
    count = ctx.Value("q", 0)
    last = ctx.Value("d", 0.0)
    ready = ctx.Event()
    port = _free_port()
    server = ctx.Process(target=_serve_smtp, args=(port, count, last, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        print(
            f"notify benchmark: {args.subscribers} subscribers, pool of {args.pool_size}, "
            f"Python {platform.python_version()}, {multiprocessing.cpu_count()} CPUs",
            flush=True,
        )
        pooled, baseline = asyncio.run(_bench(args, port, count, last))
    finally:
        server.terminate()
        server.join(10)
    ratio = pooled.per_s / baseline.per_s if baseline.per_s else 0.0
    verdict = "ok" if pooled.total_s < TARGET_S * args.subscribers / 10_000 else "SLOW"
    print(
        f"pooled is {ratio:.1f}x the one-connection-per-email baseline; "
        f"target < {TARGET_S:.0f} s per 10,000: {verdict}"
    )
    print(
        f"notify: emails={pooled.emails} pooled_s={pooled.total_s:.2f} "
        f"pooled_per_s={pooled.per_s:.0f} baseline_s={baseline.total_s:.2f} "
        f"baseline_per_s={baseline.per_s:.0f} ratio={ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
