"""Opaque, time-sortable identifiers (48-bit milliseconds + 80 random bits, Crockford base32)."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 26


_last = [0, 0]  # (milliseconds, random part) of the newest id made by this process


def new_id(now_ms: int | None = None) -> str:
    """A 26-character id; in one process, every id sorts after the ones made before it."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    if ms <= _last[0]:  # same millisecond (or the clock stepped back): count up
        ms, rand = _last[0], _last[1] + 1
    else:
        rand = secrets.randbits(79)  # top bit clear leaves room to count up
    _last[0], _last[1] = ms, rand
    value = (ms & ((1 << 48) - 1)) << 80 | (rand & ((1 << 80) - 1))
    chars = []
    for _ in range(ID_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def looks_like_id(text: str) -> bool:
    """Cheap shape check before touching the database."""
    return len(text) == ID_LENGTH and all(c in _ALPHABET for c in text)
