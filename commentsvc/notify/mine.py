"""The "My comments" email and its signed link: proof that its reader gets mail sent to the address.

A token is `Keys.sign` (purpose-bound, expiring) over a reference to the
`mine` delivery row the link was emailed in, plus a short keyed check of that
row's id and recipient, as `notify.tokens` does for subscriptions. No address
appears in a token; the row says which address the link is for, so erasing the
address (which deletes its deliveries) also ends every link to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commentsvc.notify.compose import Composer
from commentsvc.security import Keys, same_hash
from commentsvc.store.deliveries import Delivery, Template
from commentsvc.validation import is_plain_int

PURPOSE = "person-link"
LINK_TTL_S = 86_400
MAX_TOKEN_CHARS = 200
CHECK_CHARS = 16
TEMPLATE = Template.MINE  # the deliveries row (and email template) a link is sent in


@dataclass(frozen=True, slots=True)
class LinkRef:
    delivery_id: int
    check: str


class PersonLinks:
    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    def _check(self, delivery_id: int, recipient: str) -> str:
        return self.keys.mac(PURPOSE, f"m:{delivery_id}:{recipient}")[:CHECK_CHARS]

    def token(self, delivery: Delivery, ttl_s: int = LINK_TTL_S) -> str:
        """The token of the link emailed in `delivery`; it works for `ttl_s` seconds."""
        check = self._check(delivery.id, delivery.recipient)
        return self.keys.sign(PURPOSE, f"m{delivery.id}-{check}", ttl_s)

    def read(self, token: str) -> LinkRef | None:
        """What a token points at; None if forged, altered or expired."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        payload = self.keys.unsign(PURPOSE, token)
        if payload is None:
            return None
        ref, sep, check = payload.partition("-")
        if (
            not sep or not ref.startswith("m") or not is_plain_int(ref[1:]) or len(ref) > 10
        ):  # m + a 32-bit id
            return None
        return LinkRef(int(ref[1:]), check)

    def matches(self, ref: LinkRef, delivery: Delivery) -> bool:
        return (
            delivery.template == TEMPLATE
            and ref.delivery_id == delivery.id
            and same_hash(ref.check, self._check(delivery.id, delivery.recipient))
        )


def context(composer: Composer, links: PersonLinks, row: Delivery) -> dict[str, Any]:
    """What the `mine` email adds to the common context: the link, for the row's recipient
    only (`notify.messages` builds the email)."""
    return {
        "link_url": f"{composer.public_url}/m/{links.token(row)}",
        "expires_hours": LINK_TTL_S // 3600,
    }
