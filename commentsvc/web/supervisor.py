"""`serve --processes N` / `api --processes N`: a parent that runs the API in N processes.

The parent starts what the children share, then the children, then waits:

- the embedded Redis (when no COMMENTSVC_REDIS_URL is set) is started once, by
  the parent, and its URL handed to every child in COMMENTSVC_REDIS_URL; the
  parent stops it after the last child has exited;
- for `serve`, the schema is migrated once, before any child starts;
- N API children each bind the same host and port with SO_REUSEPORT, so the
  kernel spreads new connections over them; each keeps its own page cache,
  invalidated over Redis pub/sub like any other API process;
- for `serve`, one more child runs every worker (moderation, notifier,
  sweeper, desk/webhooks) and no HTTP.

Children get the parent's settings: the same environment (command-line
overrides included), the same `--config`, the secret key already written to
the data dir. Writers in several processes share SQLite in WAL mode through
`BEGIN IMMEDIATE` and the busy timeout; rate limits and duplicate windows are
in Redis, so they stay global.

SIGINT or SIGTERM: the parent sends SIGTERM to every child, waits for them
(SIGKILL after a grace period), stops the embedded Redis and exits 0. A child
that exits on its own is a fault, not something to paper over by restarting
it: the parent logs it, stops the others and exits 1, so systemd (or whatever
runs it) restarts the whole service in a known state. A child whose parent
disappears (SIGKILL) stops by itself within a second (`watch_parent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from commentsvc.config import SUPERVISOR_PID_ENV, Settings

if TYPE_CHECKING:
    from commentsvc.queue.embedded import EmbeddedRedis

log = logging.getLogger(__name__)

PARENT_PID_ENV = SUPERVISOR_PID_ENV
"""Set for each child: the parent it must outlive no longer than a second (`watch_parent`)."""
CHILD_STOP_TIMEOUT_S = 45.0  # the workers may take STOP_TIMEOUT_S (30 s) to finish a batch
ROLE_API = "api"
ROLE_WORKERS = "workers"


def default_processes() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def child_command(command: str, role: str, config: Path | None) -> list[str]:
    args = [sys.executable, "-m", "commentsvc"]
    if config is not None:
        args += ["--config", str(config)]
    return [*args, command, "--child-role", role]


async def _start_shared(settings: Settings, *, migrate: bool) -> tuple[str, EmbeddedRedis | None]:
    """Start the embedded Redis if needed and migrate; the Redis URL and the server to stop."""
    redis_url = settings.redis_url
    embedded = None
    if settings.embedded_redis:
        from commentsvc.queue.embedded import EmbeddedRedis

        embedded = EmbeddedRedis(settings.data_dir)
        await embedded.start()
        redis_url = embedded.url
    if migrate:
        from commentsvc.store import Store

        store = Store.from_url(settings.resolved_database_url)
        try:
            await store.migrate()
        finally:
            await store.close()
    return redis_url, embedded


async def _stop_child(proc: asyncio.subprocess.Process, timeout_s: float) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout_s)
        except TimeoutError:
            log.warning("child pid %d ignored SIGTERM for %.0f s; killing it", proc.pid, timeout_s)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def supervise(
    settings: Settings,
    env: dict[str, str],
    *,
    command: str,
    processes: int,
    with_workers: bool,
    config: Path | None,
    banner: str,
) -> int:
    """Run the children until a signal (exit 0) or until one of them exits (exit 1).
    The caller has checked that the port is free (`check_port_free`)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    redis_url, embedded = await _start_shared(settings, migrate=with_workers)
    child_env = {
        **env,
        "COMMENTSVC_REDIS_URL": redis_url,
        "COMMENTSVC_SECRET_KEY": settings.secret_key,
        PARENT_PID_ENV: str(os.getpid()),
    }
    roles = [ROLE_API] * processes + ([ROLE_WORKERS] if with_workers else [])
    children: list[asyncio.subprocess.Process] = []
    code = 0
    try:
        for role in roles:
            children.append(
                await asyncio.create_subprocess_exec(
                    *child_command(command, role, config), env=child_env
                )
            )
        pids = ", ".join(f"{role} {proc.pid}" for role, proc in zip(roles, children, strict=True))
        print(f"{banner}\n  processes:     {pids}", flush=True)
        waits = {asyncio.ensure_future(proc.wait()): proc for proc in children}
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([stopping, *waits], return_when=asyncio.FIRST_COMPLETED)
        if stopping not in done:
            for task in done:
                proc = waits[task]
                log.error(
                    "child pid %d exited with code %s; stopping the others", proc.pid, task.result()
                )
            code = 1
        stopping.cancel()
    finally:
        await asyncio.gather(*(_stop_child(proc, CHILD_STOP_TIMEOUT_S) for proc in children))
        if embedded is not None:
            await embedded.stop()
    return code


class PortInUse(Exception):
    pass


def check_port_free(host: str, port: int) -> None:
    """Refuse to start on a port something else listens on. The children bind with
    SO_REUSEPORT, which would otherwise let a second deployment (or a stale child) share
    the port silently; this bind has no SO_REUSEPORT, so it fails while any listener is
    there, and a later start's check fails while our children are."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(f"{host}:{port} is in use ({exc.strerror})") from None


def parent_pid() -> int:
    """The supervisor this child belongs to (named by it, so a child orphaned while it
    was still starting up notices at once)."""
    raw = os.environ.get(PARENT_PID_ENV, "")
    return int(raw) if raw.isdigit() else os.getppid()


async def watch_parent(stop: asyncio.Event, parent_pid: int, period_s: float = 1.0) -> None:
    """Set `stop` once the process's parent is gone (it was killed without stopping us)."""
    while not stop.is_set():
        if os.getppid() != parent_pid:
            log.warning("the parent process %d is gone; stopping", parent_pid)
            stop.set()
            return
        await asyncio.sleep(period_s)
