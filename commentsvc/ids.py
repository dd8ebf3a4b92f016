"""Opaque, time-sortable identifiers (48-bit milliseconds + 80 random bits, Crockford base32)."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 26


def new_id(now_ms: int | None = None) -> str:
    """A 26-character id; ids made later sort after ids made earlier."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(ID_LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def looks_like_id(text: str) -> bool:
    """Cheap shape check before touching the database."""
    return len(text) == ID_LENGTH and all(c in _ALPHABET for c in text)
