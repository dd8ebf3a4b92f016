"""Pagination cursors of thread pages: opaque to clients, checked strictly when read."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from commentsvc.ids import looks_like_id
from commentsvc.models import Comment
from commentsvc.validation import is_plain_int

Sort = Literal["newest", "oldest", "top"]

MAX_SCORE = 2**31 - 1
"""A vote score (a 32-bit integer column) in a cursor is at most this far from zero."""


class CursorError(ValueError):
    """A pagination cursor that this store did not make."""


def encode_cursor(sort: Sort, last: Comment) -> str:
    raw = f"{last.votes_up - last.votes_down}:{last.id}" if sort == "top" else last.id
    return base64.urlsafe_b64encode(f"{sort}:{raw}".encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[int | None, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CursorError("cursor is not one this API made") from None
    made_for, _, rest = text.partition(":")
    if made_for != sort:
        raise CursorError("cursor belongs to a different sort order")
    score, last_id = rest.rpartition(":")[::2] if sort == "top" else ("", rest)
    if not looks_like_id(last_id):
        raise CursorError("cursor is not one this API made")
    if sort != "top":
        return None, last_id
    digits = score.removeprefix("-")
    if not is_plain_int(digits) or len(digits) > 10 or int(digits) > MAX_SCORE:
        raise CursorError("cursor is not one this API made")
    return int(score), last_id
