"""`commentsvc moderator token …`: make, list and revoke moderators' API tokens.

`moderator token EMAIL` (the form API.md names) makes a token, so `list` and
`revoke` are words of the same command rather than argparse sub-commands
(those would take every EMAIL for an unknown sub-command).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the store and auth packages load only when a command runs
    from commentsvc.auth import Accounts
    from commentsvc.store.moderators import TokenRecord

USAGE = """
  commentsvc moderator token EMAIL [--expires-in DURATION] [--label TEXT]
  commentsvc moderator token list [EMAIL] [--all]
  commentsvc moderator token revoke EMAIL (ID [ID ...] | --all)"""

DESCRIPTION = """\
EMAIL alone makes a new API token for that moderator and prints it once: only
its keyed hash is stored. Send it as `Authorization: Bearer <token>`.
--expires-in gives it a lifetime (90m, 12h, 30d, 2w; default: no expiry).

`list` shows live tokens (of EMAIL, or of everyone) with their id, label,
creation, expiry and last use (accurate to a minute), never the token itself;
--all adds revoked and expired ones. `revoke` ends tokens by id, or with
--all every token of EMAIL; a revoked token answers 401 from the next request.

A new password (`moderator password`), a demotion (`moderator role`) and
`moderator remove` revoke all of the moderator's tokens as well."""


def _lifetime(text: str) -> timedelta:
    from commentsvc.auth.tokens import parse_expires_in
    from commentsvc.errors import Invalid

    try:
        return parse_expires_in(text)
    except Invalid as exc:
        raise argparse.ArgumentTypeError(exc.errors[0].message) from None


def add_parser(actions: Any) -> None:
    """Add `token` to the `moderator` command's actions."""
    token = actions.add_parser(
        "token",
        help="make, list or revoke API tokens (a new one is printed once, stored hashed)",
        usage=USAGE,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    token.add_argument("words", nargs="+", metavar="EMAIL | list [EMAIL] | revoke EMAIL ID")
    token.add_argument(
        "--expires-in",
        type=_lifetime,
        metavar="DURATION",
        help="a new token's lifetime: 90m, 12h, 30d or 2w (default: it never expires)",
    )
    token.add_argument(
        "--label", default="", metavar="TEXT", help="a new token's purpose, shown by `list`"
    )
    token.add_argument(
        "--all",
        action="store_true",
        help="list: also revoked and expired tokens; revoke: every token of EMAIL",
    )


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """What `moderator token …` asked for, checked before the database is opened."""

    action: str  # "new", "list" or "revoke"
    email: str | None
    ids: tuple[int, ...] | None  # revoke: None means --all


def token_request(args: argparse.Namespace) -> TokenRequest:
    """The request the words and options spell; ValueError says what is wrong."""
    first, rest = args.words[0], args.words[1:]
    new_only = args.expires_in is not None or args.label
    if first not in ("list", "revoke"):
        if rest:
            raise ValueError(f"one EMAIL to make a token for, not {len(args.words)} words")
        if args.all:
            raise ValueError("--all goes with `list` or `revoke`")
        return TokenRequest("new", first, None)
    if new_only:
        raise ValueError("--expires-in and --label are for making a token")
    if first == "list":
        if len(rest) > 1:
            raise ValueError("`list` takes at most one EMAIL")
        return TokenRequest("list", rest[0] if rest else None, None)
    if not rest:
        raise ValueError("`revoke` needs the moderator's EMAIL")
    email, id_words = rest[0], rest[1:]
    if args.all == bool(id_words):
        raise ValueError("`revoke EMAIL` takes token ids or --all (not both)")
    if not all(w.isascii() and w.isdigit() and len(w) <= 12 for w in id_words):
        raise ValueError("token ids are numbers, as `token list` shows them")
    return TokenRequest("revoke", email, None if args.all else tuple(int(w) for w in id_words))


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%MZ")


def token_line(token: TokenRecord, now: datetime) -> str:
    """One tab-separated line of `token list`; every field says what it is."""
    return "\t".join(
        (
            str(token.id),
            token.email,
            token.label or "(no label)",
            f"created {_when(token.created_at)}",
            f"expires {_when(token.expires_at)}" if token.expires_at else "never expires",
            f"last used {_when(token.last_used_at)}" if token.last_used_at else "never used",
            token.state(now).value,
        )
    )


async def run(request: TokenRequest, accounts: Accounts, args: argparse.Namespace) -> int:
    """Carry out a checked request; ServiceErrors (404, 422) go to the caller."""
    from commentsvc.clock import now_utc

    if request.action == "list":
        now = now_utc()
        found = await accounts.tokens(request.email, include_inactive=args.all)
        for token in found:
            print(token_line(token, now))
        if not found:
            print("no API tokens", file=sys.stderr)
        return 0
    email = request.email
    if email is None:  # pragma: no cover - token_request names one for these
        raise ValueError("an EMAIL is needed")
    if request.action == "revoke":
        count = await accounts.revoke_tokens(email, request.ids)
        print(f"revoked {count} API token(s) of {email}")
        return 0
    issued = await accounts.create_token(email, expires_in=args.expires_in, label=args.label)
    print(issued.secret)
    expiry = _when(issued.expires_at) if issued.expires_at else "never"
    print(
        f"Token {issued.id}, expires: {expiry}. Keep it safe: it is shown only now. "
        "Send it as `Authorization: Bearer <token>`.",
        file=sys.stderr,
    )
    return 0
