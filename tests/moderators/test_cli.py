"""`commentsvc moderator add|token|password|list` as a real process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from commentsvc.security import Keys
from commentsvc.store import Store
from tests.processes import run_cli, service_env
from tests.support import TEST_SECRET


async def _lookup(sqlite_url: str, token: str) -> tuple[str, str] | None:
    store = Store.from_url(sqlite_url)
    try:
        record = await store.moderators.by_token(Keys(TEST_SECRET).token_hash(token))
        return (record.email, record.role) if record else None
    finally:
        await store.close()


def test_add_a_moderator_and_print_a_token_once(tmp_path: Path, sqlite_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    added = run_cli(
        env,
        "moderator",
        "add",
        "Chief@Example.org",
        "--role",
        "admin",
        "--site",
        "default",
        "sport",
        "--password-stdin",
        input_text="a strong passphrase\n",
    )
    assert added.returncode == 0, added.stderr
    assert "admin chief@example.org" in added.stdout and "default, sport" in added.stdout

    again = run_cli(
        env,
        "moderator",
        "add",
        "chief@example.org",
        "--password-stdin",
        input_text="another passphrase\n",
    )
    assert again.returncode == 1 and "exists already" in again.stderr

    token_run = run_cli(env, "moderator", "token", "chief@example.org")
    assert token_run.returncode == 0, token_run.stderr
    token = token_run.stdout.strip()
    assert token.startswith("cmod_") and len(token) > 40
    assert "shown only now" in token_run.stderr
    assert asyncio.run(_lookup(sqlite_url, token)) == ("chief@example.org", "admin")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("commentsvc.sqlite3*"))
    assert stored and token.encode() not in stored

    listed = run_cli(env, "moderator", "list")
    assert listed.returncode == 0 and "chief@example.org\tadmin\tdefault, sport" in listed.stdout


def test_bad_input_is_a_clear_error(tmp_path: Path, sqlite_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    short = run_cli(
        env, "moderator", "add", "a@example.org", "--password-stdin", input_text="short\n"
    )
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    bad_email = run_cli(
        env, "moderator", "add", "not-an-email", "--password-stdin", input_text="long enough pass\n"
    )
    assert bad_email.returncode == 1 and "email" in bad_email.stderr
    bad_role = run_cli(env, "moderator", "add", "a@example.org", "--role", "king")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
    nobody = run_cli(env, "moderator", "token", "nobody@example.org")
    assert nobody.returncode == 1 and "no moderator" in nobody.stderr


def test_everyone_moderator_by_default_and_password_change(tmp_path: Path, sqlite_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    added = run_cli(
        env,
        "moderator",
        "add",
        "helper@example.org",
        "--password-stdin",
        input_text="first passphrase\n",
    )
    assert added.returncode == 0 and "for sites: *" in added.stdout
    changed = run_cli(
        env,
        "moderator",
        "password",
        "helper@example.org",
        "--password-stdin",
        input_text="second passphrase\n",
    )
    assert changed.returncode == 0, changed.stderr


def test_pending_alerts_are_switched_per_moderator(tmp_path: Path, sqlite_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    run_cli(
        env,
        "moderator",
        "add",
        "Night@Example.org",
        "--password-stdin",
        input_text="a long passphrase\n",
    )
    on = run_cli(env, "moderator", "alerts", "night@example.org", "on")
    assert on.returncode == 0, on.stderr
    assert "night@example.org\tmoderator\t*\talerts on" in run_cli(env, "moderator", "list").stdout
    off = run_cli(env, "moderator", "alerts", "night@example.org", "off")
    assert off.returncode == 0
    assert "alerts off" in run_cli(env, "moderator", "list").stdout
    missing = run_cli(env, "moderator", "alerts", "nobody@example.org", "on")
    assert missing.returncode == 1 and "no moderator" in missing.stderr
