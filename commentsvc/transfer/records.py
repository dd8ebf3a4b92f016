"""What a format reader yields: plain records the import engine turns into rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from commentsvc.models import Status


class TransferError(Exception):
    """A file that cannot be imported (broken, unsafe, of another format): said in one line."""


@dataclass(slots=True)
class SourceThread:
    """An article in the source: `ref` is how the source's comments point at it."""

    ref: str
    key: str
    url: str = ""
    title: str = ""
    closed: bool = False


@dataclass(slots=True)
class SourceComment:
    """One comment as the source has it; `text` is HTML when `is_html`, else plain text."""

    source_id: str
    thread_ref: str
    parent_ref: str | None
    created_at: datetime
    status: Status
    author_name: str
    text: str
    is_html: bool
    author_email: str | None = None
    author_url: str = ""
    ip: str | None = None
    ip_is_hashed: bool = False  # the source stored a hash already (Remark42): hash it again
    user_agent: str = ""
    votes_up: int = 0
    votes_down: int = 0
    anchor: dict[str, str] | None = None
    edited_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Skipped:
    """Something in the source that is not imported, and why (counted in the summary)."""

    reason: str


@dataclass(slots=True)
class ThreadDone:
    """No more comments of this thread follow (lets the engine forget its id map)."""

    ref: str


Record = SourceThread | SourceComment | Skipped | ThreadDone
