"""Post → decision latency under load (issue 15, target 3): how long a comment waits to be
moderated after its POST, at a steady rate and after a burst at full speed.

    .venv/bin/python benchmarks/decision_latency.py [--rates 50,500] [--steady-s 10]
        [--burst-s 20] [--connections 32] [--processes N] [--toxicity THRESHOLD]
        [--database-url postgresql://…] [--baseline DIR]

Starts a redis-server of its own on a free loopback port and `commentsvc serve` on the
embedded default (SQLite), or with `--database-url`, `commentsvc api` plus `commentsvc
worker all` on that database (emptied first). After a 2 s warm-up (not counted; the
runs start once it is all decided) it posts
at each steady rate, open loop (each POST leaves at its scheduled time), every comment
from its own address with its own body, and reads each comment's first decision from
the events table: latency = decision time − the time its POST was sent. Then a burst:
`--connections` clients post back to back for `--burst-s`, and it measures the time from
the last 202 to the last decision (the backlog the burst left). The steady 50/s run is
the baseline the 500/s one is read against; the burst prints the accepting rate beside
the deciding rate. Targets: p99 < 50 ms at 50/s and < 100 ms at 500/s; after the burst
every comment decided within 2 s of the last 202.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

import aiohttp
import sqlalchemy as sa

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.api_load import empty_database
from benchmarks.redis_outage import OwnRedis, Post, Service, percentile, post_one
from commentsvc.config import parse_settings
from commentsvc.store import Store
from commentsvc.store.tables import events

WARMUP_S = 2.0  # then every warm-up comment is decided before the measured runs
TARGET_P99_MS = {50: 50.0, 500: 100.0}
TARGET_BACKLOG_S = 2.0


async def steady(base: str, rate: float, duration_s: float, first: int) -> list[Post]:
    """Open-loop posts at `rate` per second for `duration_s`."""
    posts: list[Post] = []
    tasks: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < duration_s:
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            post = Post(first + n, f"{rate:g}/s", time.time())
            posts.append(post)
            tasks.append(asyncio.create_task(post_one(session, base, post)))
            n += 1
        await asyncio.gather(*tasks)
    return posts


async def burst(base: str, connections: int, duration_s: float, first: int) -> list[Post]:
    """`connections` clients posting back to back for `duration_s`."""
    posts: list[Post] = []
    counter = iter(range(first, first + 10_000_000))
    deadline = time.perf_counter() + duration_s

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < deadline:
            post = Post(next(counter), "burst", time.time())
            await post_one(session, base, post)
            posts.append(post)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))
    return posts


async def decided_at(store: Store, ids: set[str], wait_s: float) -> dict[str, float]:
    """First decision time (wall clock) of each comment in `ids`, waiting up to `wait_s`."""
    found: dict[str, float] = {}
    deadline = time.monotonic() + wait_s
    query = (
        sa.select(events.c.comment_id, sa.func.min(events.c.at))
        .where(events.c.from_status == "received")
        .group_by(events.c.comment_id)
    )
    while True:
        async with store.db.read() as conn:
            for comment_id, at in (await conn.execute(query)).all():
                if comment_id in ids:
                    stamp = at if at.tzinfo else at.replace(tzinfo=UTC)
                    found[comment_id] = stamp.timestamp()
        if len(found) >= len(ids) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


def latencies_ms(posts: list[Post], decided: dict[str, float]) -> list[float]:
    return [(decided[p.comment_id] - p.sent_at) * 1000 for p in posts if p.comment_id in decided]


async def measure(args: argparse.Namespace, service: Service, store: Store) -> bool:
    met = True
    warm = await steady(service.base, 50, WARMUP_S, 0)  # and the worker has started
    await decided_at(store, {p.comment_id for p in warm if p.status == 202}, 60)
    first = 1_000_000
    for rate in args.rates:
        posts = await steady(service.base, rate, args.steady_s, first)
        first += 1_000_000
        ids = {p.comment_id for p in posts if p.status == 202}
        decided = await decided_at(store, ids, 60)
        lat = latencies_ms(posts, decided)
        refused = sum(p.status != 202 for p in posts)
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        target = TARGET_P99_MS.get(int(rate))
        ok = target is None or (p99 < target and refused == 0 and len(decided) == len(ids))
        met &= ok
        print(
            f"  steady {rate:>5g} posts/s for {args.steady_s:g} s: post→decision p50 "
            f"{p50:6.1f} ms  p99 {p99:6.1f} ms  max {max(lat, default=float('nan')):6.1f} ms "
            f"(target p99 < {target} ms: {'met' if ok else 'NOT met'}); POST p99 "
            f"{percentile([p.latency_ms for p in posts], 99):.1f} ms; "
            f"{len(decided)}/{len(ids)} decided, {refused} not 202"
        )
    posts = await burst(service.base, args.connections, args.burst_s, first)
    accepted = [p for p in posts if p.status == 202]
    ids = {p.comment_id for p in accepted}
    last_202 = max(p.sent_at + p.latency_ms / 1000 for p in accepted)
    decided = await decided_at(store, ids, 120)
    backlog_s = max(decided.values()) - last_202 if decided else float("nan")
    span_s = max(decided.values()) - min(p.sent_at for p in accepted) if decided else 1.0
    ok = backlog_s <= TARGET_BACKLOG_S and len(decided) == len(ids)
    met &= ok
    print(
        f"  burst: {len(accepted) / args.burst_s:,.0f} accepted/s for {args.burst_s:g} s "
        f"({len(posts) - len(accepted)} not 202), decided {len(decided) / span_s:,.0f}/s; "
        f"last decision {backlog_s:.2f} s after the last 202 "
        f"(target <= {TARGET_BACKLOG_S:g} s: {'met' if ok else 'NOT met'})"
    )
    return met


def run_once(args: argparse.Namespace, source: Path | None) -> bool:
    """One full measurement against the service built from `source` (None: this checkout)."""
    env = {"COMMENTSVC_MAX_CONNECTIONS_PER_IP": "0"}
    if args.database_url:
        env["COMMENTSVC_DATABASE_URL"] = args.database_url
        asyncio.run(empty_database(args.database_url))
    with tempfile.TemporaryDirectory(prefix="commentsvc-latency-") as tmp:
        workdir = Path(tmp)
        redis = OwnRedis(workdir / "redis")
        redis.start()
        serve_args = ("--processes", str(args.processes)) if args.processes else ()
        service = Service(
            workdir,
            redis.url,
            split=bool(args.database_url),
            source=source,
            serve_args=serve_args,
            **env,
        )
        mode = "api + worker all on " + args.database_url if args.database_url else "serve, SQLite"
        procs = f"{args.processes} API process(es)" if args.processes else "default processes"
        if args.toxicity is not None:
            procs += f", toxicity stage on at {args.toxicity:g}"
        print(f"post→decision latency: {mode}, {procs}; Redis on 127.0.0.1:{redis.port}")
        try:
            if args.toxicity is not None:  # set before the service reads the site's policy
                setting = f"toxicity_threshold={args.toxicity}"
                for step in (("migrate",), ("site", "policy", "default", "--set", setting)):
                    if service._cli(*step).wait(timeout=120) != 0:
                        raise RuntimeError(service.log_tail())
            service.start()
            url = args.database_url or f"sqlite:///{service.database}"
            settings = parse_settings({"COMMENTSVC_DATABASE_URL": url})
            store = Store.from_url(settings.resolved_database_url)

            async def run() -> bool:
                try:
                    return await measure(args, service, store)
                finally:
                    await store.close()

            met = asyncio.run(run())
        finally:
            service.stop()
            redis.stop()
    return met


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="50,500", help="steady rates, posts/s, comma-separated")
    parser.add_argument("--steady-s", type=float, default=10.0)
    parser.add_argument("--burst-s", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", help="e.g. postgresql://…; emptied first")
    parser.add_argument("--processes", type=int, help="API processes (default: one per CPU)")
    parser.add_argument(
        "--toxicity",
        type=float,
        metavar="THRESHOLD",
        help="turn the toxicity stage on for the site at this threshold (e.g. 0.5)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="first run the same measurement with the code of another checkout (e.g. a "
        "`git archive` of an older commit), for a before/after in one run",
    )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    if args.baseline is not None:
        print(f"== baseline: the code in {args.baseline}")
        run_once(args, args.baseline.resolve())
        print("== this checkout")
    met = run_once(args, None)
    print(f"targets {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
