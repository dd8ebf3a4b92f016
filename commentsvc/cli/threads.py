"""`commentsvc thread close|open SITE KEY`: stop or allow new comments on one article."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from commentsvc.config import Settings


def register(sub: Any) -> None:
    """Add the `thread` command to the `commentsvc` parser."""
    p = sub.add_parser("thread", help="close a thread to new comments, or open it again")
    actions = p.add_subparsers(dest="action", required=True)
    for action, helptext in (
        ("close", "refuse new comments and replies (readers see the thread is closed)"),
        ("open", "accept comments again"),
    ):
        a = actions.add_parser(action, help=helptext)
        a.add_argument("site")
        a.add_argument("key", help="the article's thread key, as the widget sends it")


async def cmd_thread(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.runtime import open_runtime

    async with open_runtime(settings, migrate=False) as runtime:
        closed = args.action == "close"
        thread = await runtime.service.set_thread_closed(args.site, args.key, closed)
        if thread is None:
            print(f"no thread {args.key!r} on site {args.site!r}", file=sys.stderr)
            return 1
        print(f"thread {args.site}/{args.key} is {'closed' if closed else 'open'}")
        return 0
