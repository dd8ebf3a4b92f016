"""The same import twice adds nothing; an import killed halfway finishes when run again."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from commentsvc.config import Settings
from commentsvc.store import Store
from tests.processes import service_env
from tests.transfer.conftest import run_import
from tests.transfer.files import big_wxr

QUERIES = {
    "comments": "SELECT c.id, parent_id, root_id, depth, status, body, t.key, t.count"
    " FROM comments c JOIN threads t ON t.id = c.thread_id ORDER BY c.id",
    "events": "SELECT comment_id, action FROM events ORDER BY comment_id, action",
    "threads": "SELECT key, count FROM threads ORDER BY key",
}


def _rows(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in QUERIES.items()}


async def _rows_in(settings: Settings) -> dict[str, Any]:
    """The same rows from the settings' database, SQLite or PostgreSQL."""
    store = Store.from_url(settings.resolved_database_url)
    try:
        async with store.db.read() as conn:
            return {
                name: [tuple(r) for r in (await conn.execute(sa.text(sql))).all()]
                for name, sql in QUERIES.items()
            }
    finally:
        await store.close()


async def test_same_file_twice_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    path = big_wxr(tmp_path / "wp.xml", posts=5, per_post=30)
    code, first, _ = await run_import(settings, "wordpress", str(path), "--batch-size", "17")
    assert code == 0 and first["inserted"] == 150
    before = await _rows_in(settings)
    code, second, _ = await run_import(settings, "wordpress", str(path))
    assert code == 0 and second["inserted"] == 0 and second["present"] == 150
    assert await _rows_in(settings) == before
    assert len(before["events"]) == 150
    assert before["threads"][0][1] == 30


def _indexes(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return sorted(name for (name,) in rows)


def test_killed_import_finishes_on_rerun(tmp_path: Path) -> None:
    path = big_wxr(tmp_path / "wp.xml", posts=40, per_post=100)
    env = service_env(tmp_path / "killed")
    db = tmp_path / "killed" / "data" / "commentsvc.sqlite3"
    migrate = subprocess.run(
        [sys.executable, "-m", "commentsvc", "migrate"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "commentsvc",
            "import",
            "wordpress",
            str(path),
            "--batch-size",
            "10",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen = 0
        deadline = time.monotonic() + 60
        while seen == 0 and proc.poll() is None and time.monotonic() < deadline:
            with sqlite3.connect(db, timeout=10) as conn:
                seen = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
        proc.send_signal(signal.SIGKILL)
    finally:
        returncode = proc.wait(timeout=30)
    assert returncode == -signal.SIGKILL, "the import ended before it could be killed"
    with sqlite3.connect(db) as conn:
        partial = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
    assert 0 < partial < 4000
    # The kill left the bulk indexes dropped; `migrate` (which `serve` runs at start)
    # builds them again, so the service never runs long without them.
    again = subprocess.run(
        [sys.executable, "-m", "commentsvc", "migrate"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    after_migrate = _indexes(db)
    rerun = subprocess.run(
        [sys.executable, "-m", "commentsvc", "import", "wordpress", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "there already" in rerun.stdout
    # The same rows as one clean import into an empty database.
    clean_env = service_env(tmp_path / "clean")
    clean = subprocess.run(
        [sys.executable, "-m", "commentsvc", "import", "wordpress", str(path)],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert clean.returncode == 0, clean.stderr
    got = _rows(db)
    want = _rows(tmp_path / "clean" / "data" / "commentsvc.sqlite3")
    assert len(got["comments"]) == 4000
    assert got == want
    assert (
        after_migrate
        == _indexes(db)
        == _indexes(tmp_path / "clean" / "data" / "commentsvc.sqlite3")
    )
