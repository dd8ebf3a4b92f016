"""`commentsvc person export|erase EMAIL`: a reader's data rights, for the site's admin.

`export` prints (or writes to `--output`) the JSON document a reader downloads
from their "My comments" page. `erase` needs `--yes`; without it, it shows what
would be erased and changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from commentsvc.config import Settings
from commentsvc.errors import Invalid
from commentsvc.validation import Fields

ACTOR = "command line"  # how the audit log names an erasure from here


def register(sub: Any) -> None:
    """Add the `person` command to the `commentsvc` parser."""
    p = sub.add_parser("person", help="everything held under one email address: export or erase")
    actions = p.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="print everything held under an address as JSON")
    export.add_argument("email")
    export.add_argument("--output", type=Path, help="write the JSON to this file instead")
    erase = actions.add_parser(
        "erase", help="erase an address everywhere (comments as each site's erase_comments says)"
    )
    erase.add_argument("email")
    erase.add_argument("--yes", action="store_true", help="really erase (it can't be undone)")


def _address(raw: str) -> str | None:
    f = Fields({"email": raw})
    email = f.email("email", required=True)
    try:
        f.done()
    except Invalid:
        return None
    return email


async def cmd_person(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.rights.service import PeopleService
    from commentsvc.runtime import open_runtime

    email = _address(args.email)
    if email is None:
        print(f"not an email address: {args.email!r}", file=sys.stderr)
        return 2
    async with open_runtime(settings, migrate=False) as runtime:
        people = PeopleService(runtime.service, runtime.store, runtime.keys, runtime.limiter)
        document = await people.export(email)
        if args.action == "export":
            data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
            if args.output is not None:
                try:
                    _write_private(args.output, data)
                except OSError as exc:
                    print(f"cannot write {args.output}: {exc.strerror}", file=sys.stderr)
                    return 1
                print(f"wrote {args.output}", file=sys.stderr)
            else:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            return 0
        held = (
            f"{len(document['comments'])} comment(s), "
            f"{len(document['subscriptions'])} subscription(s), "
            f"{len(document['emails'])} email record(s)"
        )
        if not args.yes:
            print(f"would erase {held}; nothing changed (add --yes to erase)", file=sys.stderr)
            return 1
        done = await people.erase(email, ACTOR)
        counts = done.to_json()
        print(
            "erased: "
            f"{counts['comments_deleted']} comment(s) deleted, "
            f"{counts['comments_anonymised']} anonymised, "
            f"{counts['subscriptions']} subscription(s), "
            f"{counts['emails']} email record(s), {counts['suppressions']} suppression(s)"
        )
        return 0


def _write_private(path: Path, data: bytes) -> None:
    """Write a person's data readable by its owner only (0600), whatever the umask; a file
    that is there already is replaced and gets the same mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(data)
