"""The reporter's links: confirm the address (expires), and stop all mail (never expires).

A token is `Keys.sign` (purpose-bound) over the report's id and a short keyed check
of its id, address and date, so an erased address (the report keeps no address)
ends every link to it and no address appears in a token.
"""

from __future__ import annotations

from commentsvc.security import Keys
from commentsvc.store.corrections import Correction

CONFIRM = "correction-confirm"
STOP = "correction-stop"
CONFIRM_TTL_S = 7 * 86_400
MAX_TOKEN_CHARS = 200


def check(keys: Keys, c: Correction) -> str:
    return keys.mac("correction-link", f"{c.id}:{c.reporter_email}:{c.created_at}")[:16]


def link(keys: Keys, public_url: str, purpose: str, c: Correction) -> str:
    ttl_s = CONFIRM_TTL_S if purpose == CONFIRM else None
    token = keys.sign(purpose, f"{c.id}-{check(keys, c)}", ttl_s)
    return f"{public_url.rstrip('/')}/c/{token}"
