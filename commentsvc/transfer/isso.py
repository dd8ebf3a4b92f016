"""Isso's SQLite database: threads(id, uri, title) and comments(tid, id, parent, created,
modified, mode [1 accepted, 2 pending, 4 deleted], remote_addr, text, author, email, website,
likes, dislikes, voters, notification). Opened read-only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from commentsvc.models import Status
from commentsvc.transfer.records import (
    Record,
    Skipped,
    SourceComment,
    SourceThread,
    ThreadDone,
    TransferError,
)
from commentsvc.transfer.text import count_of

MODES = {1: Status.APPROVED, 2: Status.PENDING, 4: Status.DELETED}


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class IssoReader:
    def __init__(self, path: Path, thread_key: str = "path") -> None:
        self.path = path
        self.thread_key = thread_key
        self.total = 0
        self.done = 0
        try:
            # Read from the import's reading thread (one at a time), opened read-only.
            self.db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            self.total = self.db.execute("SELECT count(*) FROM comments").fetchone()[0]
            self.db.execute("SELECT id, uri, title FROM threads LIMIT 1").fetchall()
            self.db.execute(
                "SELECT tid, id, parent, created, modified, mode, remote_addr, text, author,"
                " email, website, likes, dislikes FROM comments LIMIT 1"
            ).fetchall()
        except sqlite3.Error as exc:
            raise TransferError(f"{path.name}: not an Isso database ({exc})") from None

    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None

    def close(self) -> None:
        self.db.close()

    def __iter__(self) -> Iterator[Record]:
        threads = self.db.execute("SELECT id, uri, title FROM threads ORDER BY id").fetchall()
        for tid, uri, title in threads:
            ref = str(tid)
            uri = str(uri or "")
            if self.thread_key == "id":
                key = ref
            elif self.thread_key == "url":
                key = uri or ref
            else:
                key = uri.strip("/") or "/"
            yield SourceThread(ref, key, "", str(title or ""))
            rows = self.db.execute(
                "SELECT id, parent, created, modified, mode, remote_addr, text, author, email,"
                " website, likes, dislikes FROM comments WHERE tid = ? ORDER BY id",
                (tid,),
            )
            for (
                cid,
                parent,
                created,
                modified,
                mode,
                addr,
                text,
                author,
                email,
                website,
                likes,
                dislikes,
            ) in rows:
                self.done += 1
                status = MODES.get(count_of(mode))
                created_at = _when(created)
                if status is None:
                    yield Skipped(f"mode {mode}")
                    continue
                if created_at is None:
                    yield Skipped("no date")
                    continue
                yield SourceComment(
                    source_id=str(cid),
                    thread_ref=ref,
                    parent_ref=str(parent) if parent is not None else None,
                    created_at=created_at,
                    status=status,
                    author_name=str(author or ""),
                    text=str(text or ""),
                    is_html=False,
                    author_email=str(email or "") or None,
                    author_url=str(website or ""),
                    ip=str(addr or "") or None,
                    votes_up=max(0, count_of(likes)),
                    votes_down=max(0, count_of(dislikes)),
                    edited_at=_when(modified) if modified else None,
                )
            yield ThreadDone(ref)
