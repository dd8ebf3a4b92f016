"""scrypt password hashes."""

from __future__ import annotations

import pytest

from commentsvc.auth.passwords import (
    PasswordError,
    dummy_hash,
    hash_password,
    hash_password_sync,
    verify_password,
    verify_password_sync,
)


async def test_a_hash_verifies_its_password_only() -> None:
    stored = await hash_password("a long enough secret")
    assert stored.startswith("scrypt$32768$8$1$")
    assert "a long enough secret" not in stored
    assert await verify_password("a long enough secret", stored)
    assert not await verify_password("a long enough secreT", stored)
    assert not await verify_password("", stored)


def test_salts_differ() -> None:
    assert hash_password_sync("same password!") != hash_password_sync("same password!")


def test_malformed_or_foreign_hashes_never_match() -> None:
    good = hash_password_sync("the password 1")
    scheme, n, r, p, salt, key = good.split("$")
    for bad in (
        "",
        "plain",
        good.replace("scrypt", "bcrypt"),
        f"{scheme}$1$8$1${salt}${key}",  # a cost too small to be ours
        f"{scheme}${2**30}${r}${p}${salt}${key}",  # a cost too large to compute
        f"{scheme}${n}${r}${p}$!!!${key}",
    ):
        assert not verify_password_sync("the password 1", bad), bad


def test_password_rules() -> None:
    with pytest.raises(PasswordError):
        hash_password_sync("short")
    with pytest.raises(PasswordError):
        hash_password_sync("x" * 1025)
    stored = hash_password_sync("y" * 1024)
    assert verify_password_sync("y" * 1024, stored)
    assert not verify_password_sync("y" * 1025, stored)


def test_the_dummy_hash_matches_nothing() -> None:
    assert dummy_hash() == dummy_hash()
    assert not verify_password_sync("", dummy_hash())
    assert not verify_password_sync("password123", dummy_hash())
