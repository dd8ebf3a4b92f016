"""The `commentsvc` command: its parser, `migrate`, `site`, `deadletters`, and `main`.

The CLI is the composition root and the only package that imports `workers`
(`cli.serve`); each other command group has its module (`moderators`, `people`,
`threads`, `transfer`, `webhooks`), logging is `cli.logs`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import orjson

from commentsvc.cli import moderators as cli_moderators
from commentsvc.cli import people as cli_people
from commentsvc.cli import threads as cli_threads
from commentsvc.cli import transfer as cli_transfer
from commentsvc.cli import webhooks as cli_webhooks
from commentsvc.cli.logs import setup_logging
from commentsvc.cli.serve import cmd_api, cmd_serve, cmd_worker, use_uvloop
from commentsvc.config import ConfigError, Settings, env_name, load_settings
from commentsvc.policy import Policy

log = logging.getLogger("commentsvc")

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


# ----- migrate / site / deadletters ---------------------------------------


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.store import Store

    store = Store.from_url(settings.resolved_database_url)
    try:
        revision = await store.migrate()
    finally:
        await store.close()
    print(f"database at revision {revision}")
    return 0


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


async def cmd_site(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.errors import Invalid
    from commentsvc.review.policies import save_policy
    from commentsvc.store import Store

    store = Store.from_url(settings.resolved_database_url)
    try:
        await store.migrate()
        if args.action == "list":
            for site in await store.sites.all():
                origins = ", ".join(site.allowed_origins) or "(same origin only)"
                print(f"{site.id}\t{site.name}\t{origins}")
            return 0
        if args.action == "add":
            if await store.sites.get(args.site) is not None:
                print(f"site {args.site!r} exists already", file=sys.stderr)
                return 1
            await store.sites.add(args.site, args.name or args.site, args.origin or [])
            print(f"added site {args.site}")
            return 0
        found = await store.sites.get(args.site)
        if found is None:
            print(f"no site {args.site!r}", file=sys.stderr)
            return 1
        site = found
        if args.action == "origins":
            await store.sites.update(args.site, allowed_origins=args.origin or [])
            print(
                f"site {args.site} allows: {', '.join(args.origin or []) or '(same origin only)'}"
            )
            return 0
        policy = Policy.from_json(site.policy)
        changes = {}
        for item in args.set or []:
            key, sep, value = item.partition("=")
            if not sep:
                print(f"--set wants KEY=VALUE, got {item!r}", file=sys.stderr)
                return 2
            changes[key.strip()] = _parse_value(value)
        stored = dict(site.policy)
        for key in args.unset or []:
            stored.pop(key, None)
        full = policy.to_json()
        if changes or args.unset:  # "set" merges, as PATCH does (docs/design-notes.md)
            try:
                full = await save_policy(store, args.site, {**stored, **changes})  # unset too
            except Invalid as exc:
                for error in exc.errors:
                    print(f"{error.field}: {error.message}", file=sys.stderr)
                return 2
        print(json.dumps(full, indent=2, sort_keys=True))
        return 0
    finally:
        await store.close()


async def cmd_deadletters(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.queue.deadletters import list_deadletters, replay_deadletters
    from commentsvc.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        if args.action == "list":
            letters = await list_deadletters(runtime.redis, count=args.count)
            for letter in letters:
                print(orjson.dumps(dataclasses.asdict(letter)).decode())
            if not letters:
                print("no dead letters", file=sys.stderr)
            return 0
        replayed = await replay_deadletters(runtime.redis, args.ids or None)
        print(f"replayed {replayed} job(s)")
        return 0


# ----- argument parsing ---------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commentsvc",
        description="A self-hosted comment service: the API, its workers and its admin commands.",
    )
    parser.add_argument("--config", type=Path, help="a TOML file of settings (env overrides it)")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, helptext in (
        ("serve", "the HTTP API and every worker (API processes one per CPU, workers in one more)"),
        ("api", "the HTTP API only (one process per CPU)"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host", help="address to bind (default 127.0.0.1)")
        p.add_argument("--port", type=int, help="port (default 8080)")
        p.add_argument(
            "--max-connections-per-ip",
            type=int,
            metavar="N",
            help="open connections one address may hold (default 64; 0: no limit)",
        )
        p.add_argument(
            "--header-timeout-s",
            type=float,
            metavar="S",
            help="seconds a request head may take to arrive (default 10; 0: no limit)",
        )
        p.add_argument(
            "--processes",
            type=int,
            metavar="N",
            help="API processes sharing the port (default: COMMENTSVC_PROCESSES, else one "
            + "per CPU; "
            + (
                "1: this process serves and runs the workers; with more, the workers run in "
                "one more process"
                if name == "serve"
                else "1: this process serves"
            )
            + "). /metrics sums every process's requests; the connection cap is per process",
        )
        p.add_argument("--child-role", choices=["api", "workers"], help=argparse.SUPPRESS)

    p = sub.add_parser("worker", help="run workers without the API")
    p.add_argument("kind", choices=["moderation", "notify", "desk", "all"])
    p.add_argument("--burst", action="store_true", help="drain the queue and exit")

    sub.add_parser("migrate", help="bring the database schema up to date (idempotent)")

    p = sub.add_parser("site", help="manage sites")
    site_sub = p.add_subparsers(dest="action", required=True)
    site_sub.add_parser("list", help="list sites")
    a = site_sub.add_parser("add", help="add a site")
    a.add_argument("site")
    a.add_argument("--name")
    a.add_argument("--origin", action="append", help="an origin allowed to embed (repeatable)")
    o = site_sub.add_parser("origins", help="set the origins allowed to embed a site")
    o.add_argument("site")
    o.add_argument("--origin", action="append")
    pol = site_sub.add_parser("policy", help="show a site's policy, or change it with --set")
    pol.add_argument("site")
    pol.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help='e.g. max_links=3; VALUE is JSON where it parses (lists: words_add=\'["a","b"]\'),'
        " else text (repeatable)",
    )
    pol.add_argument("--unset", action="append", metavar="KEY", help="back to the default")

    p = sub.add_parser("deadletters", help="jobs that failed too often")
    dl_sub = p.add_subparsers(dest="action", required=True)
    ls = dl_sub.add_parser("list", help="the dead letters, oldest first")
    ls.add_argument("--count", type=int, default=100)
    rp = dl_sub.add_parser("replay", help="put dead letters back on their queue")
    rp.add_argument("ids", nargs="*", help="dead-letter ids (default: all)")

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Other modules (moderators, notifications) add sub-commands here: (register, name → handler).
EXTRA_COMMANDS: list[Callable[[Any], None]] = [
    cli_moderators.register,
    cli_threads.register,
    cli_transfer.register,
    cli_people.register,
    cli_webhooks.register,
]
EXTRA_HANDLERS: dict[str, Command] = {
    "moderator": cli_moderators.cmd_moderator,
    "thread": cli_threads.cmd_thread,
    "import": cli_transfer.cmd_import,
    "export": cli_transfer.cmd_export,
    "person": cli_people.cmd_person,
    "webhook": cli_webhooks.cmd_webhook,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = dict(os.environ)
    if getattr(args, "host", None):
        env["COMMENTSVC_HOST"] = args.host
    for name in ("port", "max_connections_per_ip", "header_timeout_s"):
        if getattr(args, name, None) is not None:
            env[env_name(name)] = str(getattr(args, name))
    try:
        settings = load_settings(env, args.config)
    except ConfigError as exc:
        print(f"commentsvc: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings)
    args.child_env = env  # what `--processes N` hands its children
    if args.command == "serve":
        return cmd_serve(args, settings)
    if args.command == "api":
        return cmd_api(args, settings)
    commands: dict[str, Command] = {
        "worker": cmd_worker,
        "migrate": cmd_migrate,
        "site": cmd_site,
        "deadletters": cmd_deadletters,
        **EXTRA_HANDLERS,
    }
    use_uvloop()
    return asyncio.run(commands[args.command](args, settings))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
