"""`serve --processes N` as real processes: N API children on one port, the workers in one more.

The embedded default (SQLite in WAL mode, the embedded Redis) is shared by every
child; one SIGTERM stops them all; a parent killed with SIGKILL leaves no child
behind for long.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.processes import ServiceProcess, service_env
from tests.servers import free_port
from tests.test_e2e import wait_for_status

GONE_WITHIN_S = 30.0  # a graceful stop, on a loaded machine


def children_of(pid: int) -> dict[int, str]:
    """pid → command line of every live process whose parent is `pid`."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found[int(entry)] = cmdline
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def roles(children: dict[int, str]) -> list[str]:
    return sorted(
        cmd.split("--child-role ")[1].split()[0]
        for cmd in children.values()
        if "--child-role" in cmd
    )


def reads_counted(svc: ServiceProcess) -> float:
    """GET /api/v1/comments 200s in /metrics, once every process has published (1 s apart)."""
    series = 'commentsvc_http_requests_total{method="GET",route="/api/v1/comments",status="200"} '
    seen = 0.0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, text = svc.request("GET", "/metrics")
        assert status == 200
        seen = sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(series))
        if seen >= 30:
            break
        time.sleep(0.2)
    return seen


def test_two_api_processes_and_a_worker_share_one_port_and_stop_together(tmp_path: Path) -> None:
    env = service_env(tmp_path)  # the embedded default: no database or Redis configured
    svc = ServiceProcess(env, "serve", "--processes", "2", log_path=tmp_path / "serve.log").start()
    assert svc.proc is not None
    parent = svc.proc.pid
    try:
        deadline = time.monotonic() + 20
        while (
            roles(children_of(parent)) != ["api", "api", "workers"] and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        children = children_of(parent)
        assert roles(children) == ["api", "api", "workers"], children
        assert any("redis-server" in cmd for cmd in children.values()), children  # started once

        status, posted = svc.request(
            "POST", "/api/v1/comments", {"thread": "shared/port", "body": "Both cores, one thread."}
        )
        assert status == 202, posted
        seen, _ = wait_for_status(svc, posted["id"], posted["edit_token"], {"approved"})
        assert seen["status"] == "approved"  # the workers' child moderated it
        # Every API process answers (each new connection goes to one of them), and each
        # one's page cache learnt about the approval: no reader sees a stale thread.
        counts = set()
        for _ in range(30):
            status, page = svc.request("GET", "/api/v1/comments?thread=shared/port")
            assert status == 200, page
            counts.add(page["thread"]["count"])
        assert counts == {1}
        # /metrics, whichever process answers, reports the reads of both.
        assert reads_counted(svc) >= 30
        assert "processes:" in (tmp_path / "serve.log").read_text()
    finally:
        code = svc.terminate()
    assert code == 0, svc.log()
    assert wait_gone(list(children)) == [], svc.log()


def test_children_stop_when_their_parent_is_killed(tmp_path: Path, redis_url: str) -> None:
    # COMMENTSVC_PROCESSES is the setting --processes overrides (containers set it).
    env = service_env(tmp_path, COMMENTSVC_REDIS_URL=redis_url, COMMENTSVC_PROCESSES="2")
    svc = ServiceProcess(env, "api", log_path=tmp_path / "api.log").start()
    assert svc.proc is not None
    parent = svc.proc.pid
    deadline = time.monotonic() + 20
    while len(roles(children_of(parent))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    children = children_of(parent)
    assert roles(children) == ["api", "api"], children
    os.kill(parent, signal.SIGKILL)
    svc.proc.wait()
    svc.proc = None
    left = wait_gone(list(children))
    for pid in left:  # don't leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []
    assert "unknown setting" not in (tmp_path / "api.log").read_text()  # the parent's pid


def test_a_second_start_on_a_taken_port_is_refused(tmp_path: Path, redis_url: str) -> None:
    """SO_REUSEPORT would let a second deployment share the port; it is refused instead."""
    first_env = service_env(tmp_path / "one", COMMENTSVC_REDIS_URL=redis_url)
    first = ServiceProcess(first_env, "api", "--processes", "2", log_path=tmp_path / "1.log")
    first.start()
    try:
        second_env = service_env(tmp_path / "two", COMMENTSVC_REDIS_URL=redis_url)
        second = subprocess.run(
            [sys.executable, "-m", "commentsvc", "api", "--processes", "2",
             "--host", "127.0.0.1", "--port", str(first.port)],
            env=second_env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert second.returncode == 1, second.stderr
        assert "in use" in second.stderr and "Traceback" not in second.stderr
    finally:
        assert first.terminate() == 0, first.log()


def test_children_orphaned_while_starting_stop_too(tmp_path: Path, redis_url: str) -> None:
    env = service_env(tmp_path, COMMENTSVC_REDIS_URL=redis_url)
    port = free_port()
    parent = subprocess.Popen(
        [sys.executable, "-m", "commentsvc", "api", "--processes", "2",
         "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "COMMENTSVC_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while len(roles(children_of(parent.pid))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    children = list(children_of(parent.pid))
    assert len(children) == 2
    parent.kill()  # at once: the children are still importing, not serving yet
    parent.wait()
    left = wait_gone(children)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
