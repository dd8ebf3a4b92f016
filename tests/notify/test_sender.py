"""Destinations: the SMTP pool against a real server, and the Maildir."""

from __future__ import annotations

import asyncio
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

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
    dest = SMTPDestination(SMTPConfig.from_url(smtp.url), "c@news.example", max_messages_per_connection=1)
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
        ("PermanentError", False), ("PermanentError", False), ("PermanentError", True), ("TransientError", None),
    ]


async def test_no_server_is_a_transient_failure() -> None:
    dest = SMTPDestination(SMTPConfig.from_url(f"smtp://127.0.0.1:{free_port()}"), "c@x.example", timeout_s=2)
    with pytest.raises(TransientError):
        await dest.send(message(1), "r@example.org")
    await dest.close()


def test_smtp_urls() -> None:
    plain = SMTPConfig.from_url("smtp://mailer%40news:p%3Ass@mail.example:587")
    assert (plain.hostname, plain.port, plain.username, plain.password, plain.implicit_tls) == (
        "mail.example", 587, "mailer@news", "p:ss", False)
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
