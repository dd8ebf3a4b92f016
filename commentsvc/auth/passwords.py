"""Password hashes with scrypt (hashlib): salted, memory-hard, parameters kept in the hash.

A stored hash reads `scrypt$N$r$p$salt$key` (salt and key base64), so the cost
can be raised later without invalidating old hashes. Verification compares in
constant time and runs in a thread so a login never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
COST_N = 2**15
BLOCK_R = 8
PARALLEL_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MAX_N = 2**20
MAX_PASSWORD_CHARS = 1024
MIN_PASSWORD_CHARS = 10


class PasswordError(ValueError):
    """A new password breaks a rule (the message says which)."""


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordError(f"a password may have at most {MAX_PASSWORD_CHARS} characters")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=KEY_BYTES,
        maxmem=256 * n * r + 1024 * 1024,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password_sync(password: str) -> str:
    """A new salted hash of `password` (blocking: about 0.1 s of CPU)."""
    check_new_password(password)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, COST_N, BLOCK_R, PARALLEL_P)
    return f"{SCHEME}${COST_N}${BLOCK_R}${PARALLEL_P}${_b64(salt)}${_b64(key)}"


def verify_password_sync(password: str, stored: str) -> bool:
    """True when `password` matches `stored`; a malformed hash never matches."""
    try:
        scheme, n_text, r_text, p_text, salt_text, key_text = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = _unb64(salt_text), _unb64(key_text)
    except ValueError:
        return False
    if scheme != SCHEME or not (2 <= n <= MAX_N and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    if len(password) > MAX_PASSWORD_CHARS:
        password = password[:MAX_PASSWORD_CHARS] + "\x00"  # same work, never a match
    actual = _derive(password, salt, n, r, p)
    return hmac.compare_digest(actual, expected)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password: str, stored: str) -> bool:
    return await asyncio.to_thread(verify_password_sync, password, stored)


@functools.cache
def dummy_hash() -> str:
    """A hash no password matches, checked when an email is unknown so timing tells nothing."""
    return hash_password_sync(secrets.token_urlsafe(32))
