"""Import benchmark: a generated WordPress WXR (default 200,000 comments over 5,000 posts)
through a real `commentsvc import wordpress` process, into the embedded default (SQLite) and,
with --postgres URL, into PostgreSQL. Prints comments/s, the import process's CPU time and
peak RSS, beside the target and the figures before the import was made fast (on a shared
machine wall-clock rates are noisy: the CPU seconds say more about what changed).

    .venv/bin/python benchmarks/import_wxr.py [--comments 200000] [--posts 5000]
        [--postgres postgresql://postgres@127.0.0.1:5432/bench_import] [--baseline DIR]

`--baseline DIR` runs the same imports, in the same run, with the code of another checkout
(say `git archive` of the commit before a change, unpacked in DIR), and prints the ratio.

The PostgreSQL database given is emptied (its schema dropped) first: use a throwaway one
(`createdb -h 127.0.0.1 -U postgres bench_import`), never a shared one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "benchmark-secret-key-that-is-long-enough-0123456789"
TARGET_PER_S = 20_000  # into SQLite, 200k comments, peak RSS under 300 MB
TARGET_RSS_MB = 300
# Before: defusedxml (pure-Python expat handlers), 2,000-comment transactions, per-row
# driver work, SQLite's default 2 MB page cache. comments/s by database and comment count.
BEFORE_PER_S = {
    ("sqlite", 20_000): 2_951,
    ("postgresql", 20_000): 2_052,
    ("sqlite", 200_000): 2_436,
}
BEFORE_RSS_MB = "90-94"


def generate(path: Path, comments: int, posts: int) -> None:
    per_post = max(1, comments // posts)
    n = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Bench</title>\n'
        )
        for p in range(posts):
            out.write(
                f"<item><title>Story {p}</title><link>https://bench.example/news/{p}/</link>"
                f"<content:encoded><![CDATA[<p>Story {p}.</p>]]></content:encoded>"
                f"<wp:post_id>{p + 1}</wp:post_id><wp:post_type>post</wp:post_type>\n"
            )
            for i in range(per_post):
                n += 1
                if n > comments:
                    break
                parent = n - 1 if i % 3 else 0
                out.write(
                    f"<wp:comment><wp:comment_id>{n}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[Reader {n % 997}]]></wp:comment_author>"
                    f"<wp:comment_author_email>r{n % 997}@example.org</wp:comment_author_email>"
                    f"<wp:comment_author_IP>192.0.2.{n % 250}</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>2023-{1 + p % 12:02d}-{1 + i % 28:02d} "
                    f"{i % 24:02d}:{i % 60:02d}:{n % 60:02d}</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[Comment {n}: a few words about story {p}, "
                    f'with <a href="https://example.org/{n}">a link</a>.\n\nAnd a second '
                    f"paragraph.]]></wp:comment_content>"
                    f"<wp:comment_approved>{'0' if n % 50 == 0 else '1'}</wp:comment_approved>"
                    f"<wp:comment_type>comment</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent>"
                    f"<wp:commentmeta><wp:meta_key>wpdiscuz_votes</wp:meta_key>"
                    f"<wp:meta_value>{n % 5}</wp:meta_value></wp:commentmeta></wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def reset_postgres(url: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    async def run() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()

    asyncio.run(run())


def run_import(
    wxr: Path, workdir: Path, database_url: str | None, source: Path | None = None
) -> tuple[float, float, int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")}
    env.update(COMMENTSVC_DATA_DIR=str(workdir / "data"), COMMENTSVC_SECRET_KEY=SECRET)
    if database_url:
        env["COMMENTSVC_DATABASE_URL"] = database_url
    cwd = source or Path(__file__).resolve().parent.parent  # `-m commentsvc` is found here
    subprocess.run(
        [sys.executable, "-m", "commentsvc", "migrate"],
        env=env,
        check=True,
        capture_output=True,
        cwd=cwd,
    )
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "commentsvc", "import", "wordpress", str(wxr)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed: {err}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--posts", type=int, default=5_000)
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout to compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        wxr = work / "export.xml"
        t = time.perf_counter()
        generate(wxr, args.comments, args.posts)
        size_mb = wxr.stat().st_size / 1e6
        print(
            f"WXR: {args.comments:,} comments over {args.posts:,} posts, {size_mb:,.0f} MB "
            f"(generated in {time.perf_counter() - t:.1f} s)"
        )
        targets: list[tuple[str, str | None]] = [("sqlite (embedded default)", None)]
        if args.postgres:
            targets.append(("postgresql", args.postgres))
        for name, url in targets:
            db = name.split()[0]
            if url:
                reset_postgres(url)
            elapsed, cpu, rss_mb, out = run_import(wxr, work / db, url)
            rate = args.comments / elapsed
            print(
                f"{name:28s} {rate:10,.0f} comments/s  {elapsed:6.1f} s  CPU {cpu:5.1f} s  "
                f"peak RSS {rss_mb:,} MB (process start-up included)"
            )
            line = f"   target {TARGET_PER_S:,}/s into SQLite, peak RSS < {TARGET_RSS_MB} MB"
            if name.startswith("sqlite"):
                verdict = "met" if rate >= TARGET_PER_S and rss_mb < TARGET_RSS_MB else "not met"
                line += f" ({verdict}: {rate / TARGET_PER_S:.0%} of the rate)"
            before = BEFORE_PER_S.get((db, args.comments))
            if before:
                line += (
                    f"; first version: {before:,}/s, peak RSS {BEFORE_RSS_MB} MB "
                    f"({rate / before:.1f}x)"
                )
            print(line)
            print("   " + out.strip().replace("\n", "\n   "))
            if args.baseline:
                if url:
                    reset_postgres(url)
                b_elapsed, b_cpu, b_rss, _ = run_import(
                    wxr, work / f"{db}-baseline", url, args.baseline
                )
                b_rate = args.comments / b_elapsed
                print(
                    f"{'  baseline ' + str(args.baseline):28s} {b_rate:10,.0f} comments/s  "
                    f"{b_elapsed:6.1f} s  CPU {b_cpu:5.1f} s  peak RSS {b_rss:,} MB  "
                    f"(the change: {rate / b_rate:.2f}x the rate, {cpu / b_cpu:.0%} of the CPU)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
