"""Deterministic comment ids for imports: the source's date and a keyed digest of its id.

Same shape as `commentsvc.ids.new_id` (48-bit milliseconds + 80 bits, Crockford base32), so
imported comments sort by date among new ones, and the same source comment always gets the
same id: that is what makes an import idempotent.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from commentsvc.ids import ID_LENGTH

# Crockford's base32 digits (the alphabet of commentsvc.ids) in value order, and every pair
# of them: an id is 13 ten-bit groups, one table look-up each.
_DIGITS = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = [a + b for a in _DIGITS for b in _DIGITS]
_SHIFTS = tuple(range(5 * ID_LENGTH - 10, -1, -10))
_MS_MASK = (1 << 48) - 1


def import_id(created_at: datetime, source: str) -> str:
    ms = max(0, int(created_at.timestamp() * 1000)) & _MS_MASK
    digest = hashlib.blake2b(source.encode(), digest_size=10).digest()
    # 26 digits of 5 bits are 130 bits: two zero bits, then the 128-bit value.
    value = ms << 80 | int.from_bytes(digest, "big")
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in _SHIFTS])
