"""End to end through HTTP against `commentsvc serve` running as its own process."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from tests.processes import ServiceProcess, run_cli, service_env


def wait_for_status(
    svc: ServiceProcess, comment_id: str, token: str, want: set[str]
) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    while True:
        status, body = svc.request(
            "GET", f"/api/v1/comments/{comment_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert status == 200, body
        if body["status"] in want:
            return body, time.monotonic() - started
        if time.monotonic() - started > 10:
            raise AssertionError(f"comment still {body['status']} after 10 s")
        time.sleep(0.05)


def test_serve_moderates_within_two_seconds(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url, COMMENTSVC_REDIS_URL=redis_url)
    policy = run_cli(
        env,
        "site",
        "policy",
        "default",
        "--set",
        'moderation_keys=["miracle cure"]',
        "--set",
        "max_links=3",
    )
    assert policy.returncode == 0, policy.stderr
    assert '"max_links": 3' in policy.stdout
    svc = ServiceProcess(env, "serve", log_path=tmp_path / "serve.log").start()
    try:
        cases = [
            ("A clean, friendly remark about the article.", "approved", []),
            (
                "Sources: https://a.example/1 https://b.example/2 https://c.example/3",
                "pending",
                ["links"],
            ),
            ("Have you heard of the Miracle Cure for everything?", "pending", ["moderation_key"]),
        ]
        for body, want, reasons in cases:
            status, posted = svc.request(
                "POST", "/api/v1/comments", {"thread": "e2e/article", "body": body}
            )
            assert status == 202, posted
            seen, _ = wait_for_status(  # how fast: `make bench-outage` (Redis up)
                svc, posted["id"], posted["edit_token"], {"approved", "pending", "spam", "rejected"}
            )
            assert seen["status"] == want, seen
            assert [w["rule"] for w in seen.get("waiting_because", [])] == reasons
        status, page = svc.request("GET", "/api/v1/comments?thread=e2e/article")
        assert status == 200 and page["thread"]["count"] == 1
        status, metrics = svc.request("GET", "/metrics")
        assert status == 200
        assert 'commentsvc_moderation_decisions_total{rule="links"}' in metrics
        assert (
            'commentsvc_http_requests_total{method="POST",route="/api/v1/comments",status="202"}'
            in metrics
        )
    finally:
        assert svc.terminate() == 0, svc.log()


def test_embedded_default_starts_and_stops_cleanly(tmp_path: Path) -> None:
    """`make run`'s setup: no database or Redis configured; SIGTERM stops everything."""
    env = service_env(tmp_path)
    svc = ServiceProcess(env, "serve", log_path=tmp_path / "serve.log").start()
    socket_path = tmp_path / "data" / "redis" / "redis.sock"
    try:
        status, ready = svc.request("GET", "/readyz")
        assert status == 200, ready
        status, posted = svc.request(
            "POST", "/api/v1/comments", {"thread": "embedded", "body": "It works here."}
        )
        assert status == 202
        seen, _ = wait_for_status(svc, posted["id"], posted["edit_token"], {"approved"})
        assert seen["status"] == "approved"
        assert socket_path.exists()
        assert (tmp_path / "data" / "commentsvc.sqlite3").exists()
    finally:
        code = svc.terminate()
    assert code == 0, svc.log()
    assert not socket_path.exists(), "the embedded redis-server should stop with the service"
    assert "Traceback" not in svc.log()
    # The comment outlives the process: start again and read it back.
    again = ServiceProcess(env, "serve", log_path=tmp_path / "serve2.log").start()
    try:
        status, page = again.request("GET", "/api/v1/comments?thread=embedded")
        assert status == 200 and [c["id"] for c in page["comments"]] == [posted["id"]]
    finally:
        assert again.terminate() == 0


def test_cli_migrate_site_and_bad_config(tmp_path: Path, sqlite_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url)
    for _ in range(2):
        result = run_cli(env, "migrate")
        assert result.returncode == 0, result.stderr
        assert "revision" in result.stdout
    added = run_cli(
        env, "site", "add", "news", "--name", "The News", "--origin", "https://news.example"
    )
    assert added.returncode == 0, added.stderr
    listed = run_cli(env, "site", "list")
    assert "news\tThe News\thttps://news.example" in listed.stdout
    bad = run_cli(env, "site", "policy", "news", "--set", "max_links=lots")
    assert bad.returncode == 2 and "max_links" in bad.stderr
    broken = run_cli({**env, "COMMENTSVC_PORT": "http"}, "migrate")
    assert broken.returncode == 2
    assert broken.stderr.strip().splitlines() == [
        "commentsvc: configuration error: COMMENTSVC_PORT: must be an integer, got 'http'"
    ]
    assert os.path.exists(tmp_path / "commentsvc.sqlite3")


def test_cli_lists_and_replays_dead_letters(
    tmp_path: Path, sqlite_url: str, redis_url: str
) -> None:
    import redis as sync_redis

    from commentsvc.queue.constants import GROUP_MODERATE, STREAM_DEADLETTER, STREAM_MODERATE
    from commentsvc.queue.deadletters import deadletter_fields

    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    fields = deadletter_fields(
        stream=STREAM_MODERATE,
        group=GROUP_MODERATE,
        job_id="1-1",
        deliveries=5,
        last_error="ValueError: broken comment",
        payload={"comment_id": "01aaaaaaaaaaaaaaaaaaaaaaaa"},
    )
    dead_id = client.xadd(STREAM_DEADLETTER, fields)  # type: ignore[arg-type]
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url, COMMENTSVC_REDIS_URL=redis_url)
    listed = run_cli(env, "deadletters", "list")
    assert listed.returncode == 0, listed.stderr
    assert "broken comment" in listed.stdout and "01aaaaaaaaaaaaaaaaaaaaaaaa" in listed.stdout
    replayed = run_cli(env, "deadletters", "replay", str(dead_id))
    assert replayed.returncode == 0 and "replayed 1" in replayed.stdout
    assert client.xlen(STREAM_DEADLETTER) == 0
    [(_, payload)] = client.xrange(STREAM_MODERATE)
    assert payload == {"comment_id": "01aaaaaaaaaaaaaaaaaaaaaaaa"}
    client.flushdb()
    client.close()


def test_json_logs_one_line_per_request_without_addresses(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: aioredis.Redis
) -> None:
    import json

    env = service_env(
        tmp_path,
        COMMENTSVC_DATABASE_URL=sqlite_url,
        COMMENTSVC_REDIS_URL=redis_url,
        COMMENTSVC_LOG_FORMAT="json",
    )
    svc = ServiceProcess(env, "serve", log_path=tmp_path / "serve.log").start()
    try:
        svc.request("GET", "/api/v1/comments?thread=logs/one")
        svc.request("POST", "/api/v1/comments", {"thread": "logs/one", "body": "hello"})
        svc.request("GET", "/s/some-token-value")
    finally:
        assert svc.terminate() == 0
    lines = [json.loads(line) for line in svc.log().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("msg") == "request"]
    assert {(a["method"], a["path"], a["status"]) for a in access} >= {
        ("GET", "/api/v1/comments", 200),
        ("POST", "/api/v1/comments", 202),
    }
    assert all(set(a) >= {"ts", "duration_ms", "client"} for a in access)
    assert not any("127.0.0.1" in json.dumps(a) for a in access)
    assert not any("some-token-value" in json.dumps(line) for line in lines)
    assert all("level" in line or line.get("msg") == "request" for line in lines)


def test_cli_closes_and_opens_a_thread(tmp_path: Path, sqlite_url: str, redis_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_DATABASE_URL=sqlite_url, COMMENTSVC_REDIS_URL=redis_url)
    assert run_cli(env, "migrate").returncode == 0
    missing = run_cli(env, "thread", "close", "default", "news/no-such-article")
    assert missing.returncode == 1 and "no thread" in missing.stderr
    svc = ServiceProcess(env, "api", log_path=tmp_path / "api.log").start()
    try:
        status, _ = svc.request(
            "POST", "/api/v1/comments", {"thread": "news/closing", "body": "First!"}
        )
        assert status == 202
        closed = run_cli(env, "thread", "close", "default", "news/closing")
        assert closed.returncode == 0 and "is closed" in closed.stdout, closed.stderr
        status, page = svc.request("GET", "/api/v1/comments?thread=news/closing")
        assert status == 200 and page["thread"]["closed"] is True
        status, body = svc.request(
            "POST", "/api/v1/comments", {"thread": "news/closing", "body": "Second!"}
        )
        assert status == 409 and "closed" in body["detail"]
        assert run_cli(env, "thread", "open", "default", "news/closing").returncode == 0
        status, _ = svc.request(
            "POST", "/api/v1/comments", {"thread": "news/closing", "body": "Second!"}
        )
        assert status == 202
    finally:
        assert svc.terminate() == 0
