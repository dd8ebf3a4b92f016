"""`commentsvc moderator …`: moderator accounts and API tokens from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from commentsvc.cli import tokens as cli_tokens
from commentsvc.config import Settings


def register(sub: Any) -> None:
    """Add the `moderator` command to the `commentsvc` parser."""
    p = sub.add_parser("moderator", help="moderator accounts and API tokens")
    actions = p.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", help="add a moderator (asks for a password)")
    add.add_argument("email")
    add.add_argument("--role", choices=["moderator", "admin"], default="moderator")
    add.add_argument(
        "--site",
        action="extend",
        nargs="+",
        metavar="S",
        help="sites they moderate, one or more (default: every site); put it after the email",
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    pw = actions.add_parser(
        "password", help="set a moderator's password (ends their sessions and API tokens)"
    )
    pw.add_argument("email")
    pw.add_argument("--password-stdin", action="store_true")

    cli_tokens.add_parser(actions)

    role = actions.add_parser(
        "role",
        help="change a moderator's role (and sites); a demotion ends their sessions and tokens",
    )
    role.add_argument("email")
    role.add_argument("role", choices=["moderator", "admin"])
    role.add_argument(
        "--site",
        action="extend",
        nargs="+",
        metavar="S",
        help="the sites they moderate from now on (`*`: every site; default: unchanged)",
    )

    remove = actions.add_parser("remove", help="remove a moderator, their sessions and API tokens")
    remove.add_argument("email")

    actions.add_parser("list", help="list moderators")

    alerts = actions.add_parser(
        "alerts", help="email them about newly held comments (at most every 10 minutes)"
    )
    alerts.add_argument("email")
    alerts.add_argument("state", choices=["on", "off"])


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for a password on: pipe it in with --password-stdin")
    try:
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
    except EOFError:
        raise ValueError("no password given (end of input)") from None
    return first


async def cmd_moderator(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.auth import Accounts
    from commentsvc.auth.accounts import normalize_email
    from commentsvc.auth.passwords import PasswordError
    from commentsvc.errors import ServiceError
    from commentsvc.security import Keys
    from commentsvc.store import Store

    token_request = None
    if args.action == "token":
        try:
            token_request = cli_tokens.token_request(args)
        except ValueError as exc:
            print(f"commentsvc moderator token: {exc}\nusage:{cli_tokens.USAGE}", file=sys.stderr)
            return 2
    store = Store.from_url(settings.resolved_database_url)
    try:
        await store.migrate()
        accounts = Accounts(store, Keys(settings.secret_key))
        if token_request is not None:
            return await cli_tokens.run(token_request, accounts, args)
        if args.action == "list":
            for m in await store.moderators.all():
                alerts = "alerts on" if m.notify_pending else "alerts off"
                print(f"{m.email}\t{m.role}\t{', '.join(m.sites)}\t{alerts}")
            return 0
        if args.action == "alerts":
            found = await store.moderators.by_email(normalize_email(args.email))
            if found is None:
                print(f"commentsvc moderator: no moderator {args.email}", file=sys.stderr)
                return 1
            await store.moderators.update(found.id, notify_pending=args.state == "on")
            print(f"pending-comment alerts {args.state} for {found.email}")
            return 0
        if args.action == "role":
            change = await accounts.set_role(args.email, args.role, args.site)
            print(f"{change.email} is now {change.role} for sites: {', '.join(change.sites)}")
            if change.demoted:
                print(
                    f"a demotion: their sessions are ended and {change.tokens_revoked} "
                    "API token(s) revoked"
                )
            return 0
        if args.action == "remove":
            await accounts.remove_moderator(args.email)
            print(f"removed {args.email}; their sessions and API tokens no longer work")
            return 0
        password = _read_password(args)
        if args.action == "add":
            record = await accounts.add_moderator(args.email, password, args.role, args.site or ())
            print(f"added {record.role} {record.email} for sites: {', '.join(record.sites)}")
        else:
            revoked = await accounts.set_password(args.email, password)
            print(
                f"password changed for {args.email}; their sessions are ended "
                f"and {revoked} API token(s) revoked"
            )
        return 0
    except (PasswordError, ValueError) as exc:
        print(f"commentsvc moderator: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:
        print(f"commentsvc moderator: {exc.detail}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error.field}: {error.message}", file=sys.stderr)
        return 1
    finally:
        await store.close()
