"""`commentsvc webhook add|list|enable|disable|secret|deliveries|redeliver` (issue 14).

The same store methods as `/api/v1/sites/{site}/webhooks`: an endpoint made here is signed,
retried and disabled exactly like one made over HTTP. The signing secret is printed once,
by `add` (and again by `secret ID`, for whoever holds the installation's secret key).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from commentsvc.config import Settings

DISABLED_BY_CLI = "disabled from the command line"
MAX_ID = 2**31 - 1  # endpoint and delivery ids are 32-bit integers


def row_id(text: str) -> int:
    """An endpoint or delivery id as argparse reads one (a bigger one is no row's, and a
    DataError traceback on PostgreSQL)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id from 1 to {MAX_ID}")
    return value


def register(sub: Any) -> None:
    """Add the `webhook` command to the `commentsvc` parser."""
    from commentsvc.webhooks.events import EVENT_TYPES, FORMATS

    p = sub.add_parser("webhook", help="webhook endpoints of a site and their deliveries")
    actions = p.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", help="add an endpoint; prints its signing secret once")
    add.add_argument("site")
    add.add_argument("url", help="http(s) URL that receives signed POSTs")
    add.add_argument(
        "--event",
        action="append",
        choices=EVENT_TYPES,
        metavar="EVENT",
        help="an event to send (repeatable; default: all of " + ", ".join(EVENT_TYPES) + ")",
    )
    add.add_argument("--format", choices=FORMATS, default="json", help="json or slack")
    add.add_argument(
        "--allow-private",
        action="store_true",
        help="allow private and loopback addresses (a receiver on your own network)",
    )

    ls = actions.add_parser("list", help="list endpoints (every site, or one)")
    ls.add_argument("site", nargs="?")

    for action, helptext in (
        ("enable", "enable an endpoint again (its waiting deliveries go out)"),
        ("disable", "stop sending to an endpoint (deliveries wait, nothing is lost)"),
        ("secret", "print an endpoint's signing secret"),
    ):
        a = actions.add_parser(action, help=helptext)
        a.add_argument("id", type=row_id, help="the endpoint's id (see `webhook list`)")

    dl = actions.add_parser("deliveries", help="an endpoint's latest deliveries, newest first")
    dl.add_argument("id", type=row_id, help="the endpoint's id")
    dl.add_argument("--limit", type=int, default=50)

    rd = actions.add_parser("redeliver", help="queue deliveries again (failed or sent)")
    rd.add_argument("ids", type=row_id, nargs="+", metavar="DELIVERY_ID")


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else "-"


async def cmd_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from urllib.parse import urlsplit

    from commentsvc.clock import now_utc
    from commentsvc.security import Keys
    from commentsvc.store import Store
    from commentsvc.validation import is_site_id
    from commentsvc.webhooks import signing
    from commentsvc.webhooks.events import EVENT_TYPES
    from commentsvc.webhooks.guard import Refused, address_allowed, check_url, ip_literal

    def fail(message: str, code: int = 1) -> int:
        print(f"commentsvc webhook {args.action}: {message}", file=sys.stderr)
        return code

    store = Store.from_url(settings.resolved_database_url)
    try:
        await store.migrate()
        hooks = store.webhooks
        keys = Keys(settings.secret_key)
        if args.action == "add":
            url = args.url.strip()
            try:
                check_url(url)
            except Refused as exc:
                return fail(f"the URL {exc}", 2)
            host = ip_literal(urlsplit(url).hostname or "")
            if host is not None and not address_allowed(host, args.allow_private):
                print(
                    f"commentsvc webhook: note: {host} is not a public address; deliveries to it"
                    " are refused unless the endpoint is added with --allow-private",
                    file=sys.stderr,
                )
            if not is_site_id(args.site) or await store.sites.get(args.site) is None:
                return fail(f"no site {args.site!r}")
            events = list(dict.fromkeys(args.event or EVENT_TYPES))
            added = await hooks.add_endpoint(
                args.site,
                url,
                events,
                args.format,
                allow_private=args.allow_private,
                created_by="command line",
                now=now_utc(),
            )
            print(f"added webhook {added.id} on {added.site_id}: {added.url}")
            print(f"events: {', '.join(added.events)}")
            print("secret: " + signing.endpoint_secret(keys, added.id, added.secret_salt))
            print(
                "give the receiver this signing secret (`commentsvc webhook secret "
                f"{added.id}` prints it again; it changes with COMMENTSVC_SECRET_KEY)",
                file=sys.stderr,
            )
            return 0
        if args.action == "list":
            for e in await hooks.endpoints(args.site):
                state = "enabled" if e.enabled else f"disabled ({e.disabled_reason or '-'})"
                print(
                    f"{e.id}\t{e.site_id}\t{state}\t{e.format}\t{e.url}\t"
                    f"{','.join(e.events)}\tfailures={e.failures}"
                )
            return 0
        if args.action == "redeliver":
            missing = [i for i in args.ids if not await hooks.redeliver(i, now_utc())]
            done = len(args.ids) - len(missing)
            print(f"queued {done} deliver{'y' if done == 1 else 'ies'} again")
            return fail(f"no delivery {', '.join(map(str, missing))}") if missing else 0
        endpoint = await hooks.endpoint(args.id)
        if endpoint is None:
            return fail(f"no webhook endpoint {args.id}")
        if args.action == "enable":
            await hooks.enable(endpoint.id)
            print(f"webhook {endpoint.id} enabled; its waiting deliveries go out")
        elif args.action == "disable":
            await hooks.update_endpoint(
                endpoint.id, enabled=False, disabled_at=now_utc(), disabled_reason=DISABLED_BY_CLI
            )
            print(f"webhook {endpoint.id} disabled; its deliveries wait until it is enabled")
        elif args.action == "secret":
            print(signing.endpoint_secret(keys, endpoint.id, endpoint.secret_salt))
        else:  # deliveries
            for d in await hooks.deliveries(endpoint.id, max(1, min(args.limit, 1000))):
                print(
                    f"{d.id}\t{d.event}\t{d.event_key}\t{d.status}\tattempts={d.attempts}\t"
                    f"http={d.response_status or '-'}\t{_time(d.created_at)}\t"
                    f"{d.last_error or ''}"
                )
        return 0
    finally:
        await store.close()
