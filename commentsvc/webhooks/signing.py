"""Signing webhook deliveries: HMAC-SHA256 over the timestamp and the body.

Each endpoint has its own secret, ``whsec_`` and 43 URL-safe characters, derived from the
installation's secret key and a random salt kept on the endpoint row, so it can sign
without being stored (changing COMMENTSVC_SECRET_KEY changes every endpoint's secret).
It is shown once, when the endpoint is made (or by `commentsvc webhook secret ID`).

Every request carries::

    X-Commentsvc-Timestamp: 1767225600          (Unix seconds)
    X-Commentsvc-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>

To verify: recompute the HMAC over the timestamp header, a full stop and the raw body
bytes with the secret, compare it with `compare_digest`, and refuse a timestamp more than
five minutes from your clock (a replay). `verify` below does exactly that.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from commentsvc.security import Keys

TIMESTAMP_HEADER = "X-Commentsvc-Timestamp"
SIGNATURE_HEADER = "X-Commentsvc-Signature"
EVENT_HEADER = "X-Commentsvc-Event"
DELIVERY_HEADER = "X-Commentsvc-Delivery"
TOLERANCE_S = 300


def endpoint_secret(keys: Keys, endpoint_id: int, salt: str) -> str:
    raw = hmac.new(
        keys.derive("webhook-secret"), f"{endpoint_id}:{salt}".encode(), hashlib.sha256
    ).digest()
    return "whsec_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """The receiver's check: a signature made with `secret`, over this body, recently."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        return False
    expected = signature(secret, int(timestamp), body)
    return hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace"))
