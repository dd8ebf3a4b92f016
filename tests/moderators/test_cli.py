"""`commentsvc moderator add|token|password|role|remove|list` as a real process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from commentsvc.clock import now_utc
from commentsvc.security import Keys
from commentsvc.store import Store
from commentsvc.store.moderators import TokenState
from tests.processes import run_cli, service_env
from tests.support import TEST_SECRET


async def _lookup(sqlite_url: str, token: str) -> tuple[str, str] | None:
    store = Store.from_url(sqlite_url)
    try:
        found = await store.moderators.use_token(Keys(TEST_SECRET).token_hash(token))
        if found is None or found.token.state(now_utc()) is not TokenState.ACTIVE:
            return None
        return (found.moderator.email, found.moderator.role)
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
    no_tty = run_cli(env, "moderator", "add", "a@example.org", input_text="")  # a script's stdin
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr
    assert "Traceback" not in no_tty.stderr
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
    assert "sessions are ended and 0 API token(s) revoked" in changed.stdout


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


def _add(env: dict[str, str], email: str, *extra: str) -> None:
    added = run_cli(
        env, "moderator", "add", email, *extra, "--password-stdin", input_text="a long passphrase\n"
    )
    assert added.returncode == 0, added.stderr


def _token(env: dict[str, str], email: str, *extra: str) -> tuple[str, str]:
    """A new token's secret, and the id `token list` knows it by."""
    made = run_cli(env, "moderator", "token", email, *extra)
    assert made.returncode == 0, made.stderr
    token_id = made.stderr.split("Token ", 1)[1].split(",", 1)[0]
    return made.stdout.strip(), token_id


def test_tokens_are_listed_and_revoked_from_the_command_line(
    tmp_path: Path, sqlite_url: str
) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    _add(env, "ops@example.org")
    _add(env, "other@example.org")
    ci, ci_id = _token(env, "ops@example.org", "--label", "ci deploys", "--expires-in", "30d")
    spare, spare_id = _token(env, "ops@example.org")
    _token(env, "other@example.org")

    listed = run_cli(env, "moderator", "token", "list", "ops@example.org")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [ci_id, spare_id]
    fields = lines[0].split("\t")
    assert fields[1:3] == ["ops@example.org", "ci deploys"]
    assert fields[3].startswith("created 20") and fields[4].startswith("expires 20")
    assert fields[5:] == ["never used", "active"]
    assert lines[1].split("\t")[4] == "never expires"
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("commentsvc.sqlite3*"))
    for secret in (ci, spare):  # never shown again, never stored
        assert secret not in listed.stdout and secret.encode() not in stored
    assert asyncio.run(_lookup(sqlite_url, ci)) is not None  # a lookup is a use...
    used = run_cli(env, "moderator", "token", "list", "ops@example.org").stdout.splitlines()[0]
    assert used.split("\t")[5].startswith("last used 20")  # ...and the listing shows it
    assert len(run_cli(env, "moderator", "token", "list").stdout.splitlines()) == 3

    revoked = run_cli(env, "moderator", "token", "revoke", "ops@example.org", ci_id)
    assert revoked.returncode == 0 and "revoked 1 API token(s)" in revoked.stdout
    assert asyncio.run(_lookup(sqlite_url, ci)) is None
    assert asyncio.run(_lookup(sqlite_url, spare)) == ("ops@example.org", "moderator")
    live = run_cli(env, "moderator", "token", "list", "ops@example.org").stdout
    assert [line.split("\t")[0] for line in live.splitlines()] == [spare_id]
    every = run_cli(env, "moderator", "token", "list", "ops@example.org", "--all").stdout
    assert [line.split("\t")[-1] for line in every.splitlines()] == ["revoked", "active"]

    again = run_cli(env, "moderator", "token", "revoke", "ops@example.org", ci_id)
    assert again.returncode == 1 and f"no live token {ci_id}" in again.stderr
    theirs = run_cli(env, "moderator", "token", "revoke", "other@example.org", spare_id)
    assert theirs.returncode == 1  # another moderator's token id is not theirs to revoke
    everything = run_cli(env, "moderator", "token", "revoke", "ops@example.org", "--all")
    assert everything.returncode == 0 and "revoked 1 API token(s)" in everything.stdout
    assert asyncio.run(_lookup(sqlite_url, spare)) is None
    none_left = run_cli(env, "moderator", "token", "list", "ops@example.org")
    assert none_left.stdout == "" and "no API tokens" in none_left.stderr


def test_bad_token_commands_are_usage_errors(tmp_path: Path, sqlite_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    _add(env, "ops@example.org")
    for args, says in (
        (("ops@example.org", "--expires-in", "soon"), "number and a unit"),
        (("ops@example.org", "--expires-in", "0d"), "number and a unit"),
        (("ops@example.org", "--expires-in", "99999w"), "number and a unit"),
        (("ops@example.org", "extra@example.org"), "one EMAIL"),
        (("list", "--expires-in", "1d"), "for making a token"),
        (("revoke", "ops@example.org"), "token ids or --all"),
        (("revoke", "ops@example.org", "1", "--all"), "token ids or --all"),
        (("revoke", "ops@example.org", "first"), "ids are numbers"),
        (("revoke",), "needs the moderator's EMAIL"),
    ):
        run = run_cli(env, "moderator", "token", *args)
        assert run.returncode == 2 and says in run.stderr, (args, run.stderr)
    tab = run_cli(env, "moderator", "token", "ops@example.org", "--label", "a\tb")
    assert tab.returncode == 1 and "tabs" in tab.stderr
    assert run_cli(env, "moderator", "token", "list").stdout == ""  # nothing was made
    ok = run_cli(env, "moderator", "token", "ops@example.org", "--expires-in", "12h")
    assert ok.returncode == 0 and "expires: 20" in ok.stderr


def test_a_demotion_or_removal_revokes_tokens_from_the_command_line(
    tmp_path: Path, sqlite_url: str
) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    _add(env, "boss@example.org", "--role", "admin")
    token, _ = _token(env, "boss@example.org")

    promoted = run_cli(env, "moderator", "role", "boss@example.org", "admin", "--site", "*")
    assert promoted.returncode == 0 and "demotion" not in promoted.stdout
    assert asyncio.run(_lookup(sqlite_url, token)) == ("boss@example.org", "admin")

    demoted = run_cli(env, "moderator", "role", "boss@example.org", "moderator")
    assert demoted.returncode == 0, demoted.stderr
    assert "now moderator for sites: *" in demoted.stdout
    assert "1 API token(s) revoked" in demoted.stdout
    assert asyncio.run(_lookup(sqlite_url, token)) is None
    assert "boss@example.org\tmoderator\t*" in run_cli(env, "moderator", "list").stdout

    second, _ = _token(env, "boss@example.org")
    removed = run_cli(env, "moderator", "remove", "boss@example.org")
    assert removed.returncode == 0 and "no longer work" in removed.stdout
    assert asyncio.run(_lookup(sqlite_url, second)) is None
    assert "boss@example.org" not in run_cli(env, "moderator", "list").stdout
    missing = run_cli(env, "moderator", "remove", "boss@example.org")
    assert missing.returncode == 1 and "no moderator" in missing.stderr


def test_a_password_change_revokes_tokens_from_the_command_line(
    tmp_path: Path, sqlite_url: str
) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    _add(env, "rotate@example.org")
    token, _ = _token(env, "rotate@example.org")
    changed = run_cli(
        env,
        "moderator",
        "password",
        "rotate@example.org",
        "--password-stdin",
        input_text="a newer passphrase\n",
    )
    assert changed.returncode == 0, changed.stderr
    assert "1 API token(s) revoked" in changed.stdout
    assert asyncio.run(_lookup(sqlite_url, token)) is None
