"""The reporter's emails: a confirmation first; "it was corrected" once, in their language,
and only to an address they confirmed (DESIGN §6)."""

from __future__ import annotations

import email
import mailbox
import re
from email import policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from tests.moderators.helpers import moderator_token
from tests.notify.conftest import notify
from tests.support import runtime_of

Client = TestClient[Any, Any]
KEY = "world/figures"
ANCHOR = {"quote": "42 million", "prefix": "about ", "suffix": " people", "block": "p2"}
READER = "leser@example.org"


def mails(client: Client, to: str = READER) -> list[EmailMessage]:
    path = runtime_of(client).settings.maildir
    if not path.exists():
        return []
    found = []
    for raw in mailbox.Maildir(path, create=False):
        msg = email.message_from_bytes(raw.as_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        if msg["To"] == to:
            found.append(msg)
    return found


async def settle(client: Client) -> None:
    """The notifier sends what is queued (the reporter's mails are deliveries rows)."""
    await notify(client)


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def file_report(client: Client, **fields: Any) -> dict[str, Any]:
    data = {"thread": KEY, "anchor": ANCHOR, "note": "Es sind 24 Millionen.", **fields}
    resp = await client.post("/api/v1/corrections", json=data)
    assert resp.status == 202, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]


async def correct(client: Client, headers: dict[str, str], note: str = "Zahl berichtigt.") -> None:
    listed = await client.get(
        "/api/v1/moderation/corrections", params={"status": "all"}, headers=headers
    )
    for item in (await listed.json())["items"]:
        resp = await client.post(
            f"/api/v1/moderation/corrections/{item['id']}/decision",
            json={"action": "correct", "public_note": note},
            headers=headers,
        )
        assert resp.status == 200, await resp.text()
    await settle(client)


async def test_a_confirmed_reporter_is_told_once_in_their_language(client: Client) -> None:
    await file_report(client, email=READER, lang="de")
    await settle(client)
    [confirm] = mails(client)
    assert "bestätigen" in str(confirm["Subject"]).lower()
    assert confirm["List-Unsubscribe"]
    link = re.search(r"https?://\S+/c/\S+", text_of(confirm))
    assert link is not None
    path = urlsplit(link.group(0)).path

    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status == 200
    html = await page.text()
    assert '<html lang="de"' in html and "l…@example.org" in html
    mod = await moderator_token(client, "desk@example.org")
    # Nothing until the address is confirmed.
    await correct(client, mod)
    assert len(mails(client)) == 1

    done = await client.post(path)
    assert done.status == 200
    await settle(client)  # confirmed after the correction: told now
    told = [m for m in mails(client) if "Korrigiert" in str(m["Subject"])]
    assert len(told) == 1
    body = text_of(told[0])
    assert "42 million" in body and "Zahl berichtigt." in body
    assert told[0]["Message-ID"]

    # Corrected again, confirmed again: never a second email.
    await correct(client, mod, "Noch einmal.")
    assert (await client.post(path)).status == 200
    await settle(client)
    assert len([m for m in mails(client) if "Korrigiert" in str(m["Subject"])]) == 1


async def test_an_unconfirmed_reporter_gets_nothing_but_the_confirmation(client: Client) -> None:
    await file_report(client, email=READER, lang="fr")
    await settle(client)
    mod = await moderator_token(client, "desk@example.org")
    await correct(client, mod)
    [only] = mails(client)
    assert "Confirmez" in str(only["Subject"])


async def one_click_path(client: Client) -> str:
    """The path of the List-Unsubscribe link in the confirmation a new report sends."""
    await file_report(client, email=READER)
    await settle(client)
    [confirm] = mails(client)
    unsubscribe = re.search(r"<([^>]+)>", str(confirm["List-Unsubscribe"]))
    assert unsubscribe is not None
    return urlsplit(unsubscribe.group(1)).path


async def test_one_click_on_the_link_stops_all_email(client: Client) -> None:
    path = await one_click_path(client)
    offer = await client.get(path)
    html = await offer.text()
    assert offer.status == 200 and "Never email this address again" in html
    assert "Yes, tell me" not in html  # the stop link never confirms
    resp = await client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert resp.status == 200
    assert await runtime_of(client).store.subscriptions.is_suppressed(READER)
    await file_report(client, email=READER)  # a suppressed address gets no confirmation
    await settle(client)
    assert len(mails(client)) == 1


async def test_a_one_click_form_in_a_charset_we_lack_is_a_400(client: Client) -> None:
    # request.post() raised LookupError for it (a broken form raises ValueError): a 500.
    resp = await client.post(
        await one_click_path(client),
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=bogus"},
    )
    assert resp.status == 400 and resp.content_type == "application/problem+json"
    assert not await runtime_of(client).store.subscriptions.is_suppressed(READER)


async def test_a_forged_link_is_a_404_page_that_changes_nothing(client: Client) -> None:
    await file_report(client, email=READER)
    await settle(client)
    [confirm] = mails(client)
    link = re.search(r"https?://\S+/c/(\S+)", text_of(confirm))
    assert link is not None
    forged = link.group(1)[:-2] + ("AA" if not link.group(1).endswith("AA") else "BB")
    resp = await client.post(f"/c/{forged}", headers={"Accept": "text/html"})
    assert resp.status == 404
    assert "html" in resp.content_type
    for method in ("GET", "POST"):  # not a browser: problem+json, like the /s/ and /u/ links
        resp = await client.request(method, f"/c/{forged}")
        assert resp.status == 404 and resp.content_type == "application/problem+json"
    store = runtime_of(client).store
    found = await store.corrections.listing("default", None)
    assert found[0].email_confirmed_at is None
