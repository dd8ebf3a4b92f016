"""One log line per request: text by default, JSON with COMMENTSVC_LOG_FORMAT=json.

Access lines skip the `logging` machinery: they are formatted in a few
microseconds and written to stderr in batches (every 200 ms or 64 KiB), so a
busy API spends its time answering, not logging. The client is logged as a
short keyed hash, never the raw address, and tokens in confirm/unsubscribe
and "My comments" links are cut from the path.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from typing import TextIO

import orjson
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from commentsvc.web.keys import RUNTIME

_TOKEN_PATH = re.compile(r"^/(s|u|m)/[^/]+")
FLUSH_INTERVAL_S = 0.2
FLUSH_BYTES = 65_536


def loggable_path(path: str) -> str:
    if path.startswith(("/s/", "/u/", "/m/")):
        return _TOKEN_PATH.sub(r"/\1/…", path)
    return path


class LineBuffer:
    """Collects lines and writes them in batches from the event loop."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._lines: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None

    def add(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line)
        if self._size >= FLUSH_BYTES:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._timer = loop.call_later(FLUSH_INTERVAL_S, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        data, self._lines, self._size = "".join(self._lines), [], 0
        stream = self.stream or sys.stderr
        try:
            stream.write(data)
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed or full stderr must not take requests down


BUFFER = LineBuffer()


class _Clock:
    """The current second as text, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return self._text


_CLOCK = _Clock()
_clients: dict[str, str] = {}  # peer address → its short keyed hash


class RequestLog(AbstractAccessLogger):
    json_format = False

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        remote = request.remote or ""
        client = _clients.get(remote)
        if client is None:
            try:
                client = request.app[RUNTIME].keys.ip_hash(remote)[:12]  # type: ignore[attr-defined]
            except (KeyError, AttributeError, AssertionError):
                client = "-"  # no app: aiohttp's own answer to a request it could not parse
            else:
                if len(_clients) > 4096:
                    _clients.clear()
                _clients[remote] = client
        path = loggable_path(request.path)
        if self.json_format:
            line = orjson.dumps(
                {
                    "ts": _CLOCK.now(),
                    "msg": "request",
                    "method": request.method,
                    "path": path,
                    "status": response.status,
                    "duration_ms": round(time * 1000, 2),
                    "bytes": response.body_length,
                    "client": client,
                }
            ).decode()
        else:
            line = (
                f"{_CLOCK.now()} access {client} {request.method} {path} {response.status} "
                f"{response.body_length}B {time * 1000:.1f}ms"
            )
        BUFFER.add(line + "\n")


class JsonRequestLog(RequestLog):
    json_format = True
