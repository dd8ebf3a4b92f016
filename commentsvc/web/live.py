"""Live updates: a Server-Sent Events hub keyed by (site, thread).

The event bus hands every ThreadEvent (from this process, or relayed from any
other through Redis pub/sub) to `LiveHub.on_event`, which encodes it once and
offers the frames to each reader of that thread. Each reader has a bounded
queue: a reader that can't keep up is dropped (its browser reconnects and
reloads), so one slow connection never delays the others or grows memory.

Wire format, per thread event:

    event: comment.approved            (or comment.updated / comment.deleted)
    data: {"id": "...", "version": 7, "count": 12}

    event: count                       (after approvals and deletions)
    data: {"count": 12, "version": 7}
"""

from __future__ import annotations

import asyncio
from collections import deque

import orjson

from commentsvc.comments.events import ThreadEvent

HEARTBEAT_S = 15.0
RETRY_MS = 3000
QUEUE_EVENTS = 64
MAX_CLIENTS = 10_000
MAX_PER_CLIENT = 32
"""Streams one address may hold open: a reader with many tabs is far below it; a
client trying to take every slot of MAX_CLIENTS is refused long before."""

COMMENT_EVENTS = ("comment.approved", "comment.updated", "comment.deleted")
# Status changes carry the thread's approved count; vote announcements do not.
COUNT_AFTER = ("comment.approved", "comment.deleted")

Key = tuple[str, str]


class HubFull(Exception):
    """No room for another reader in this process (or it is shutting down)."""


class TooManyStreams(HubFull):
    """This client already holds its share of the open streams."""


def frame(event: str, data: dict[str, object]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def encode(event: ThreadEvent) -> bytes:
    """The SSE frames readers get for one thread event (empty: nothing to say)."""
    out = b""
    if event.type in COMMENT_EVENTS:
        data: dict[str, object] = {
            "id": event.comment_id,
            "version": event.version,
            "count": event.count,
        }
        if event.kind:
            data["kind"] = event.kind
        out += frame(event.type, data)
    if event.type in COUNT_AFTER or event.type == "count":
        out += frame("count", {"count": event.count, "version": event.version})
    return out


class Reader:
    """One open stream: a bounded queue of encoded events and a wake-up flag."""

    __slots__ = ("client", "closed", "dropped", "key", "max_events", "pending", "wake")

    def __init__(self, key: Key, max_events: int, client: str = "") -> None:
        self.key = key
        self.client = client
        self.max_events = max_events
        self.pending: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.closed = False
        self.dropped = False

    def offer(self, data: bytes) -> bool:
        """Queue one event; False when the queue is full (the reader is too slow)."""
        if self.closed:
            return True
        if len(self.pending) >= self.max_events:
            return False
        self.pending.append(data)
        self.wake.set()
        return True

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    async def next(self, timeout_s: float) -> bytes:
        """Queued events as one chunk; b"" on timeout (time for a heartbeat) or when closed."""
        if not self.pending and not self.closed:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout_s)
            except TimeoutError:
                return b""
        self.wake.clear()
        if self.closed:
            return b""
        data = b"".join(self.pending)
        self.pending.clear()
        return data


class LiveHub:
    """Readers by thread; fed synchronously by the event bus, never blocked by a reader."""

    def __init__(
        self,
        *,
        heartbeat_s: float = HEARTBEAT_S,
        retry_ms: int = RETRY_MS,
        queue_events: int = QUEUE_EVENTS,
        max_clients: int = MAX_CLIENTS,
        max_per_client: int = MAX_PER_CLIENT,
    ) -> None:
        self.heartbeat_s = heartbeat_s
        self.retry_ms = retry_ms
        self.queue_events = queue_events
        self.max_clients = max_clients
        self.max_per_client = max_per_client
        self.dropped = 0
        self._per_client: dict[str, int] = {}
        self._readers: dict[Key, set[Reader]] = {}
        self._count = 0
        self._closed = False

    @property
    def clients(self) -> int:
        return self._count

    @property
    def closed(self) -> bool:
        return self._closed

    def subscribe(self, site: str, thread: str, client: str = "") -> Reader:
        """A new reader of a thread; `client` (a keyed hash of the address) caps one client."""
        if self._closed:
            raise HubFull("the server is shutting down")
        if self._count >= self.max_clients:
            raise HubFull(f"this server already streams to {self.max_clients} readers")
        held = self._per_client.get(client, 0)
        if client and held >= self.max_per_client:
            raise TooManyStreams(f"this address already has {held} live streams open")
        reader = Reader((site, thread), self.queue_events, client)
        self._readers.setdefault(reader.key, set()).add(reader)
        self._count += 1
        if client:
            self._per_client[client] = held + 1
        return reader

    def unsubscribe(self, reader: Reader) -> None:
        readers = self._readers.get(reader.key)
        if readers is None or reader not in readers:
            return
        readers.discard(reader)
        self._count -= 1
        if reader.client:
            left = self._per_client.pop(reader.client) - 1
            if left:
                self._per_client[reader.client] = left
        if not readers:
            del self._readers[reader.key]
        reader.close()

    def on_event(self, event: ThreadEvent) -> None:
        """Event bus listener: offer the encoded event to this thread's readers."""
        readers = self._readers.get((event.site, event.thread))
        if not readers:
            return
        data = encode(event)
        if not data:
            return
        for reader in list(readers):
            if not reader.offer(data):
                reader.dropped = True
                self.dropped += 1
                self.unsubscribe(reader)

    def end_streams(self) -> int:
        """End every open stream (browsers reconnect); how many there were."""
        ended = self._count
        for readers in list(self._readers.values()):
            for reader in list(readers):
                self.unsubscribe(reader)
        return ended

    def close(self) -> None:
        """End every open stream (shutdown); refuse new ones."""
        self._closed = True
        self.end_streams()
