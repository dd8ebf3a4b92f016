"""Our own export format (docs/export-format.md): one JSON object per line, versioned.

`export` writes a header, then per site: the site, its bans, and per thread the thread, each
comment (parents before replies) followed by its events, votes and flags, then the thread's
subscriptions; an `end` line with counts closes the file. `import` reads it back verbatim:
the same ids, bodies, statuses, votes and audit trail, and every comment settled (notified)
so the new instance mails nobody about them.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import orjson
import sqlalchemy as sa

from commentsvc.clock import now_utc
from commentsvc.models import Kind, Status
from commentsvc.policy import Policy, PolicyError
from commentsvc.store.tables import bans, comments, events, flags, sites, subscriptions, votes
from commentsvc.store.transfer import Batch, ThreadSpec, TransferStore
from commentsvc.transfer.importer import BATCH_SIZE, Summary
from commentsvc.transfer.progress import Progress
from commentsvc.transfer.records import TransferError
from commentsvc.transfer.source import SourceFile
from commentsvc.transfer.text import sanitize_html
from commentsvc.validation import is_site_id

FORMAT = "commentsvc-export"
VERSION = 1
COMMENT_FIELDS = [c.name for c in comments.columns if c.name not in ("thread_id",)]
_DATES = {
    "site": ("created_at",),
    "ban": ("expires_at", "created_at"),
    "thread": ("created_at",),
    "comment": ("created_at", "edited_at", "first_approved_at", "notified_at"),
    "event": ("at",),
    "vote": ("created_at",),
    "flag": ("created_at",),
    "subscription": ("confirmed_at", "created_at"),
}


def _line(kind: str, row: dict[str, Any]) -> bytes:
    # Column names come back as str subclasses, which orjson takes only as plain str.
    return orjson.dumps({"type": kind, **{str(k): v for k, v in row.items()}}) + b"\n"


async def export(
    store: TransferStore, out: IO[bytes], site_id: str | None, thread_key: str | None
) -> Counter[str]:
    counts: Counter[str] = Counter()
    out.write(
        _line(
            FORMAT,
            {"version": VERSION, "exported_at": now_utc(), "site": site_id, "thread": thread_key},
        )
    )
    for site in await store.export_sites(site_id):
        out.write(_line("site", site))
        counts["site"] += 1
        for ban in await store.export_bans(site["id"]):
            out.write(_line("ban", {k: v for k, v in ban.items() if k != "id"}))
            counts["ban"] += 1
        async for thread in store.export_threads(site["id"], thread_key):
            thread_id = thread["id"]
            out.write(_line("thread", {k: v for k, v in thread.items() if k != "id"}))
            counts["thread"] += 1
            async for chunk in store.export_comments(thread_id):
                children = await store.export_children([c["id"] for c in chunk])
                for comment in chunk:
                    row = {k: comment[k] for k in COMMENT_FIELDS}
                    row["thread"] = thread["key"]
                    out.write(_line("comment", row))
                    counts["comment"] += 1
                    for kind, rows in children[comment["id"]].items():
                        for child in rows:
                            out.write(_line(kind, {k: v for k, v in child.items() if k != "id"}))
                            counts[kind] += 1
            for sub in await store.export_subscriptions(thread_id):
                row = {k: v for k, v in sub.items() if k not in ("id", "thread_id", "site_id")}
                row["site_id"], row["thread"] = site["id"], thread["key"]
                out.write(_line("subscription", row))
                counts["subscription"] += 1
    out.write(_line("end", {"counts": dict(counts)}))
    out.flush()
    return counts


def _dates(kind: str, row: dict[str, Any], number: int) -> None:
    for name in _DATES.get(kind, ()):
        value = row.get(name)
        if value is not None:
            try:
                row[name] = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise TransferError(f"line {number}: {kind}.{name} is not a date") from None
            if row[name].tzinfo is None:
                raise TransferError(f"line {number}: {kind}.{name} has no UTC offset")


_TABLES = {"comment": comments, "event": events, "vote": votes, "flag": flags}
_TABLES["subscription"] = subscriptions
_TABLES["ban"] = bans  # inserted as written, like a site: every field checked
BAN_KINDS = ("email", "ip", "domain", "name")  # as review.bans takes them
_INT_RANGE = range(-(2**63), 2**63)
_ANCHOR_KEYS = {"quote", "prefix", "suffix", "block"}
MAX_SITE_NAME = 200  # sites.name is a String(200)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _check(kind: str, row: dict[str, Any], number: int) -> None:
    """Each value of a row as its column holds it (the file may have been edited): a clear
    refusal here instead of a traceback from the database, or a row no page can read."""
    table = _TABLES[kind]
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        if value is None:
            ok = column.nullable or column.name == "thread_id"
        elif isinstance(column.type, sa.Boolean):
            ok = isinstance(value, bool)
        elif isinstance(column.type, sa.Integer):
            ok = isinstance(value, int) and not isinstance(value, bool) and value in _INT_RANGE
        elif isinstance(column.type, sa.String | sa.Text):
            ok = isinstance(value, str) and "\x00" not in value  # PostgreSQL refuses U+0000
        elif isinstance(column.type, sa.JSON):
            ok = not _has_nul(value)
        else:
            ok = True  # dates were read above
        if not ok:
            raise TransferError(f"line {number}: {kind}.{column.name} is {value!r:.60}")
    if kind != "comment":
        return
    if row.get("status") not in set(Status) or row.get("kind") not in set(Kind):
        raise TransferError(f"line {number}: a comment's status or kind is not one of ours")
    anchor = row.get("anchor")
    if anchor is not None and (
        not isinstance(anchor, dict)
        or not set(anchor) <= _ANCHOR_KEYS
        or not all(isinstance(v, str) for v in anchor.values())
    ):
        raise TransferError(
            f"line {number}: comment.anchor is not {{quote, prefix, suffix, block}}"
        )
    if isinstance(row.get("depth"), int) and row["depth"] < 0:
        raise TransferError(f"line {number}: comment.depth is negative")
    # Never trusted as HTML: the same sanitizer as every other import (ours is left as it is).
    row["body_html"] = sanitize_html(row["body_html"])


_SITE_COLUMNS = {c.name for c in sites.columns}
_BAN_COLUMNS = {c.name for c in bans.columns} - {"id"}  # the target numbers its own bans


def _check_site(row: dict[str, Any], number: int) -> None:
    """A site row as `commentsvc site add` makes one (it is inserted as it is): no field the
    table lacks (a traceback), a name, and origins as a list (a string's letters were read
    as origins)."""
    unknown = sorted(set(row) - _SITE_COLUMNS)
    if unknown:
        raise TransferError(f"line {number}: site has fields we don't know: {unknown!r:.60}")
    site_id, name, origins = row.get("id"), row.get("name"), row.get("allowed_origins", [])
    if not isinstance(site_id, str) or not is_site_id(site_id):
        raise TransferError(f"line {number}: site.id is not a site id: {site_id!r:.60}")
    if not isinstance(name, str) or not name or "\x00" in name or len(name) > MAX_SITE_NAME:
        raise TransferError(f"line {number}: site.name is {name!r:.60}")
    if not isinstance(origins, list) or not all(
        isinstance(o, str) and "\x00" not in o for o in origins
    ):
        raise TransferError(f"line {number}: site.allowed_origins is {origins!r:.60}")
    if not isinstance(row.get("mail", {}), dict):
        raise TransferError(f"line {number}: site.mail is {row.get('mail')!r:.60}")


class NativeImporter:
    """Reads an export back, batch by batch; every row that is there already is kept."""

    def __init__(
        self,
        store: TransferStore,
        source: SourceFile,
        *,
        site_filter: str | None,
        dry_run: bool,
        batch_size: int = BATCH_SIZE,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.site_filter = site_filter
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.progress = progress
        self.summary = Summary("commentsvc", site_filter or "(as exported)", dry_run)
        self.now = now_utc()
        self._site: str | None = None
        self._threads: dict[str, ThreadSpec] = {}
        self._rows: list[dict[str, Any]] = []
        self._extras: dict[str, list[Any]] = {}
        self._subs: list[dict[str, Any]] = []
        self._last_comment: str | None = None
        self._ended = False
        self._line = 0  # the line read last

    def _records(self) -> Iterator[tuple[int, str, dict[str, Any]]]:
        name = self.source.path.name
        for number, line in enumerate(self.source.stream, 1):
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise TransferError(f"{name}: broken JSON at line {number}: {exc}") from None
            if number == 1 and (
                not isinstance(data, dict)
                or data.get("type") != FORMAT
                or data.get("version") != VERSION
            ):
                found = data.get("type") if isinstance(data, dict) else type(data).__name__
                version = data.get("version") if isinstance(data, dict) else None
                raise TransferError(
                    f"{name}: not a commentsvc export of version {VERSION} (line 1: "
                    f"{found!r}, version {version!r})"
                )
            if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                raise TransferError(f"{name}: line {number} is not a record of this format")
            kind = data.pop("type")
            _dates(kind, data, number)
            yield number, kind, data

    async def run(self) -> Summary:
        for number, kind, row in self._records():
            if kind == FORMAT:
                continue
            if kind == "end":
                self._ended = True
                break
            self._line = number
            try:
                await self._record(number, kind, row)
            except (KeyError, TypeError, ValueError) as exc:
                raise TransferError(
                    f"line {number}: a broken {kind} record ({exc!r:.80})"
                ) from None
        if not self._ended:
            raise TransferError(
                f"{self.source.path.name}: the file ends before its 'end' line (cut short?)"
            )
        await self._flush()
        if self.progress is not None:
            self.progress.close(self.summary.comments)
        return self.summary

    async def _record(self, number: int, kind: str, row: dict[str, Any]) -> None:
        if kind in ("site", "thread"):
            name = "id" if kind == "site" else "key"
            if not isinstance(row.get(name), str) or not row[name]:
                raise TransferError(f"line {number}: {kind}.{name} is not a string")
            if kind == "thread" and not all(
                isinstance(row.get(k, ""), str) for k in ("url", "title")
            ):
                raise TransferError(f"line {number}: thread.url or thread.title is not a string")
        if kind == "site":
            _check_site(row, number)
            try:
                Policy.from_json(row.get("policy"))
            except PolicyError as exc:
                raise TransferError(f"line {number}: site.policy is not a policy: {exc}") from None
        if kind == "subscription" and not isinstance(row.get("thread"), str):
            raise TransferError(f"line {number}: subscription.thread is not a string")
        if kind == "ban":
            unknown = sorted(set(row) - _BAN_COLUMNS)
            if unknown or row.get("kind") not in BAN_KINDS:
                raise TransferError(
                    f"line {number}: a ban of kind {row.get('kind')!r:.20} or with fields we "
                    f"don't know ({unknown!r:.60})"
                )
        if kind in _TABLES and kind != "comment":
            _check(kind, row, number)
        if kind == "site":
            await self._flush()
            self._site = row["id"]
            if self.site_filter is not None and row["id"] != self.site_filter:
                return
            if not self.dry_run and await self.store.ensure_site(row):
                self.summary.notes[f"site {row['id']} added"] += 1
            return
        if self._site is None:
            raise TransferError(f"line {number}: a {kind} before any site")
        if self.site_filter is not None and self._site != self.site_filter:
            return
        if kind == "ban":
            row["site_id"] = self._site
            if not self.dry_run and not await self.store.add_ban(row):
                self.summary.notes["bans there already"] += 1
        elif kind == "thread":
            self._threads[row["key"]] = ThreadSpec(
                row["key"],
                row.get("url", ""),
                row.get("title", ""),
                bool(row.get("closed")),
                row.get("created_at"),
            )
            self.summary.threads.add(row["key"])
        elif kind == "comment":
            if len(self._rows) >= self.batch_size:
                await self._flush()
            self._comment(row, number)
        elif kind in ("event", "vote", "flag"):
            if row.get("comment_id") != self._last_comment:
                raise TransferError(f"line {number}: a {kind} not after its comment")
            table = {"event": events, "vote": votes, "flag": flags}[kind]
            self._extras[row["comment_id"]].append((table, row))
        elif kind == "subscription":
            row["_thread"] = row.pop("thread")
            row.pop("site_id", None)
            self._subs.append(row)
            self.summary.notes["subscriptions"] += 1
        else:
            self.summary.skipped[f"records of type {kind!r}"] += 1

    def _comment(self, row: dict[str, Any], number: int) -> None:
        key = row.pop("thread", None)
        if key not in self._threads:
            raise TransferError(f"line {number}: a comment of thread {key!r} before the thread")
        row["_thread"] = key
        row["site_id"] = self._site
        # Settled here too: nothing in an export is news to anyone in the new instance.
        row["notified_at"] = row.get("notified_at") or self.now
        missing = [f for f in COMMENT_FIELDS if f not in row]
        if missing:
            raise TransferError(f"line {number}: comment without {', '.join(missing)}")
        _check("comment", row, number)
        self._rows.append(row)
        self._extras[row["id"]] = []
        self._last_comment = row["id"]
        self.summary.statuses[str(row["status"])] += 1

    async def _flush(self) -> None:
        if self.progress is not None:
            self.progress.update(self.summary.comments, self.source.fraction())
        if self.dry_run or not (self._rows or self._subs or self._threads) or self._site is None:
            self._rows, self._extras, self._subs = [], {}, []
            return
        threads = list(self._threads.values())
        batch = Batch(self._site, threads, self._rows, self._extras, self._subs)
        try:
            result = await self.store.write_batch(batch, self.now)
        except (sqlite3.IntegrityError, sa.exc.IntegrityError, sa.exc.DataError) as exc:
            # A reply to a comment the file lacks, a row without a field it must have: the
            # batch is rolled back, the batches before it stay (running again adds nothing).
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise TransferError(
                f"the batch ending at line {self._line} was refused by the database: {reason}"
            ) from None
        self.summary.inserted += result.inserted
        self.summary.present += result.present
        self._rows, self._extras, self._subs = [], {}, []
        # Threads stay known (their ids are cached in the store); keep only the current one.
        self._threads = dict(list(self._threads.items())[-1:])
