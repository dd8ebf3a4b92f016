"""Scale-out on PostgreSQL (issue 15, target 4): POST throughput with 1 and 2 API processes,
and a moderation backlog drained by 1 and 2 workers.

    .venv/bin/python benchmarks/scale_out.py --database-url postgresql://…/DB
        [--burst-s 10] [--connections 32] [--backlog 5000]

Every figure runs against a redis-server of its own on a free loopback port and the
given database (emptied first; use one kept for benchmarks, never one tests share).

1. Posting: `commentsvc api --processes N` (N = 1, then 2) with one `commentsvc worker
   all`; `--connections` clients post back to back for `--burst-s`, each comment from its
   own address with its own body. Prints accepted/s per N; the N = 1 figure is the
   baseline the N = 2 one is read against.
2. Draining: with no worker running, `--backlog` comments are posted; then W moderation
   workers (`commentsvc worker moderation`, W = 1, then 2, each on a fresh backlog) are
   started and the time until the last comment is decided gives decided/s per W.

On a 2-core machine the API processes, the workers, PostgreSQL, Redis and the load
generator share two cores, so the second process or worker buys less than it would on
a larger host: read the ratio, not the absolute figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.api_load import empty_database
from benchmarks.decision_latency import burst, decided_at, steady
from benchmarks.redis_outage import OwnRedis, Post, Service, post_one
from commentsvc.config import parse_settings
from commentsvc.store import Store


class Cluster(Service):
    """`api --processes N` and any number of workers, on one database and one Redis."""

    def start_api(self, processes: int) -> None:
        if self._cli("migrate").wait(timeout=120) != 0:
            raise RuntimeError(self.log_tail())
        args = ("api", "--port", str(self.port), "--processes", str(processes))
        self.procs.append(self._cli(*args))
        deadline = time.monotonic() + 60
        while not self._ready():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError(f"the API did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    def _ready(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.base + "/readyz", timeout=1) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def start_workers(self, kind: str, count: int) -> list[subprocess.Popen[bytes]]:
        started = [self._cli("worker", kind) for _ in range(count)]
        self.procs.extend(started)
        return started


@contextlib.asynccontextmanager
async def fresh_cluster(
    args: argparse.Namespace, workdir: Path, name: str, api_processes: int
) -> AsyncIterator[Cluster]:
    """The database emptied, a redis-server of its own and `api --processes N` started;
    all of it stopped on exit."""
    await empty_database(args.database_url)
    redis = OwnRedis(workdir / f"redis-{name}")
    redis.start()
    env = {"COMMENTSVC_DATABASE_URL": args.database_url, "COMMENTSVC_MAX_CONNECTIONS_PER_IP": "0"}
    (workdir / name).mkdir()
    cluster = Cluster(workdir / name, redis.url, split=True, source=None, **env)
    try:
        await asyncio.to_thread(cluster.start_api, api_processes)
        yield cluster
    finally:
        await asyncio.to_thread(cluster.stop)
        redis.stop()


async def posting(args: argparse.Namespace, workdir: Path, processes: int) -> float:
    async with fresh_cluster(args, workdir, f"post-{processes}", processes) as cluster:
        cluster.start_workers("all", 1)
        await steady(cluster.base, 50, 2.0, 0)  # warm-up: every process has served a few
        posts = await burst(cluster.base, args.connections, args.burst_s, 1_000_000)
        accepted = sum(p.status == 202 for p in posts)
        rate = accepted / args.burst_s
        print(
            f"  POST, {processes} API process(es) + 1 worker: {rate:,.0f} accepted/s "
            f"({len(posts) - accepted} not 202)"
        )
        return float(rate)


async def fill(base: str, count: int, connections: int) -> set[str]:
    """Exactly `count` accepted comments, posted by `connections` clients back to back."""
    ids: set[str] = set()
    serial = iter(range(2_000_000, 3_000_000))

    async def client(session: aiohttp.ClientSession) -> None:
        while len(ids) < count:
            post = Post(next(serial), "backlog", time.time())
            await post_one(session, base, post)
            if post.status == 202 and len(ids) < count:
                ids.add(post.comment_id)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))
    return ids


async def draining(args: argparse.Namespace, workdir: Path, workers: int) -> float:
    settings = parse_settings({"COMMENTSVC_DATABASE_URL": args.database_url})
    store = Store.from_url(settings.resolved_database_url)
    try:
        async with fresh_cluster(args, workdir, f"drain-{workers}", 2) as cluster:
            ids = await fill(cluster.base, args.backlog, args.connections)
            cluster.start_workers("moderation", workers)
            decided = await decided_at(store, ids, 300)
    finally:
        await store.close()
    # From the first decision to the last: the workers' start-up (loading the word lists
    # and the toxicity model) is not drain time.
    took_s = max(decided.values()) - min(decided.values())
    rate = len(decided) / took_s
    print(
        f"  backlog of {len(ids):,} drained by {workers} moderation worker(s): "
        f"{took_s:.1f} s from first to last decision, {rate:,.0f} decided/s"
    )
    return float(rate)


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="commentsvc-scale-") as tmp:
        workdir = Path(tmp)
        print(f"scale-out on {args.database_url}")
        one = await posting(args, workdir, 1)
        two = await posting(args, workdir, 2)
        print(f"  posting: 2 API processes = {two / one:.2f}x one")
        w1 = await draining(args, workdir, 1)
        w2 = await draining(args, workdir, 2)
        print(f"  draining: 2 workers = {w2 / w1:.2f}x one")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="postgresql://…; emptied first")
    parser.add_argument("--burst-s", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backlog", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
