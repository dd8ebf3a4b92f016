"""Read/post benchmark: GET and POST /api/v1/comments at 64 connections.

    .venv/bin/python benchmarks/api_load.py [--duration-s 20] [--connections 64]
                                            [--processes N] [--split] [--database-url URL]

Runs the embedded default (SQLite + embedded Redis) in a fresh data dir as
`commentsvc serve` with its default processes (one API process per CPU, one
for the workers; `--processes N` to choose). It seeds a thread of 200
comments (150 top-level, 50 replies), then loads it with wrk when installed
(else a Python aiohttp load generator): the cached read, the same read asking
for gzip, and posting. Every POST comes from its own address via
X-Forwarded-For (the service trusts 127.0.0.1 as a proxy) and carries its own
body, so rate limits and duplicate checks stay on. In the same run it measures
the baselines: the same thread with the page cache off (what the cache buys),
and a bare aiohttp app that returns the same bytes with no work at all, in 1
process and in N processes sharing the port (the framework's ceilings here).
It reports the page's size plain and gzip-compressed, and the service's CPU
time per request (every process of it, so posting includes moderating and
notifying each comment).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
THREAD = "bench/seeded-thread"
GET_PATH = f"/api/v1/comments?thread={THREAD}"
TARGET_GET_SHARE = 0.80  # of the bare aiohttp N-process ceiling (issue 15)
TARGET_GET_P99_MS = 10.0
TARGET_POST_RPS = 1_500

WRK_POST_LUA = r"""
counter = 0
thread_id = 0
setup = function(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end
request = function()
  counter = counter + 1
  local n = id * 1000000 + counter
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-Forwarded-For"] = "10." .. (math.floor(n / 65536) % 256) .. "." ..
    (math.floor(n / 256) % 256) .. "." .. (n % 256)
  local body = '{"thread":"bench/posts","author_name":"Reader ' .. n ..
    '","body":"Load test comment number ' .. n .. ' with a few plain words about the article."}'
  return wrk.format("POST", "/api/v1/comments", headers, body)
end
"""


@dataclass
class LoadResult:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    statuses: dict[int, int]
    cpu_us: float = float("nan")  # server CPU time per request

    def line(self) -> str:
        codes = " ".join(f"{k}:{v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{self.name:<34} {self.rps:>9.0f} req/s   p50 {self.p50_ms:6.2f} ms   "
            f"p99 {self.p99_ms:6.2f} ms   server CPU {self.cpu_us:5.0f} us/req   "
            f"({self.requests} requests, {self.errors} errors) {codes}"
        )


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and every live descendant (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    if pid not in times:
        return float("nan")
    tree, total = {pid}, 0.0
    for child in sorted(parents):  # a child's pid is usually above its parent's
        if parents[child] in tree:
            tree.add(child)
    for member in tree:
        total += times[member]
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Service:
    def __init__(
        self, workdir: Path, port: int, split: bool = False, processes: int = 0, **env: str
    ) -> None:
        self.port = port
        self.split = split
        self.processes = processes  # 0: the command's default (one API process per CPU)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
        self.env.update(
            {
                "COMMENTSVC_DATA_DIR": str(workdir),
                "COMMENTSVC_TRUSTED_PROXIES": "127.0.0.1",
                "COMMENTSVC_PUBLIC_URL": f"http://127.0.0.1:{port}",
                **env,
            }
        )
        self.log = (workdir.parent / f"{workdir.name}.log").open("wb")
        self.proc: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        """`commentsvc serve` (API and workers in one process, as `make run` does), or with
        `split`, one `commentsvc api` process plus one `commentsvc worker all` process."""
        run = [sys.executable, "-m", "commentsvc"]
        out = {"env": self.env, "stdout": self.log, "stderr": subprocess.STDOUT}
        if self.split:
            subprocess.run([*run, "migrate"], check=True, **out)  # type: ignore[call-overload]
        command = ["api" if self.split else "serve", "--port", str(self.port)]
        if self.processes:
            command += ["--processes", str(self.processes)]
        self.proc = subprocess.Popen([*run, *command], **out)  # type: ignore[call-overload]
        wait_http(f"http://127.0.0.1:{self.port}/readyz")
        if self.split:
            self.worker = subprocess.Popen([*run, "worker", "all"], **out)  # type: ignore[call-overload]
        return self

    def stop(self) -> None:
        for proc in (self.worker, self.proc):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
        self.proc = self.worker = None


async def seed(base: str) -> None:
    """200 comments: 150 top-level, 50 replies, each from its own address; wait until public."""
    async with aiohttp.ClientSession() as session:

        async def post(i: int, parent: str | None) -> str:
            body = {
                "thread": THREAD,
                "thread_title": "A seeded thread",
                "author_name": f"Seeder {i}",
                "body": f"Seed comment {i}: " + "a sentence about the article. " * (1 + i % 5),
            }
            if parent:
                body["parent_id"] = parent
            headers = {"X-Forwarded-For": f"10.200.{i // 256}.{i % 256}"}
            async with session.post(f"{base}/api/v1/comments", json=body, headers=headers) as r:
                data = await r.json()
                if r.status != 202:
                    raise RuntimeError(f"seed post failed: {r.status} {data}")
                return str(data["id"])

        tops = [await post(i, None) for i in range(150)]
        await wait_count(session, base, 150)
        rng = random.Random(7)
        for i in range(50):
            await post(150 + i, rng.choice(tops))
        await wait_count(session, base, 200)


async def wait_count(session: aiohttp.ClientSession, base: str, want: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with session.get(f"{base}/api/v1/counts", params={"thread": THREAD}) as r:
            if (await r.json())["counts"][THREAD] >= want:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"thread never reached {want} approved comments")


async def empty_database(url: str) -> None:
    """Drop commentsvc's tables so each run starts from a fresh schema."""
    from commentsvc.config import parse_settings
    from commentsvc.store import Store
    from commentsvc.store.tables import metadata

    store = Store.from_url(parse_settings({"COMMENTSVC_DATABASE_URL": url}).resolved_database_url)
    try:
        async with store.db.write() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    finally:
        await store.close()


def parse_wrk(name: str, out: str, statuses: dict[int, int] | None = None) -> LoadResult:
    def latency_ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(x) for x in sock.groups()) if sock else 0
    )
    return LoadResult(name, rps, latency_ms("50"), latency_ms("99"), total, errors, statuses or {})


def run_wrk(
    name: str,
    url: str,
    connections: int,
    duration_s: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--latency", "--timeout", "5s"]
    if script is not None:
        cmd += ["-s", str(script)]
    for header, value in (headers or {}).items():
        cmd += ["-H", f"{header}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(name, out)


async def python_load(
    name: str,
    url: str,
    connections: int,
    duration_s: int,
    post: bool,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """A simple closed-loop load generator for machines without wrk."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    deadline = time.perf_counter() + duration_s
    counter = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(wid: int) -> None:
            nonlocal counter, errors
            while time.perf_counter() < deadline:
                counter += 1
                n = wid * 10_000_000 + counter
                started = time.perf_counter()
                try:
                    if post:
                        headers = {
                            "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
                        }
                        body = {
                            "thread": "bench/posts",
                            "body": f"Python load comment {n} about the article.",
                        }
                        async with session.post(url, json=body, headers=headers) as r:
                            await r.read()
                            status = r.status
                    else:
                        async with session.get(url, headers=headers) as r:
                            await r.read()
                            status = r.status
                except aiohttp.ClientError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    ok = len(latencies)

    def p(q: float) -> float:
        return latencies[min(ok - 1, int(q * ok))] if ok else float("nan")

    bad = sum(v for k, v in statuses.items() if k >= 400)
    return LoadResult(
        name,
        ok / elapsed,
        statistics.median(latencies) if ok else 0.0,
        p(0.99),
        ok,
        errors + bad,
        statuses,
    )


BARE_APP = """
import sys
from aiohttp import web
body = open(sys.argv[2], "rb").read()
async def page(request):
    return web.Response(body=body, content_type="application/json")
app = web.Application()
app.router.add_get("/api/v1/comments", page)
try:
    import uvloop
    uvloop.install()
except ImportError:
    pass
web.run_app(
    app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, reuse_port=True
)
"""
GZIP = {"Accept-Encoding": "gzip"}


def start_bare(port: int, page: Path, processes: int) -> list[subprocess.Popen[bytes]]:
    """The bare app in `processes` processes sharing `port` (SO_REUSEPORT)."""
    procs = [
        subprocess.Popen([sys.executable, "-c", BARE_APP, str(port), str(page)])
        for _ in range(processes)
    ]
    wait_http(f"http://127.0.0.1:{port}{GET_PATH}")
    time.sleep(0.5)  # the last ones to bind
    return procs


def page_sizes(url: str) -> tuple[int, int]:
    """(plain bytes, gzip bytes on the wire) of one page."""
    plain = urllib.request.urlopen(
        urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    )
    packed = urllib.request.urlopen(urllib.request.Request(url, headers=GZIP))
    with plain, packed:
        if packed.headers.get("Content-Encoding") != "gzip":
            raise RuntimeError("the service did not send gzip")
        return len(plain.read()), len(packed.read())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration-s", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="API processes for the service (default: the command's own, one per CPU)",
    )
    parser.add_argument(
        "--python-load",
        action="store_true",
        help="use the Python load generator even if wrk exists",
    )
    parser.add_argument(
        "--database-url",
        help="a database to use instead of the embedded SQLite (e.g. postgresql://…); "
        "it is emptied of commentsvc's tables first",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="`commentsvc api` plus one `commentsvc worker all` process instead of `serve`",
    )
    args = parser.parse_args()
    extra_env = {"COMMENTSVC_DATABASE_URL": args.database_url} if args.database_url else {}
    if args.database_url:
        asyncio.run(empty_database(args.database_url))
    use_wrk = shutil.which("wrk") is not None and not args.python_load
    tool = "wrk -t2" if use_wrk else "python aiohttp load generator"
    cpus = len(os.sched_getaffinity(0))
    processes = args.processes or cpus
    print(
        f"load tool: {tool}; {args.connections} connections; {args.duration_s} s per run; "
        f"{cpus} cores; service: {'api + worker' if args.split else 'serve'} "
        f"with {processes} API process(es)"
    )
    results: dict[str, LoadResult] = {}
    with tempfile.TemporaryDirectory(prefix="commentsvc-bench-") as tmp:
        tmpdir = Path(tmp)
        lua = tmpdir / "post.lua"
        lua.write_text(WRK_POST_LUA)

        def load(
            name: str, url: str, post: bool, pid: int, headers: dict[str, str] | None = None
        ) -> None:
            before_s = cpu_s(pid)
            if use_wrk:
                result = run_wrk(
                    name, url, args.connections, args.duration_s, lua if post else None, headers
                )
            else:
                result = asyncio.run(
                    python_load(name, url, args.connections, args.duration_s, post, headers)
                )
            result.cpu_us = (cpu_s(pid) - before_s) / max(result.requests, 1) * 1e6
            results[name] = result

        port = free_port()
        svc = Service(tmpdir / "data", port, args.split, args.processes, **extra_env).start()
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(seed(base))
            with urllib.request.urlopen(base + GET_PATH) as resp:
                page = resp.read()
            (tmpdir / "page.json").write_bytes(page)
            plain_bytes, gzip_bytes = page_sizes(base + GET_PATH)
            print(
                f"seeded: 200 comments, page of {len(json.loads(page)['comments'])} top-level, "
                f"{plain_bytes} bytes, {gzip_bytes} bytes gzip ({gzip_bytes / plain_bytes:.0%})"
            )
            assert svc.proc is not None
            load("GET thread (cached)", base + GET_PATH, False, svc.proc.pid)
            load("GET thread (cached, gzip)", base + GET_PATH, False, svc.proc.pid, GZIP)
            load("POST comment", base + "/api/v1/comments", True, svc.proc.pid)
        finally:
            svc.stop()

        port = free_port()
        svc = Service(
            tmpdir / "data",
            port,
            args.split,
            args.processes,
            COMMENTSVC_THREAD_CACHE_TTL_S="0",
            **extra_env,
        ).start()
        try:
            assert svc.proc is not None
            url = f"http://127.0.0.1:{port}{GET_PATH}"
            load("baseline: GET, cache off", url, False, svc.proc.pid)
        finally:
            svc.stop()

        for n in sorted({1, processes}):
            port = free_port()
            bare = start_bare(port, tmpdir / "page.json", n)
            try:
                url = f"http://127.0.0.1:{port}{GET_PATH}"
                name = f"baseline: bare aiohttp, {n} process{'es' if n > 1 else ''}"
                before_s = sum(cpu_s(p.pid) for p in bare)
                if use_wrk:
                    result = run_wrk(name, url, args.connections, args.duration_s)
                else:
                    result = asyncio.run(
                        python_load(name, url, args.connections, args.duration_s, False)
                    )
                spent_s = sum(cpu_s(p.pid) for p in bare) - before_s
                result.cpu_us = spent_s / max(result.requests, 1) * 1e6
                results[name] = result
            finally:
                for proc in bare:
                    proc.terminate()
                for proc in bare:
                    proc.wait()

    print()
    for r in results.values():
        print(r.line())
    get = results["GET thread (cached)"]
    post = results["POST comment"]
    nocache = results["baseline: GET, cache off"]
    bare_1 = results["baseline: bare aiohttp, 1 process"]
    bare_n = results[f"baseline: bare aiohttp, {processes} process{'es' if processes > 1 else ''}"]
    print()
    print(
        f"GET  vs target {TARGET_GET_SHARE:.0%} of the bare {processes}-process ceiling, "
        f"p99 < {TARGET_GET_P99_MS} ms: {get.rps / bare_n.rps:.0%} of it "
        f"({get.rps / bare_1.rps:.0%} of the 1-process one), p99 {get.p99_ms:.2f} ms; "
        f"{get.rps / nocache.rps:.1f}x the uncached read"
    )
    print(f"POST vs target {TARGET_POST_RPS} req/s: {post.rps / TARGET_POST_RPS:.2f}x of target")
    print(
        f"http: get_rps={get.rps:.0f} get_p99_ms={get.p99_ms:.2f} "
        f"gzip_get_rps={results['GET thread (cached, gzip)'].rps:.0f} "
        f"post_rps={post.rps:.0f} post_p99_ms={post.p99_ms:.2f} "
        f"uncached_get_rps={nocache.rps:.0f} bare_1_rps={bare_1.rps:.0f} "
        f"bare_{processes}_rps={bare_n.rps:.0f} page_bytes={plain_bytes} gzip_bytes={gzip_bytes}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
