"""Keyed hashes and signed tokens. Secrets never stored in clear."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from commentsvc.validation import is_plain_int


class Keys:
    """Purpose-bound keys derived from the one secret key."""

    def __init__(self, secret_key: str) -> None:
        if len(secret_key) < 32:
            raise ValueError("secret key must be at least 32 characters")
        self._root = secret_key.encode()

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self._root, b"commentsvc:" + purpose.encode(), hashlib.sha256).digest()

    def mac(self, purpose: str, message: str) -> str:
        """Hex HMAC-SHA256 of `message` under the key for `purpose`."""
        return hmac.new(self.derive(purpose), _utf8(message), hashlib.sha256).hexdigest()

    def ip_hash(self, ip: str) -> str:
        """A stable pseudonym for a client address: the raw IP is never stored."""
        return self.mac("ip", ip)[:32]

    def token_hash(self, token: str) -> str:
        """What is stored for an edit token, API token or session id."""
        return self.mac("token", token)

    def voter_hash(self, voter: str) -> str:
        return self.mac("voter", voter)[:32]

    def sign(self, purpose: str, payload: str, ttl_s: int | None = None) -> str:
        """A URL-safe token binding `payload` to `purpose`, optionally expiring."""
        expires = "" if ttl_s is None else str(int(time.time()) + ttl_s)
        body = f"{payload}.{expires}"
        sig = _b64(
            hmac.new(self.derive("sign:" + purpose), body.encode(), hashlib.sha256).digest()[:18]
        )
        return f"{body}.{sig}"

    def unsign(self, purpose: str, token: str) -> str | None:
        """The payload of a token `sign` made for this purpose; None if forged or expired."""
        payload, sep, rest = token.rpartition(".")
        if not sep:
            return None
        body_payload, sep2, expires = payload.rpartition(".")
        if not sep2:
            return None
        expected = _b64(
            hmac.new(self.derive("sign:" + purpose), _utf8(payload), hashlib.sha256).digest()[:18]
        )
        if not hmac.compare_digest(expected.encode(), _utf8(rest)):
            return None
        if expires and (not is_plain_int(expires) or int(expires) < time.time()):
            return None
        return body_payload


def new_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(_utf8(a), _utf8(b))


def _utf8(text: str) -> bytes:
    """UTF-8 that never raises: a header's undecodable bytes reach us as lone surrogates."""
    return text.encode("utf-8", "surrogatepass")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
