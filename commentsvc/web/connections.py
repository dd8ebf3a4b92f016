"""Connection limits of the served process: open connections per address, request head time.

aiohttp alone lets one client hold every file descriptor: it waits for a
request head as long as the keep-alive timeout and takes any number of
connections from one address. `LimitedServer` builds `LimitedRequestHandler`s,
which add two limits:

- **Per address.** At most `max_per_ip` open connections from one address; the
  next is answered `429` (problem+json, `Connection: close`) and closed at
  once. Connections from trusted proxies are not counted: behind a proxy every
  reader arrives from it, and the proxy keeps its own per-address limit (nginx
  `limit_conn`).
- **Request heads.** A request head must be complete within `header_timeout_s`
  of the connection opening or, on a kept-alive connection, of its first byte;
  otherwise `408` (problem+json) and close, or a plain close when nothing was
  sent. Idle kept-alive connections close after aiohttp's `keepalive_timeout`.

Malformed requests are answered with a problem+json 400 and logged as one
WARNING line, not as an ERROR with aiohttp's stack trace.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from commentsvc.config import IPNetwork, Settings
from commentsvc.logthrottle import LogThrottle
from commentsvc.web.client import is_trusted, parse_address
from commentsvc.web.problems import problem

log = logging.getLogger(__name__)

REFUSED_RETRY_AFTER_S = 5
LOGGED_MESSAGE_CHARS = 200


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """`max_per_ip` 0 and `header_timeout_s` 0 turn a limit off."""

    max_per_ip: int
    header_timeout_s: float
    exempt: Sequence[IPNetwork] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            settings.max_connections_per_ip, settings.header_timeout_s, settings.trusted_proxies
        )

    def key(self, peername: Any) -> str | None:
        """The address a connection counts against, or None when it is not counted."""
        if not self.max_per_ip or not isinstance(peername, tuple) or not peername:
            return None  # off, or a unix socket
        addr = parse_address(str(peername[0]))
        if addr is None:
            return None
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped  # a dual-stack socket's IPv4 reader
        if is_trusted(addr, self.exempt):
            return None
        return str(addr)


def raw_response(response: web.Response) -> bytes:
    """`response` as HTTP/1.1 bytes ending the connection, for a transport with no request."""
    body = response.body
    if not isinstance(body, bytes):  # pragma: no cover - problem() always sets bytes
        raise TypeError("a raw response needs a bytes body")
    lines = [f"HTTP/1.1 {response.status} {response.reason}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    lines += [
        f"Content-Length: {len(body)}",
        "Connection: close",
        "X-Content-Type-Options: nosniff",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _one_line(text: str) -> str:
    return " ".join(text.split())[:LOGGED_MESSAGE_CHARS]


class LimitedServer(web.Server):
    """aiohttp's low-level server, building `LimitedRequestHandler`s that share one count."""

    def __init__(self, limits: ConnectionLimits, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.open_per_address: Counter[str] = Counter()
        self.refusals = LogThrottle(log)

    def __call__(self) -> RequestHandler:
        return LimitedRequestHandler(self, loop=self._loop, **self._kwargs)


class LimitedRequestHandler(RequestHandler):
    """One connection: counted against its address, its request heads timed."""

    __slots__ = (
        "_address",
        "_head_begun",
        "_head_timer",
        "_heads_at_timer",
        "_limited",
        "_refused",
    )

    def __init__(self, manager: LimitedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limited = manager
        self._address: str | None = None
        self._refused = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_begun = False
        self._heads_at_timer = 0

    # ----- per address ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        server = self._limited
        address = server.limits.key(transport.get_extra_info("peername"))
        if address is not None:
            if server.open_per_address[address] >= server.limits.max_per_ip:
                self._refuse(transport, address)
                return
            server.open_per_address[address] += 1
            self._address = address
        super().connection_made(transport)
        self._start_head_timer(begun=False)

    def _refuse(self, transport: asyncio.BaseTransport, address: str) -> None:
        self._refused = True
        limit = self._limited.limits.max_per_ip
        self._limited.refusals.warning(
            "per-address", "refused a connection from %s: it holds %d already", address, limit
        )
        answer = problem(
            429,
            f"too many open connections from {address} (at most {limit}); close some and try again",
            headers={"Retry-After": str(REFUSED_RETRY_AFTER_S)},
        )
        cast(asyncio.Transport, transport).write(raw_response(answer))
        transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._refused:
            return  # never counted, never started
        self._stop_head_timer()
        if self._address is not None:
            counts = self._limited.open_per_address
            counts[self._address] -= 1
            if counts[self._address] <= 0:
                del counts[self._address]
            self._address = None
        super().connection_lost(exc)

    # ----- request heads ---------------------------------------------------------
    # aiohttp's handler waits on `_waiter` for its next request and counts parsed
    # heads in `_request_count`; the timer reads both (tests/web/test_connection_limits.py
    # fails if a new aiohttp changes them).

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        waiting = self._waiter is not None and not self._waiter.done() and not self._messages
        heads = self._request_count
        super().data_received(data)
        if self._request_count != heads:
            self._stop_head_timer()
        elif data and self._head_timer is not None:
            self._head_begun = True
        elif data and waiting:
            self._start_head_timer(begun=True)  # a kept-alive connection's next request

    def _start_head_timer(self, *, begun: bool) -> None:
        timeout_s = self._limited.limits.header_timeout_s
        if timeout_s <= 0:
            return
        self._head_begun = begun
        self._heads_at_timer = self._request_count
        self._head_timer = self._loop.call_later(timeout_s, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._request_count != self._heads_at_timer or self.transport is None:
            return
        if self._head_begun:
            timeout_s = self._limited.limits.header_timeout_s
            answer = problem(408, f"the request head did not arrive within {timeout_s:g} s")
            self.transport.write(raw_response(answer))
        self.force_close()

    # ----- malformed requests ------------------------------------------------------

    def log_exception(self, *args: Any, **kw: Any) -> None:
        exc = kw.get("exc_info")
        if isinstance(exc, HttpProcessingError):
            # The client's fault, not ours: one line, no stack trace.
            message, *rest = args or ("bad request",)
            self.logger.warning(f"{message}: %s", *rest, _one_line(exc.message or str(exc)))
            return
        super().log_exception(*args, **kw)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's error answer (a bad request, an escaped error) as problem+json."""
        super().handle_error(request, status, exc, message)  # logs; raises if output began
        if isinstance(exc, HttpProcessingError) and status < 500:
            detail = f"the request could not be parsed: {_one_line(exc.message or str(exc))}"
        elif status == 504:
            detail = "the request took too long"
        else:
            detail = "the server hit an unexpected error; it has been logged"
        answer = problem(status, detail)
        answer.force_close()
        return answer
