"""A disabled webhook endpoint's alert really reaches the site's admins (issue 14).

The endpoint's receiver (a real server on 127.0.0.1) answers 500; the worker disables the
endpoint; the notifier sends the alert to a real SMTP server (aiosmtpd on 127.0.0.1).
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from commentsvc.webhooks import events as ev
from tests.desk.test_webhooks import Clock, Receiver, _endpoint, _worker, receiver
from tests.moderators.helpers import moderator_token
from tests.notify.conftest import SMTPServer, client, notify, smtp
from tests.support import runtime_of
from tests.web.helpers import post

__all__ = ["client", "receiver", "smtp"]  # fixtures: the app mailing the SMTP server

Client = TestClient[Any, Any]


async def test_the_disabled_alert_email_arrives(
    client: Client, receiver: Receiver, smtp: SMTPServer
) -> None:
    admin = await moderator_token(client, "Chief@Example.org", role="admin", sites=("*",))
    await moderator_token(client, "mod@example.org", sites=("*",))  # not an admin: no email
    endpoint = await _endpoint(client, receiver.url, admin, events=[ev.RECEIVED])
    worker = _worker(client, Clock(), disable_after=1)
    try:
        receiver.statuses = [500]
        await post(client, thread="world/down")
        await worker.run_once()
    finally:
        await worker.close()
    assert receiver.tries == 1
    [listed] = await runtime_of(client).store.webhooks.endpoints("default")
    assert not listed.enabled

    await notify(client)
    assert smtp.to("mod@example.org") == []
    [mail] = smtp.to("chief@example.org")
    site = await runtime_of(client).store.sites.get("default")
    assert site is not None
    msg = mail.message
    assert mail.rcpt_tos == ["chief@example.org"] and mail.mail_from == "comments@news.example"
    assert msg["To"] == "chief@example.org"
    assert msg["From"].addresses[0].addr_spec == "comments@news.example"
    assert msg["Subject"] == f"Webhook disabled on {site.name}"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].startswith("<webhook_disabled.")
    assert msg["List-Unsubscribe"].startswith("<http")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Date"] is not None
    text = mail.text()
    assert f"endpoint {endpoint['id']}" in text and receiver.url in text
    assert "HTTP 500" in text and f"commentsvc webhook enable {endpoint['id']}" in text
    assert receiver.url in mail.html()

    await notify(client)  # one email per disabling, never repeated
    assert len(smtp.to("chief@example.org")) == 1
