"""Remark42 backups: one JSON record per line (gzip or plain). The first line is the meta
record (`version`, users, posts); every other line a comment: id, pid, text (HTML),
user {name, id, ip (hashed by Remark42)}, locator {site, url}, time, score, votes, delete."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from commentsvc.models import Status
from commentsvc.transfer.importer import parse_dt
from commentsvc.transfer.records import Record, Skipped, SourceComment, SourceThread, TransferError
from commentsvc.transfer.source import SourceFile
from commentsvc.transfer.text import url_path_key

_FRACTION = re.compile(r"(\.\d{6})\d+")


class Remark42Reader:
    def __init__(self, source: SourceFile, thread_key: str = "path") -> None:
        self.source = source
        self.thread_key = thread_key

    def __iter__(self) -> Iterator[Record]:
        name = self.source.path.name
        seen: set[str] = set()
        for number, line in enumerate(self.source.stream, 1):
            if not line.strip():
                continue
            try:
                data: Any = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise TransferError(f"{name}: broken JSON at line {number}: {exc}") from None
            if not isinstance(data, dict):
                raise TransferError(f"{name}: line {number} is not a JSON object")
            if number == 1:
                if "version" not in data:
                    raise TransferError(f"{name}: not a Remark42 backup (no version on line 1)")
                continue
            if "id" not in data or "locator" not in data:
                yield Skipped("records that are not comments")
                continue
            yield from self._comment(data, seen, number)

    def _comment(self, data: dict[str, Any], seen: set[str], number: int) -> Iterator[Record]:
        locator = _object(data.get("locator"))
        url = str(locator.get("url") or "")
        if not url:
            yield Skipped("comments without a locator url")
            return
        if url not in seen:
            seen.add(url)
            key = url if self.thread_key in ("url", "id") else url_path_key(url)
            yield SourceThread(url, key, url, str(data.get("title") or ""))
        try:
            created = parse_dt(_FRACTION.sub(r"\1", str(data.get("time") or "")))
        except ValueError:
            yield Skipped("comments without a valid time")
            return
        if not isinstance(data.get("id"), str | int) or isinstance(data.get("id"), bool):
            yield Skipped("comments without an id")
            return
        user = _object(data.get("user"))
        votes = _object(data.get("votes"))
        up = sum(1 for v in votes.values() if v is True or (isinstance(v, int) and v > 0))
        down = sum(1 for v in votes.values() if v is False or (isinstance(v, int) and v < 0))
        meta: dict[str, Any] = {
            k: data[k] for k in ("score", "votes", "imported", "pin", "edit") if k in data
        }
        meta["user_id"] = user.get("id")
        meta["site"] = locator.get("site")
        edit = _object(data.get("edit"))
        edited = None
        if edit.get("time"):
            try:
                edited = parse_dt(_FRACTION.sub(r"\1", str(edit["time"])))
            except ValueError:
                edited = None
        yield SourceComment(
            source_id=str(data["id"]),
            thread_ref=url,
            parent_ref=str(data.get("pid") or "") or None,
            created_at=created,
            status=Status.DELETED if data.get("delete") else Status.APPROVED,
            author_name=str(user.get("name") or ""),
            text=str(data.get("text") or ""),
            is_html=True,
            ip=str(user.get("ip") or "") or None,
            ip_is_hashed=True,
            votes_up=up,
            votes_down=down,
            edited_at=edited,
            meta=meta,
        )


def _object(value: Any) -> dict[str, Any]:
    """A part of a record that must be an object (user, locator, votes, edit); else none."""
    return value if isinstance(value, dict) else {}
