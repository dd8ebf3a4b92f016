"""The import engine: records from a format reader → threads and comments in batches.

Every imported comment is settled: `notified_at` is set (so neither the notifier nor the
sweeper ever mails anyone about it), approved ones carry `first_approved_at` (their source
date), and the audit event it gets changes no status (so no moderator alert counts it as
newly pending). Without `--moderate` the source's verdict stands; with it, comments the source
approved or held start as `received` and the moderation worker looks at them (still without
email to subscribers: they are settled).
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from commentsvc.clock import now_utc
from commentsvc.comments.service import body_fingerprint
from commentsvc.models import Kind, Status
from commentsvc.security import Keys
from commentsvc.store.tables import events
from commentsvc.store.transfer import Batch, ThreadSpec, TransferStore
from commentsvc.transfer.ids import import_id
from commentsvc.transfer.progress import Progress
from commentsvc.transfer.records import Record, Skipped, SourceComment, SourceThread, ThreadDone
from commentsvc.transfer.text import clean_email, clean_name, convert
from commentsvc.validation import MAX_KEY_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS

BATCH_SIZE = 10_000  # comments per transaction
MAX_VOTES = 2**31 - 1
SWITCH_INTERVAL = 0.0005  # seconds
CACHE_LIMIT = 100_000  # remembered addresses (IP hashes, cleaned emails) before starting over
ORPHAN = "replies whose parent is not in the file (imported as top-level)"
_COMMENT, _FEEDBACK = Kind.COMMENT.value, Kind.FEEDBACK.value
_APPROVED = Status.APPROVED.value


@dataclass
class Summary:
    format: str
    site: str
    dry_run: bool
    threads: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    inserted: int = 0
    present: int = 0

    @property
    def comments(self) -> int:
        return sum(self.statuses.values())

    def lines(self) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        out = [
            f"{self.format} → site {self.site}"
            + (" (dry run: nothing written)" if self.dry_run else ""),
            f"threads: {len(self.threads)}",
            f"comments: {self.comments} ("
            + ", ".join(f"{s} {n}" for s, n in sorted(self.statuses.items()))
            + ")",
        ]
        if not self.dry_run:
            out.append(f"  {verb} now: {self.inserted}; there already: {self.present}")
        if self.skipped:
            out.append(f"skipped: {sum(self.skipped.values())}")
            out.extend(f"  {reason}: {n}" for reason, n in sorted(self.skipped.items()))
        out.extend(f"note: {reason}: {n}" for reason, n in sorted(self.notes.items()))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "site": self.site,
            "dry_run": self.dry_run,
            "threads": len(self.threads),
            "comments": dict(self.statuses),
            "inserted": self.inserted,
            "present": self.present,
            "skipped": dict(self.skipped),
            "notes": dict(self.notes),
        }


Placed = tuple[str, str, int]  # (id, root id, depth)


class ImportEngine:
    def __init__(
        self,
        store: TransferStore,
        keys: Keys,
        site_id: str,
        fmt: str,
        *,
        dry_run: bool = False,
        moderate: bool = False,
        batch_size: int = BATCH_SIZE,
        progress: Progress | None = None,
        position: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.site_id = site_id
        self.fmt = fmt
        self.dry_run = dry_run
        self.moderate = moderate
        self.batch_size = batch_size
        self.progress = progress
        self.position = position
        self.summary = Summary(fmt, site_id, dry_run)
        self.now = now_utc()
        self._threads: dict[str, SourceThread] = {}
        self._placed: dict[str, dict[str, Placed]] = {}
        self._waiting: dict[str, dict[str, list[SourceComment]]] = {}
        self._rows: list[dict[str, Any]] = []
        self._extras: dict[str, list[Any]] = {}
        self._new_threads: dict[str, ThreadSpec] = {}
        self._flushing: asyncio.Task[None] | None = None
        self._seen = 0
        self._ip_hashes: dict[str, str] = {}
        self._emails: dict[str, str | None] = {}

    async def run(self, records: Iterable[Record]) -> Summary:
        """Read the next batch in a thread while the one before is written."""
        it = iter(records)
        more = True
        if not self.dry_run:
            await self.store.start_import()
        # The writer's thread needs Python's lock back after each statement it steps while
        # this process parses in another thread: hand it over sooner than every 5 ms.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        # No automatic cycle collection meanwhile: parsing makes millions of short-lived
        # objects (none in cycles), and each full collection would walk the batches waiting
        # to be written. The young generations are collected once per batch instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            while more:
                more = await asyncio.to_thread(self._fill, it)
                await self._flush()
                gc.collect(1)  # the few cycles a batch leaves (tasks, futures), young ones only
            await self._wait_flush()
        finally:
            sys.setswitchinterval(interval)
            if collecting:
                gc.enable()
            if not self.dry_run:
                await self._wait_flush_quietly()
                await self.store.finish_import()
        if self.progress is not None:
            self.progress.close(self._seen)
        return self.summary

    def _fill(self, it: Iterator[Record]) -> bool:
        """Take records until a batch is full (True) or the file ends (False)."""
        for record in it:
            if isinstance(record, SourceComment | SourceThread):
                _drop_nul(record)
            if isinstance(record, SourceComment):
                self._add(record)
                if len(self._rows) >= self.batch_size:
                    return True
            elif isinstance(record, SourceThread):
                self._threads.setdefault(record.ref, record)
            elif isinstance(record, Skipped):
                self.summary.skipped[record.reason] += 1
            elif isinstance(record, ThreadDone):
                self._finish_thread(record.ref)
                if len(self._rows) >= self.batch_size:
                    return True
        for ref in list(self._waiting):
            self._finish_thread(ref)
        return False

    # ----- placing comments in their threads ----------------------------------------

    def _add(self, comment: SourceComment) -> None:
        thread = self._threads.get(comment.thread_ref)
        if thread is None:
            self.summary.skipped["comment of a thread not in the file"] += 1
            return
        parent: Placed | None = None
        if comment.parent_ref:
            parent = self._placed.get(comment.thread_ref, {}).get(comment.parent_ref)
            if parent is None:
                waiting = self._waiting.setdefault(comment.thread_ref, {})
                waiting.setdefault(comment.parent_ref, []).append(comment)
                return
        self._place(thread, comment, parent)

    def _place(self, thread: SourceThread, first: SourceComment, parent: Placed | None) -> None:
        stack: list[tuple[SourceComment, Placed | None]] = [(first, parent)]
        while stack:
            comment, above = stack.pop()
            placed = self._row(thread, comment, above)
            if placed is None:
                continue
            self._placed.setdefault(thread.ref, {})[comment.source_id] = placed
            children = self._waiting.get(thread.ref, {}).pop(comment.source_id, [])
            stack.extend((child, placed) for child in reversed(children))

    def _finish_thread(self, ref: str) -> None:
        """Replies still waiting for a parent that never came go in at the top level."""
        waiting = self._waiting.pop(ref, {})
        thread = self._threads.get(ref)
        if thread is not None:
            while waiting:
                _parent_ref, children = waiting.popitem()
                self._waiting[ref] = waiting
                for child in children:
                    self.summary.notes[ORPHAN] += 1
                    self._place(thread, child, None)
                waiting = self._waiting.pop(ref, {})
        self._placed.pop(ref, None)

    def _row(self, thread: SourceThread, c: SourceComment, parent: Placed | None) -> Placed | None:
        body, body_html = convert(c.text, c.is_html)
        if not body and c.status is not Status.DELETED:
            self.summary.skipped["empty text"] += 1
            return None
        key = thread.key[:MAX_KEY_CHARS]
        comment_id = import_id(c.created_at, f"{self.site_id}:{self.fmt}:{c.source_id}")
        placed = (comment_id, parent[1] if parent else comment_id, parent[2] + 1 if parent else 0)
        status = c.status
        if self.moderate and status in (Status.APPROVED, Status.PENDING):
            status = Status.RECEIVED
        status_value = status.value
        self.summary.statuses[status_value] += 1
        self.summary.threads.add(key)
        self._seen += 1
        if self.dry_run:
            return placed
        if key not in self._new_threads and (self.site_id, key) not in self.store.thread_ids:
            self._new_threads[key] = ThreadSpec(
                key,
                _web_url(thread.url)[:MAX_URL_CHARS],
                thread.title[:MAX_TITLE_CHARS],
                thread.closed,
            )
        email = self._email(c.author_email) if c.author_email else None
        if c.author_email and email is None:
            self.summary.notes["author emails that are not addresses (dropped)"] += 1
        # As many as the (32-bit) columns hold: a bigger count in a file was an overflow.
        up, down = (min(max(n, 0), MAX_VOTES) for n in (c.votes_up, c.votes_down))
        ip_hash = self._ip_hash(("hashed:" if c.ip_is_hashed else "") + c.ip) if c.ip else None
        self._rows.append(
            {
                "id": comment_id,
                "_thread": key,
                "site_id": self.site_id,
                "parent_id": parent[0] if parent else None,
                "root_id": placed[1],
                "depth": placed[2],
                "kind": _FEEDBACK if c.anchor else _COMMENT,
                "anchor": c.anchor,
                "author_name": clean_name(c.author_name),
                "author_email": email,
                "ip_hash": ip_hash,
                "user_agent": c.user_agent[:512],
                "body": body,
                "body_html": body_html,
                "body_hash": body_fingerprint(body),
                "honeypot": False,
                "status": status_value,
                "moderation": {"imported": {"format": self.fmt, "source_id": c.source_id}},
                "votes_up": up,
                "votes_down": down,
                "score": up - down,
                "flag_count": 0,
                "flags_reviewed": 0,
                "created_at": c.created_at,
                "edited_at": c.edited_at,
                "first_approved_at": c.created_at if status_value == _APPROVED else None,
                "notified_at": self.now,
                "edit_token_hash": "",  # no edit token exists for an imported comment
                "version": 1,
            }
        )
        note: dict[str, Any] = {
            "format": self.fmt,
            "source_id": c.source_id,
            "source_status": c.status.value,
            "original": c.text,
        }
        if c.author_url:
            note["author_url"] = c.author_url
        if c.meta:
            note["meta"] = c.meta
        self._extras[comment_id] = [
            (
                events,
                {
                    "comment_id": comment_id,
                    "actor": f"import:{self.fmt}",
                    "action": "import",
                    "from_status": None,
                    "to_status": None,
                    "note": orjson.dumps(note, default=str).decode(),
                    "at": self.now,
                },
            )
        ]
        return placed

    def _ip_hash(self, ip: str) -> str:
        found = self._ip_hashes.get(ip)
        if found is None:
            if len(self._ip_hashes) >= CACHE_LIMIT:
                self._ip_hashes.clear()
            found = self._ip_hashes[ip] = self.keys.ip_hash(ip)
        return found

    def _email(self, address: str) -> str | None:
        if address in self._emails:
            return self._emails[address]
        if len(self._emails) >= CACHE_LIMIT:
            self._emails.clear()
        found = self._emails[address] = clean_email(address)
        return found

    # ----- writing -----------------------------------------------------------------

    async def _flush(self) -> None:
        if self.progress is not None:
            self.progress.update(self._seen, self.position())
        if self.dry_run or not self._rows:
            return
        await self._wait_flush()
        batch = Batch(self.site_id, list(self._new_threads.values()), self._rows, self._extras, [])
        self._rows, self._extras, self._new_threads = [], {}, {}
        self._flushing = asyncio.ensure_future(self._write(batch))

    async def _write(self, batch: Batch) -> None:
        result = await self.store.write_batch(batch, self.now)
        self.summary.inserted += result.inserted
        self.summary.present += result.present

    async def _wait_flush_quietly(self) -> None:
        """After a failure: let the batch being written end (its error is not the news)."""
        if self._flushing is not None:
            task, self._flushing = self._flushing, None
            await asyncio.gather(task, return_exceptions=True)

    async def _wait_flush(self) -> None:
        if self._flushing is not None:
            task, self._flushing = self._flushing, None
            await task


def _no_nul(value: Any) -> Any:
    """`value` without U+0000 in any string of it (PostgreSQL's text and jsonb refuse one)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


def _drop_nul(record: SourceComment | SourceThread) -> None:
    """A file's NUL characters, gone before they reach a row (a traceback on PostgreSQL)."""
    for name in type(record).__slots__:
        value = getattr(record, name)
        if isinstance(value, str | dict | list):
            setattr(record, name, _no_nul(value))


def _web_url(url: str) -> str:
    """A thread's address only if it is http(s), as the API takes one: it becomes a link in
    emails and on the moderation page (a `javascript:` one from a file must not)."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def parse_dt(text: str) -> datetime:
    """An ISO 8601 date (at most microseconds; a trailing Z, or no offset at all, is UTC)."""
    found = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if found.tzinfo is None:
        return found.replace(tzinfo=UTC)
    try:
        return found.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-05:00 is past year 9999 in UTC
        raise ValueError(f"date out of range: {text!r}") from None
