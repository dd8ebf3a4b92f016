"""Where emails go: destinations are small plug-ins with a name and `send()`.

- `SMTPDestination`: aiosmtplib over a small pool of reused connections, at
  most `pool_size` sends at once, every network step under a timeout;
  `smtp://user:pass@host:port` (STARTTLS when the server offers it) or
  `smtps://…` (implicit TLS), from COMMENTSVC_SMTP_URL.
- `MaildirDestination`: without an SMTP URL, each email becomes a file in the
  data dir's Maildir (stdlib `mailbox`), so a local run shows what was sent.

`send` raises `TransientError` (try again later: network, timeouts, 4xx) or
`PermanentError` (5xx; `bounced` when the server refused the recipient or
the message for them, which means: never mail this address again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mailbox
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from commentsvc.config import Settings

log = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 8
DEFAULT_TIMEOUT_S = 30.0
# Some servers cap messages per connection; start a fresh one well before that.
MAX_MESSAGES_PER_CONNECTION = 500
QUIT_TIMEOUT_S = 2.0


# Replies that mean "no such mailbox" (RFC 5321 codes; RFC 3463 enhanced 5.1.x and 5.2.x).
MAILBOX_CODES = frozenset({550, 551, 553})
MAILBOX_STATUS = re.compile(r"^\s*5\.[12]\.\d+")


class DeliveryError(Exception):
    """A send that did not go through."""


class TransientError(DeliveryError):
    """Worth trying again later."""


class PermanentError(DeliveryError):
    """Will not go through; `bounced` if it was the recipient that was refused."""

    def __init__(self, message: str, *, bounced: bool) -> None:
        super().__init__(message)
        self.bounced = bounced


class Destination(Protocol):
    name: str
    concurrency: int
    """How many sends it runs at once; the notifier queues the rest before claiming a
    connection, so its lease check happens right before each send."""

    async def send(self, message: bytes, recipient: str) -> None:
        """Send one email (as it goes on the wire) to one recipient."""
        ...

    async def close(self) -> None: ...


def classify(exc: BaseException) -> DeliveryError:
    """Map an aiosmtplib or network error to transient or permanent."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        if codes and all(c >= 500 for c in codes):
            return PermanentError(f"recipient refused: {detail}", bounced=True)
        return TransientError(f"recipient deferred: {detail}")
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        if exc.code >= 500:
            return PermanentError(f"recipient refused: {exc.code} {exc.message}", bounced=True)
        return TransientError(f"recipient deferred: {exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPDataError):
        if exc.code >= 500:
            # After DATA, only a mailbox answer means the address is bad; a refused message
            # (size, content, policy) says nothing about the recipient.
            bounced = exc.code in MAILBOX_CODES or bool(MAILBOX_STATUS.match(exc.message))
            return PermanentError(f"message refused: {exc.code} {exc.message}", bounced=bounced)
        return TransientError(f"message deferred: {exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPAuthenticationError):
        # Our configuration, not the recipient: keep the email and retry while it is fixed.
        return TransientError(f"server refused us: {exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return PermanentError(f"server can't take this message: {exc}", bounced=False)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if exc.code >= 500:
            return PermanentError(f"refused: {exc.code} {exc.message}", bounced=False)
        return TransientError(f"deferred: {exc.code} {exc.message}")
    return TransientError(f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class SMTPConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SMTPConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"not an smtp:// or smtps:// URL with a host: {url!r}")
        implicit = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
        )


class _Connection:
    def __init__(self, smtp: aiosmtplib.SMTP) -> None:
        self.smtp = smtp
        self.sent = 0


class SMTPDestination:
    """A pool of up to `pool_size` SMTP connections, each reused for many messages."""

    name = "smtp"

    def __init__(
        self,
        config: SMTPConfig,
        mail_from: str,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_messages_per_connection: int = MAX_MESSAGES_PER_CONNECTION,
    ) -> None:
        if pool_size < 1 or max_messages_per_connection < 1:
            raise ValueError("pool_size and max_messages_per_connection must be at least 1")
        self.config = config
        self.mail_from = mail_from
        self.pool_size = pool_size
        self.timeout_s = timeout_s
        self.max_messages_per_connection = max_messages_per_connection
        self.concurrency = pool_size
        self._slots = asyncio.Semaphore(pool_size)
        self._idle: list[_Connection] = []
        self.connections_opened = 0

    async def _open(self) -> _Connection:
        c = self.config
        smtp = aiosmtplib.SMTP(
            hostname=c.hostname,
            port=c.port,
            username=c.username,
            password=c.password,
            use_tls=c.implicit_tls,
            start_tls=False if c.implicit_tls else None,
            timeout=self.timeout_s,
        )
        await smtp.connect()
        self.connections_opened += 1
        return _Connection(smtp)

    async def _discard(self, conn: _Connection) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(QUIT_TIMEOUT_S):
                await conn.smtp.quit()
        conn.smtp.close()

    async def send(self, message: bytes, recipient: str) -> None:
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            reused = conn is not None
            try:
                if conn is None:
                    conn = await self._open()
                try:
                    await self._send_on(conn, message, recipient)
                except aiosmtplib.SMTPServerDisconnected:
                    if not reused:
                        raise
                    # An idle connection the server had closed: one fresh try.
                    await self._discard(conn)
                    conn = await self._open()
                    await self._send_on(conn, message, recipient)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                if conn is not None:
                    await self._discard(conn)
                raise classify(exc) from exc
            except BaseException:  # cancelled mid-send: the connection's state is unknown
                if conn is not None:
                    conn.smtp.close()
                raise
            conn.sent += 1
            if conn.sent >= self.max_messages_per_connection:
                await self._discard(conn)
            else:
                self._idle.append(conn)

    async def _send_on(self, conn: _Connection, message: bytes, recipient: str) -> None:
        await conn.smtp.sendmail(self.mail_from, [recipient], message)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._discard(c) for c in idle))


class MaildirDestination:
    """Emails as files in a Maildir: for local runs with no mail server."""

    name = "maildir"
    concurrency = 1  # one file at a time

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    def _add(self, message: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self.path, create=True)
        box.add(message.replace(b"\r\n", b"\n"))  # Maildir files use local line ends

    async def send(self, message: bytes, recipient: str) -> None:
        try:
            async with self._lock:
                await asyncio.to_thread(self._add, message)
        except OSError as exc:
            raise TransientError(f"maildir {self.path}: {exc}") from exc

    async def close(self) -> None:
        return None


def destination_from_settings(settings: Settings) -> Destination:
    """SMTP when COMMENTSVC_SMTP_URL is set, else the Maildir in the data dir."""
    if settings.smtp_url:
        return SMTPDestination(
            SMTPConfig.from_url(settings.smtp_url),
            settings.mail_from,
            pool_size=settings.smtp_pool_size,
            timeout_s=settings.smtp_timeout_s,
        )
    log.info("no SMTP URL: emails go to the Maildir %s", settings.maildir)
    return MaildirDestination(settings.maildir)
