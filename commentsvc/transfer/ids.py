"""Deterministic comment ids for imports: the source's date and a keyed digest of its id.

Same shape as `commentsvc.ids.new_id` (48-bit milliseconds + 80 bits, Crockford base32), so
imported comments sort by date among new ones, and the same source comment always gets the
same id: that is what makes an import idempotent.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from commentsvc.ids import ID_LENGTH

# RFC 4648 base32 digits → Crockford's (the alphabet of commentsvc.ids), both in value order.
_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz"
)


def import_id(created_at: datetime, source: str) -> str:
    ms = max(0, int(created_at.timestamp() * 1000)) & ((1 << 48) - 1)
    digest = hashlib.blake2b(source.encode(), digest_size=10).digest()
    value = ms << 80 | int.from_bytes(digest, "big")
    # 26 digits of 5 bits are 130 bits: the 128-bit value, shifted into 17 bytes (136 bits).
    encoded = base64.b32encode((value << 6).to_bytes(17, "big"))[:ID_LENGTH]
    return encoded.translate(_CROCKFORD).decode()
