"""Signed links in emails: confirm a subscription, or unsubscribe.

A token is `Keys.sign` over a reference (`s<subscription id>` or `d<delivery
id>`) plus a short keyed check of what that row was made for, so a token
can't be moved to another purpose, another row, or a row that later took a
reused id. No email address appears in a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from commentsvc.security import Keys, same_hash
from commentsvc.store.deliveries import Delivery
from commentsvc.store.subscriptions import Subscription
from commentsvc.validation import is_plain_int

CONFIRM = "notify-confirm"
UNSUBSCRIBE = "notify-unsubscribe"
CONFIRM_TTL_S = 7 * 86_400
MAX_TOKEN_CHARS = 200
CHECK_CHARS = 16

RefKind = Literal["subscription", "delivery"]


@dataclass(frozen=True, slots=True)
class TokenRef:
    """What a valid token points at; `check` must match the row it names."""

    kind: RefKind
    id: int
    check: str


class Tokens:
    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    def _check(self, text: str) -> str:
        return self.keys.mac("notify-link", text)[:CHECK_CHARS]

    def subscription_check(self, sub: Subscription) -> str:
        return self._check(f"s:{sub.id}:{sub.thread_id}:{sub.kind.value}:{sub.email}")

    def delivery_check(self, delivery_id: int, recipient: str) -> str:
        return self._check(f"d:{delivery_id}:{recipient}")

    def confirm(self, sub: Subscription) -> str:
        """The link that confirms `sub`; it expires with the unconfirmed subscription."""
        return self.keys.sign(CONFIRM, f"s{sub.id}-{self.subscription_check(sub)}", CONFIRM_TTL_S)

    def unsubscribe(self, sub: Subscription) -> str:
        """The link that ends `sub` (and offers to stop all mail); it never expires."""
        return self.keys.sign(UNSUBSCRIBE, f"s{sub.id}-{self.subscription_check(sub)}")

    def unsubscribe_delivery(self, delivery_id: int, recipient: str) -> str:
        """For mail no subscription asked for (author and moderator notes): stop all mail."""
        return self.keys.sign(
            UNSUBSCRIBE, f"d{delivery_id}-{self.delivery_check(delivery_id, recipient)}"
        )

    def read(self, purpose: str, token: str) -> TokenRef | None:
        """The reference in a token signed for `purpose`; None if forged, altered or expired."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        payload = self.keys.unsign(purpose, token)
        if payload is None:
            return None
        ref, sep, check = payload.partition("-")
        if not sep or len(ref) < 2 or not is_plain_int(ref[1:]) or ref[0] not in "sd":
            return None
        kind: RefKind = "subscription" if ref[0] == "s" else "delivery"
        return TokenRef(kind, int(ref[1:]), check)

    def matches_subscription(self, ref: TokenRef, sub: Subscription) -> bool:
        return (
            ref.kind == "subscription"
            and ref.id == sub.id
            and same_hash(ref.check, self.subscription_check(sub))
        )

    def matches_delivery(self, ref: TokenRef, delivery: Delivery) -> bool:
        return (
            ref.kind == "delivery"
            and ref.id == delivery.id
            and same_hash(ref.check, self.delivery_check(delivery.id, delivery.recipient))
        )
