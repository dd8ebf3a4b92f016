"""`commentsvc import FORMAT FILE` and `commentsvc export`: the command-line side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from commentsvc.config import Settings

FORMATS = ("wordpress", "disqus", "isso", "remark42", "commentsvc")


def register(sub: Any) -> None:
    """Add `import` and `export` to the `commentsvc` parser."""
    p = sub.add_parser(
        "import",
        help="import comments from WordPress, Disqus, Isso, Remark42 or a commentsvc export",
        description="Import comments. Running the same import again adds nothing; an import "
        "that was stopped can be run again to finish. Imported comments keep their source's "
        "verdict (unless --moderate) and never cause an email.",
    )
    p.add_argument("format", choices=FORMATS)
    p.add_argument("file", type=Path)
    p.add_argument("--site", default=None, help="the site to import into (default: default)")
    p.add_argument(
        "--thread-key",
        choices=("path", "url", "id"),
        default="path",
        help="thread key from the article URL's path (default), the whole URL, or the source's id",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="read the file, print the summary, write nothing"
    )
    p.add_argument(
        "--moderate", action="store_true", help="run imported comments through moderation again"
    )
    p.add_argument("--batch-size", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="the summary as one JSON object")
    p.add_argument(
        "--progress", action="store_true", help="show the progress bar even off a terminal"
    )

    e = sub.add_parser(
        "export", help="export comments, threads, votes, subscriptions, bans and audit"
    )
    e.add_argument("--site", default=None, help="only this site")
    e.add_argument("--thread", default=None, help="only this thread key (needs --site)")
    e.add_argument("--output", "-o", type=Path, default=None, help="write here instead of stdout")


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.security import Keys
    from commentsvc.store import Store
    from commentsvc.store.transfer import TransferStore
    from commentsvc.transfer.importer import BATCH_SIZE, ImportEngine, Summary
    from commentsvc.transfer.progress import Progress
    from commentsvc.transfer.records import TransferError

    if args.batch_size is not None and args.batch_size < 1:
        print("commentsvc import: --batch-size must be at least 1", file=sys.stderr)
        return 2
    if not args.file.is_file():
        print(f"commentsvc import: no file {str(args.file)!r}", file=sys.stderr)
        return 2
    store = Store.from_url(settings.resolved_database_url)
    transfer = TransferStore(store.db)
    progress = Progress(f"import {args.format}", enabled=True if args.progress else None)
    summary: Summary
    try:
        await store.migrate()
        if args.format == "commentsvc":
            summary = await _import_native(args, transfer, progress)
        else:
            site = args.site or "default"
            if not await transfer.site_exists(site):
                print(
                    f"commentsvc import: no site {site!r} (add it with `commentsvc site add`)",
                    file=sys.stderr,
                )
                return 1
            reader, position, close = _reader(args)
            try:
                engine = ImportEngine(
                    transfer,
                    Keys(settings.secret_key),
                    site,
                    args.format,
                    dry_run=args.dry_run,
                    moderate=args.moderate,
                    batch_size=args.batch_size or BATCH_SIZE,
                    progress=progress,
                    position=position,
                )
                summary = await engine.run(reader)
            finally:
                close()
    except TransferError as exc:
        if progress.enabled:
            sys.stderr.write("\n")
        print(f"commentsvc import: {exc}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    if args.json:
        print(orjson.dumps(summary.to_json()).decode())
    else:
        print("\n".join(summary.lines()))
    return 0


def _reader(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from commentsvc.transfer.source import SourceFile

    if args.format == "isso":
        from commentsvc.transfer.isso import IssoReader

        isso = IssoReader(args.file, args.thread_key)
        return isso, isso.fraction, isso.close
    source = SourceFile(args.file)
    reader: Any
    if args.format == "wordpress":
        from commentsvc.transfer.wordpress import WordPressReader

        reader = WordPressReader(source, args.thread_key)
    elif args.format == "disqus":
        from commentsvc.transfer.disqus import DisqusReader

        reader = DisqusReader(source, args.thread_key)
    else:
        from commentsvc.transfer.remark42 import Remark42Reader

        reader = Remark42Reader(source, args.thread_key)
    return reader, source.fraction, source.close


async def _import_native(args: argparse.Namespace, transfer: Any, progress: Any) -> Any:
    from commentsvc.transfer.importer import BATCH_SIZE
    from commentsvc.transfer.native import NativeImporter
    from commentsvc.transfer.source import SourceFile

    source = SourceFile(args.file)
    try:
        importer = NativeImporter(
            transfer,
            source,
            site_filter=args.site,
            dry_run=args.dry_run,
            batch_size=args.batch_size or BATCH_SIZE,
            progress=progress,
        )
        return await importer.run()
    finally:
        source.close()


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.store import Store
    from commentsvc.store.transfer import TransferStore
    from commentsvc.transfer.native import export

    if args.thread and not args.site:
        print("commentsvc export: --thread needs --site", file=sys.stderr)
        return 2
    store = Store.from_url(settings.resolved_database_url)
    try:
        await store.migrate()
        transfer = TransferStore(store.db)
        if args.site and not await transfer.site_exists(args.site):
            print(f"commentsvc export: no site {args.site!r}", file=sys.stderr)
            return 1
        if args.output is not None:
            try:
                out = open(args.output, "wb")  # noqa: ASYNC230, SIM115 - a local file, written once
            except OSError as exc:
                print(
                    f"commentsvc export: cannot write {args.output}: {exc.strerror}",
                    file=sys.stderr,
                )
                return 1
            with out:
                counts = await export(transfer, out, args.site, args.thread)
        else:
            counts = await export(transfer, sys.stdout.buffer, args.site, args.thread)
    finally:
        await store.close()
    print(
        "exported " + ", ".join(f"{n} {k}(s)" for k, n in sorted(counts.items()))
        if counts
        else "exported nothing",
        file=sys.stderr,
    )
    return 0
