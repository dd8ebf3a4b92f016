"""`commentsvc api` and `worker` on a database that was never migrated, as real processes.

Readiness names the missing migration, API calls answer a 503 problem saying the
same, workers wait for it, and the log says so now and then, never a traceback
per request. A malformed request is one WARNING line too.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import redis.asyncio as aioredis

from tests.processes import ServiceProcess, run_cli, service_env

UNMIGRATED = "database schema not migrated"
REQUESTS = 6
WAIT_S = 60.0  # only a bound for a broken build


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    return received


def lines_with(log: str, text: str) -> list[str]:
    return [line for line in log.splitlines() if text in line]


def test_api_on_an_unmigrated_database_says_so(
    tmp_path: Path, redis_url: str, redis: aioredis.Redis
) -> None:
    env = service_env(tmp_path, COMMENTSVC_REDIS_URL=redis_url)
    log_path = tmp_path / "api.log"
    svc = ServiceProcess(env, "api", log_path=log_path).start()
    try:
        assert svc.request("GET", "/healthz")[0] == 200  # alive: liveness stays 200
        status, ready = svc.request("GET", "/readyz")
        assert status == 503, ready
        assert ready["down"] == ["database"]
        assert UNMIGRATED in ready["errors"]["database"]
        assert "commentsvc migrate" in ready["errors"]["database"]

        for i in range(REQUESTS):
            status, body = svc.request(
                "POST", "/api/v1/comments", {"thread": "t/unmigrated", "body": f"Anyone? {i}"}
            )
            assert status == 503, body
            assert body["type"] == "urn:commentsvc:problem:schema-not-migrated"
            assert body["status"] == 503
            assert UNMIGRATED in body["detail"] and "commentsvc migrate" in body["detail"]
        status, body = svc.request("GET", "/api/v1/comments?thread=t/unmigrated")
        assert status == 503 and "commentsvc migrate" in body["detail"]

        answer = raw_request(svc.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n")
        assert answer.split(b"\r\n", 1)[0].split()[1] == b"400"
        assert b"application/problem+json" in answer

        migrated = run_cli(env, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        status, ready = svc.request("GET", "/readyz")
        assert (status, ready["status"]) == (200, "ready")
        status, page = svc.request("GET", "/api/v1/comments?thread=t/unmigrated")
        assert status == 200 and page["comments"] == []
    finally:
        assert svc.terminate() == 0
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert "[SQL:" not in log and "dependency down" not in log
    said = lines_with(log, UNMIGRATED)
    assert 1 <= len(said) < REQUESTS, said  # at start, then at most once a minute
    assert all(" WARNING " in line and "commentsvc migrate" in line for line in said)
    malformed = lines_with(log, "aiohttp.server")
    assert len(malformed) == 1 and " WARNING " in malformed[0], malformed


def wait_for_line(path: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_S
    while text not in path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} in the log:\n{path.read_text(errors='replace')}")
        time.sleep(0.1)


def test_worker_waits_for_the_migration(
    tmp_path: Path, redis_url: str, redis: aioredis.Redis
) -> None:
    env = service_env(tmp_path, COMMENTSVC_REDIS_URL=redis_url)
    burst = run_cli(env, "worker", "all", "--burst")
    assert burst.returncode == 1
    assert UNMIGRATED in burst.stderr and "Traceback" not in burst.stderr

    log_path = tmp_path / "worker.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "commentsvc", "worker", "all"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_line(log_path, UNMIGRATED, proc)
        migrated = run_cli(env, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        wait_for_line(log_path, "consuming", proc)
        proc.terminate()
        assert proc.wait(timeout=WAIT_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log
    said = lines_with(log, UNMIGRATED)
    assert len(said) == 1 and "the workers wait for it" in said[0], said
