"""`commentsvc serve`, `api` and `worker`: the web app (with or without the background
workers, in one process or several) and each worker on its own. The CLI is the only
package that imports `workers`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Awaitable

from commentsvc.config import Settings


def use_uvloop() -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def _run_web(
    settings: Settings, *, with_workers: bool, role: str | None = None, child: bool = False
) -> int:
    from commentsvc.web.accesslog import BUFFER as ACCESS_LOG
    from commentsvc.web.accesslog import JsonRequestLog, RequestLog
    from commentsvc.web.app import create_app
    from commentsvc.web.serve import run_background, serve

    background = []
    if with_workers:
        from workers.background import all_workers

        background = all_workers()
    app = create_app(settings, background=background, migrate=with_workers and not child)
    use_uvloop()
    if role == "workers":  # the workers' child of `serve --processes N`: no HTTP
        asyncio.run(run_background(app))
        return 0
    access_log_class = JsonRequestLog if settings.log_format == "json" else RequestLog
    banner = _banner(settings)
    asyncio.run(serve(app, settings, access_log_class=access_log_class, banner=banner, child=child))
    ACCESS_LOG.flush()
    return 0


def _banner(settings: Settings) -> str:
    url = settings.resolved_public_url
    return (
        f"commentsvc serving on http://{settings.host}:{settings.port}\n"
        f"  demo article:  {url}/demo\n  moderation:    {url}/moderate\n"
        f"  data dir:      {settings.data_dir.resolve()}"
    )


def _run_processes(args: argparse.Namespace, settings: Settings, *, with_workers: bool) -> int:
    """`--processes N`: one process (as before) for N = 1, else a parent and its children."""
    from commentsvc.web.supervisor import (
        ROLE_WORKERS,
        PortInUse,
        check_port_free,
        default_processes,
        supervise,
    )

    if args.child_role:  # started by the parent below
        return _run_web(
            settings,
            with_workers=args.child_role == ROLE_WORKERS,
            role=args.child_role,
            child=True,
        )
    processes = args.processes if args.processes is not None else settings.processes
    if processes == 0:  # `--processes 0` (or COMMENTSVC_PROCESSES=0): one per CPU, the default
        processes = default_processes()
    if processes < 1:
        print("commentsvc: --processes must be 0 (one per CPU) or more", file=sys.stderr)
        return 2
    if processes == 1:
        return _run_web(settings, with_workers=with_workers)
    use_uvloop()
    try:
        check_port_free(settings.host, settings.port)
    except PortInUse as exc:
        print(f"commentsvc: {exc}", file=sys.stderr)
        return 1
    return asyncio.run(
        supervise(
            settings,
            args.child_env,
            command=args.command,
            processes=processes,
            with_workers=with_workers,
            config=args.config,
            banner=_banner(settings),
        )
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    return _run_processes(args, settings, with_workers=True)


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    return _run_processes(args, settings, with_workers=False)


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from commentsvc.runtime import open_runtime
    from commentsvc.store.schema_watch import SchemaWatch
    from workers.desk import run_desk, run_desk_once
    from workers.moderation import build_pipeline, run_moderation
    from workers.notifier import run_notifier
    from workers.sweeper import Sweeper

    pipeline = build_pipeline() if args.kind in ("moderation", "all") else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    moderate = args.kind in ("moderation", "all")
    notify = args.kind in ("notify", "all")
    desk = args.kind in ("desk", "all")  # issue 14: auto-close and webhooks
    async with open_runtime(settings, migrate=False) as runtime:
        if args.burst:
            schema = SchemaWatch(runtime.store.db, "nothing was run")
            if await schema.problem() is not None:
                return 1
        elif not await SchemaWatch(runtime.store.db, "the workers wait for it").wait_ready(stop):
            return 0
        gc.collect()
        gc.freeze()  # long-lived start-up objects stay out of every later collection
        if args.burst:  # in order: what moderation approves, the notifier sends
            if moderate:
                await run_moderation(runtime, burst=True, pipeline=pipeline)
            if desk:  # before the notifier: it sends the admins' alerts the desk queues
                await run_desk_once(runtime)
            if notify:
                await run_notifier(runtime, burst=True)
            return 0
        tasks: list[Awaitable[object]] = [Sweeper(runtime, notify=notify).run(stop)]
        if moderate:
            tasks.append(run_moderation(runtime, stop=stop, pipeline=pipeline))
        if notify:
            tasks.append(run_notifier(runtime, stop=stop))
        if desk:
            tasks.append(run_desk(runtime, stop=stop))
        await asyncio.gather(*tasks)
    return 0
