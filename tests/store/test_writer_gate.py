"""The SQLite writer gate: one writer at a time across processes, never a lost write,
and a killed holder does not block the others."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from commentsvc.clock import now_utc
from commentsvc.store import Store
from commentsvc.store.engine import Database
from commentsvc.store.tables import sites
from commentsvc.store.writer_gate import WriterGate

HOLD_AND_HANG = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def _gate_path(url: str) -> Path:
    return Path(url.split("///", 1)[1] + "-writer")


async def test_writes_of_two_databases_on_one_file_all_land(sqlite_url: str) -> None:
    """Two engines on one file (as two processes are) write concurrently: every row lands."""
    store = Store.from_url(sqlite_url)
    await store.migrate()
    first, second = Database(sqlite_url), Database(sqlite_url)

    async def write(db: Database, prefix: str) -> None:
        for i in range(40):
            async with db.write() as conn:
                await conn.execute(sa.insert(sites).values(_site(f"{prefix}{i}")))

    try:
        await asyncio.gather(write(first, "a"), write(second, "b"))
        async with store.db.read() as conn:
            names = set((await conn.execute(sa.select(sites.c.id))).scalars())
    finally:
        await first.dispose()
        await second.dispose()
        await store.close()
    assert {f"a{i}" for i in range(40)} | {f"b{i}" for i in range(40)} <= names
    assert _gate_path(sqlite_url).exists()


async def test_gate_is_let_go_after_a_failed_transaction(sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url)
    await store.migrate()
    try:
        try:
            async with store.db.write() as conn:
                await conn.execute(sa.insert(sites).values(_site("x")))
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        fd = os.open(_gate_path(sqlite_url), os.O_RDWR)
        try:  # another open file (as another process has) can take it at once
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        await store.close()


async def test_a_killed_holder_releases_the_gate(sqlite_url: str) -> None:
    store = Store.from_url(sqlite_url)
    await store.migrate()
    path = _gate_path(sqlite_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_HANG, str(path)], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        write = asyncio.create_task(_insert(store, "after-kill"))
        await asyncio.sleep(0.3)
        assert not write.done()  # it waits for the holder
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(write, 10)
    finally:
        holder.kill()
        holder.wait()
        await store.close()


async def test_a_gate_held_past_its_timeout_is_gone_around(tmp_path: Path) -> None:
    path = tmp_path / "db-writer"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_HANG, str(path)], stdout=subprocess.PIPE
    )
    gate = WriterGate(path, timeout_s=0.2)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        await asyncio.wait_for(gate.acquire(), 5)  # goes on without it, SQLite still guards
        gate.release()
        holder.kill()
        holder.wait()
        # The waiting thread takes the lock and lets it go: poll, a slow machine may lag.
        fd = os.open(path, os.O_RDWR)
        try:
            for _ in range(100):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.1)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # still held: fails here
        finally:
            os.close(fd)
    finally:
        holder.kill()
        holder.wait()
        gate.close()


async def _insert(store: Store, site_id: str) -> None:
    async with store.db.write() as conn:
        await conn.execute(sa.insert(sites).values(_site(site_id)))


def _site(site_id: str) -> dict[str, object]:
    return {
        "id": site_id,
        "name": site_id,
        "allowed_origins": [],
        "policy": {},
        "mail": {},
        "created_at": now_utc(),
    }
