"""Destinations: the SMTP pool against a real server, and the Maildir."""

from __future__ import annotations

import asyncio
import mailbox
import shutil
import ssl
import subprocess
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from commentsvc.notify.sender import (
    MaildirDestination,
    PermanentError,
    SMTPConfig,
    SMTPDestination,
    TransientError,
)
from tests.notify.conftest import SMTPServer
from tests.servers import free_port


def message(n: int, to: str = "reader@example.org") -> bytes:
    msg = EmailMessage()
    msg["From"] = "comments@news.example"
    msg["To"] = to
    msg["Subject"] = f"Message {n}"
    msg.set_content(f"Body {n}\n")
    return msg.as_bytes()


async def test_the_pool_reuses_a_few_connections(smtp: SMTPServer) -> None:
    dest = SMTPDestination(SMTPConfig.from_url(smtp.url), "comments@news.example", pool_size=3)
    try:
        await asyncio.gather(*(dest.send(message(i), f"r{i}@example.org") for i in range(60)))
    finally:
        await dest.close()
    assert len(smtp.messages) == 60
    assert dest.connections_opened <= 3
    assert len({m.peer for m in smtp.messages}) == dest.connections_opened
    assert {m.mail_from for m in smtp.messages} == {"comments@news.example"}


async def test_one_connection_per_message_when_asked(smtp: SMTPServer) -> None:
    dest = SMTPDestination(
        SMTPConfig.from_url(smtp.url), "c@news.example", max_messages_per_connection=1
    )
    try:
        for i in range(5):
            await dest.send(message(i), "r@example.org")
    finally:
        await dest.close()
    assert dest.connections_opened == 5 and len({m.peer for m in smtp.messages}) == 5


async def test_refusals_are_transient_or_permanent(smtp: SMTPServer) -> None:
    smtp.rcpt_script["later@example.org"] = ["451 4.7.1 try later"]
    smtp.refuse["gone@example.org"] = "550 5.1.1 unknown user"
    dest = SMTPDestination(SMTPConfig.from_url(smtp.url), "c@news.example", pool_size=1)
    try:
        with pytest.raises(TransientError, match="451"):
            await dest.send(message(1), "later@example.org")
        with pytest.raises(PermanentError, match="550") as refused:
            await dest.send(message(2), "gone@example.org")
        assert refused.value.bounced
        await dest.send(message(3), "later@example.org")
    finally:
        await dest.close()
    assert [m.rcpt_tos for m in smtp.messages] == [["later@example.org"]]


async def test_after_data_only_a_mailbox_answer_means_bounced(smtp: SMTPServer) -> None:
    smtp.data_script["r@example.org"] = [
        "552 5.3.4 message too big for this server",
        "554 5.7.1 rejected by content policy",
        "550 5.1.1 mailbox does not exist",
        "452 4.2.2 mailbox full, try later",
    ]
    dest = SMTPDestination(SMTPConfig.from_url(smtp.url), "c@news.example", pool_size=1)
    outcomes = []
    try:
        for i in range(4):
            with pytest.raises((PermanentError, TransientError)) as failed:
                await dest.send(message(i), "r@example.org")
            outcomes.append((type(failed.value).__name__, getattr(failed.value, "bounced", None)))
    finally:
        await dest.close()
    assert outcomes == [
        ("PermanentError", False),
        ("PermanentError", False),
        ("PermanentError", True),
        ("TransientError", None),
    ]


async def test_no_server_is_a_transient_failure() -> None:
    dest = SMTPDestination(
        SMTPConfig.from_url(f"smtp://127.0.0.1:{free_port()}"), "c@x.example", timeout_s=2
    )
    with pytest.raises(TransientError):
        await dest.send(message(1), "r@example.org")
    await dest.close()


def test_smtp_urls() -> None:
    plain = SMTPConfig.from_url("smtp://mailer%40news:p%3Ass@mail.example:587")
    assert (plain.hostname, plain.port, plain.username, plain.password, plain.implicit_tls) == (
        "mail.example",
        587,
        "mailer@news",
        "p:ss",
        False,
    )
    tls = SMTPConfig.from_url("smtps://mail.example")
    assert (tls.port, tls.implicit_tls, tls.username) == (465, True, None)
    with pytest.raises(ValueError, match="smtp"):
        SMTPConfig.from_url("http://mail.example")


async def test_maildir_keeps_each_email(tmp_path: Path) -> None:
    dest = MaildirDestination(tmp_path / "maildir")
    await dest.send(message(1), "r@example.org")
    await dest.send(message(2), "r@example.org")
    box = mailbox.Maildir(tmp_path / "maildir", create=False)
    assert sorted(m["Subject"] for m in box) == ["Message 1", "Message 2"]


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own authority (made with the openssl tool)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"mailer@news",
        b"s3cret:pw",
    )
    return AuthResult(success=ok)


@pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS", "ignore:Session.login_data is deprecated"
)
@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
async def test_tls_and_login_from_the_url(
    tmp_path: Path, scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl tool is needed to make a test certificate")
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts our test authority only
    handler = SMTPServer()
    port = free_port()
    tls: dict[str, Any] = {"tls_context": server_tls, "require_starttls": True}
    if scheme == "smtps":  # aiosmtpd can't tell a session is inside implicit TLS: allow AUTH
        tls = {"ssl_context": server_tls, "auth_require_tls": False}
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        **tls,
    )
    controller.start()
    try:
        good = SMTPDestination(
            SMTPConfig.from_url(f"{scheme}://mailer%40news:s3cret%3Apw@127.0.0.1:{port}"),
            "c@news.example",
        )
        await good.send(message(1), "r@example.org")
        await good.close()
        bad = SMTPDestination(
            SMTPConfig.from_url(f"{scheme}://mailer%40news:wrong@127.0.0.1:{port}"),
            "c@news.example",
            timeout_s=2,
        )
        with pytest.raises(TransientError):
            await bad.send(message(2), "r@example.org")
        await bad.close()
    finally:
        controller.stop()
    assert [m.rcpt_tos for m in handler.messages] == [["r@example.org"]]
