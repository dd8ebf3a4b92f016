"""Subscribing, the confirm and unsubscribe pages, RFC 8058 one-click, forged links."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from commentsvc.clock import now_utc
from commentsvc.i18n import shipped
from commentsvc.models import Status, SubscriptionKind
from commentsvc.store.records import Transition
from commentsvc.store.tables import subscriptions, suppressions
from tests.notify.conftest import SMTPServer, notify, set_policy, subscriber
from tests.support import live_client, make_settings, runtime_of
from tests.web.helpers import assert_problem, expect_problem, post

THREAD = "world/test-article"
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}


async def subscribe(
    client: TestClient[Any, Any], email: str, thread: str = THREAD, kind: str = "thread"
) -> tuple[int, Any]:
    resp = await client.post(
        "/api/v1/subscriptions", json={"thread": thread, "email": email, "kind": kind}
    )
    return resp.status, await resp.json()


async def table(client: TestClient[Any, Any], t: sa.Table) -> list[dict[str, Any]]:
    async with runtime_of(client).store.db.read() as conn:
        return [dict(r) for r in (await conn.execute(sa.select(t))).mappings()]


def unsubscribe_path(header: str) -> str:
    return urlsplit(header.strip().strip("<>")).path


@contextlib.asynccontextmanager
async def client_with_limits(
    tmp_path: Path, sqlite_url: str, redis_url: str, smtp: SMTPServer, limits: str
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = make_settings(
        tmp_path, sqlite_url, redis_url, COMMENTSVC_RATE_LIMITS=limits, COMMENTSVC_SMTP_URL=smtp.url
    )
    async with live_client(settings) as c:
        yield c


async def test_the_answer_never_tells_whether_an_address_is_known(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    store = runtime_of(client).store
    await subscriber(store, "known@example.org")
    await store.subscriptions.suppress("blocked@example.org", "unsubscribed_all", now_utc())
    answers = [
        await subscribe(client, e)
        for e in ("new@example.org", "known@example.org", "blocked@example.org")
    ]
    assert {status for status, _ in answers} == {202}
    assert answers[0][1] == answers[1][1] == answers[2][1]
    await notify(client)
    assert [m.rcpt_tos for m in smtp.messages] == [["new@example.org"]]


async def test_bad_requests_are_clear_4xx(client: TestClient[Any, Any]) -> None:
    cases = [
        ({"thread": THREAD, "email": "not-an-address"}, 422, "email"),
        ({"thread": THREAD, "email": "a@example.org", "kind": "everything"}, 422, "kind"),
        ({"email": "a@example.org"}, 422, "thread"),
        ({"site": "nowhere", "thread": THREAD, "email": "a@example.org"}, 422, "site"),
    ]
    for body, status, field in cases:
        resp = await client.post("/api/v1/subscriptions", json=body)
        problem = await resp.json()
        assert_problem(status, problem, resp.content_type)
        assert field in {e["field"] for e in problem["errors"]}
    resp = await client.post(
        "/api/v1/subscriptions", data=b"email=a@example.org", headers=ONE_CLICK
    )
    assert resp.status == 415


async def test_confirmation_emails_are_limited_per_address_and_per_ip(
    tmp_path: Path, sqlite_url: str, redis_url: str, redis: Any, smtp: SMTPServer
) -> None:
    limits = "subscribe=1000/60,confirm_email=3/86400,confirm_ip=6/3600"
    async with client_with_limits(tmp_path, sqlite_url, redis_url, smtp, limits) as client:
        for i in range(5):
            status, _ = await subscribe(client, "target@example.org", thread=f"t/{i}")
            assert status == 202
        await notify(client)
        assert len(smtp.to("target@example.org")) == 3, (
            "at most 3 confirmations a day to one address"
        )
        assert (await subscribe(client, "other@example.org"))[0] == 202
        resp = await client.post(
            "/api/v1/subscriptions", json={"thread": THREAD, "email": "third@example.org"}
        )
        assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
        assert_problem(429, await resp.json(), resp.content_type)


async def test_confirm_page_confirms_nothing_until_its_button(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await subscribe(client, "page@example.org")
    await notify(client)
    [mail] = smtp.to("page@example.org")
    path = mail.link("s")
    resp = await client.get(path, headers={"Accept": "text/html"})
    assert resp.status == 200 and resp.content_type == "text/html"
    html = await resp.text()
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp and "'nonce-" in csp
    assert (
        resp.headers["Cache-Control"] == "no-store"
        and resp.headers["Referrer-Policy"] == "no-referrer"
    )
    assert f'<form method="post" action="{path}">' in html and "<script" not in html
    assert "p…@example.org" in html and "page@example.org" not in html
    [row] = await table(client, subscriptions)
    assert row["confirmed_at"] is None
    resp = await client.post(path, headers={"Accept": "text/html"})
    assert resp.status == 200 and "Subscription confirmed" in await resp.text()
    [row] = await table(client, subscriptions)
    assert row["confirmed_at"] is not None
    assert (await client.post(path)).status == 200, "confirming twice is fine"


async def test_one_click_unsubscribe_stops_further_mail(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await subscriber(runtime_of(client).store, "leaving@example.org")
    await post(client, body="The last email you want.")
    await notify(client)
    [mail] = smtp.to("leaving@example.org")
    path = unsubscribe_path(mail.message["List-Unsubscribe"])
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    resp = await client.post(path, data="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert resp.status == 200
    assert await table(client, subscriptions) == []
    assert await table(client, suppressions) == [], "one click ends that subscription only"
    await post(client, body="Nobody should hear of this one.")
    await notify(client)
    assert len(smtp.to("leaving@example.org")) == 1
    again = await client.post(path, data="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert again.status == 200, "one-click is idempotent"


async def test_forged_or_altered_tokens_change_nothing(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    store = runtime_of(client).store
    await subscriber(store, "stays@example.org")
    await subscribe(client, "pending@example.org")
    await post(client, body="A comment to get a real link.")
    await notify(client)
    [mail] = smtp.to("stays@example.org")
    real = unsubscribe_path(mail.message["List-Unsubscribe"]).removeprefix("/u/")
    confirm = smtp.to("pending@example.org")[0].link("s").removeprefix("/s/")
    _ref, _, rest = real.partition("-")
    flipped = real[:-1] + ("A" if real[-1] != "A" else "B")
    other_id = "s999" + "-" + rest
    before = (await table(client, subscriptions), await table(client, suppressions))
    for path in (
        f"/u/{flipped}",
        f"/u/{other_id}",
        f"/u/{confirm}",
        f"/s/{real}",
        "/u/nonsense",
        f"/s/{confirm[:-2]}",
        f"/u/{'x' * 500}",
    ):
        for method in ("GET", "POST"):
            resp = await client.request(
                method, path, data="List-Unsubscribe=One-Click&scope=all", headers=ONE_CLICK
            )
            assert resp.status in (400, 404), (method, path, resp.status)
            assert_problem(resp.status, await resp.json(), resp.content_type)
    resp = await client.post(f"/u/{flipped}", headers={"Accept": "text/html"})
    assert resp.status == 404 and "This link doesn" in await resp.text()
    assert (await table(client, subscriptions), await table(client, suppressions)) == before
    await post(client, body="Still subscribed after all that.")
    await notify(client)
    assert len(smtp.to("stays@example.org")) == 2


async def test_a_one_click_form_in_a_charset_we_lack_is_a_400(
    client: TestClient[Any, Any],
) -> None:
    # request.post() raised LookupError for it (not the ValueError of a broken form): a 500,
    # before the link was even read.
    bogus = {"Content-Type": "application/x-www-form-urlencoded; charset=bogus"}
    for path in ("/u/nonsense", "/u/" + "x" * 40):
        resp = await client.post(path, data=b"List-Unsubscribe=One-Click", headers=bogus)
        await expect_problem(resp, 400)


async def test_stop_all_mail_suppresses_the_address(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    store = runtime_of(client).store
    sub = await subscriber(store, "done@example.org")
    await subscriber(store, "done@example.org", thread_key="other/article")
    await subscriber(store, "done@example.org", kind=SubscriptionKind.REPLIES)
    await post(client, body="Something to unsubscribe from.")
    await notify(client)
    [mail] = smtp.to("done@example.org")
    path = unsubscribe_path(mail.message["List-Unsubscribe"])
    page = await (await client.get(path)).text()
    assert page.count("<form") == 2 and 'name="scope" value="all"' in page
    assert await store.subscriptions.get(sub.id) is not None, "GET changed nothing"
    resp = await client.post(path, data="List-Unsubscribe=One-Click&scope=all", headers=ONE_CLICK)
    assert resp.status == 200
    assert [r["email"] for r in await table(client, subscriptions)] == []
    [row] = await table(client, suppressions)
    assert (row["email"], row["reason"]) == ("done@example.org", "unsubscribed_all")
    assert (await subscribe(client, "DONE@example.org"))[0] == 202
    await post(client, body="Not for the suppressed.")
    await notify(client)
    assert len(smtp.to("done@example.org")) == 1


async def test_a_comments_notify_choice_subscribes_its_author(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await post(
        client, body="Tell me about follow-ups.", author_email="keen@example.org", notify="thread"
    )
    await post(
        client,
        body="Bot with a filled honeypot.",
        author_email="bot@example.org",
        notify="thread",
        website="http://x.example",
    )
    await notify(client)
    [mail] = smtp.to("keen@example.org")
    assert mail.message["Subject"] == 'Confirm: email me about new comments on "world/test-article"'
    assert [r["email"] for r in await table(client, subscriptions)] == ["keen@example.org"]
    assert (await client.post(mail.link("s"))).status == 200
    await post(client, body="A follow-up.", author_email="someone@example.org")
    await notify(client)
    assert len(smtp.to("keen@example.org")) == 2


async def test_author_note_link_stops_all_mail(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await set_policy(client, mode="premoderate")
    held = await post(client, body="Held for review.", author_email="author@example.org")
    await notify(client)
    await runtime_of(client).service.transition(
        Transition(
            held["id"],
            frozenset({"pending"}),
            Status.APPROVED,
            actor="mod@example.org",
            action="approve",
        )
    )
    await notify(client)
    [note] = smtp.to("author@example.org")
    path = unsubscribe_path(note.message["List-Unsubscribe"])
    page = await (await client.get(path)).text()
    assert page.count("<form") == 1 and "Stop all email" in page
    assert (
        await client.post(path, data="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    ).status == 200
    [row] = await table(client, suppressions)
    assert row["email"] == "author@example.org"


async def test_emails_are_in_the_readers_language_else_the_sites(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    """A subscription remembers the `lang` its reader sent ('pt-BR' → Portuguese); without
    one, or with a language we don't ship, the site's default language is used."""
    runtime = runtime_of(client)
    folder = runtime.settings.data_dir / "i18n" / "default"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.json").write_text('{"default": "fr"}', encoding="utf-8")
    asked = {"pt@example.org": "pt-BR", "ja@example.org": "ja", "xx@example.org": "xx-YY"}
    for email, lang in asked.items():
        resp = await client.post(
            "/api/v1/subscriptions", json={"thread": THREAD, "email": email, "lang": lang}
        )
        assert resp.status == 202, await resp.text()
    assert (await subscribe(client, "none@example.org"))[0] == 202
    await notify(client)
    html_lang = {
        m.rcpt_tos[0]: m.html().split('<html lang="', 1)[1].split('"', 1)[0] for m in smtp.messages
    }
    assert html_lang == {
        "pt@example.org": "pt",
        "ja@example.org": "ja",
        "xx@example.org": "fr",
        "none@example.org": "fr",
    }
    subjects = {m.rcpt_tos[0]: m.message["Subject"] for m in smtp.messages}
    assert subjects["pt@example.org"] != subjects["none@example.org"]
    rows = {r["email"]: r["lang"] for r in await table(client, subscriptions)}
    assert rows == {
        "pt@example.org": "pt",
        "ja@example.org": "ja",
        "xx@example.org": None,
        "none@example.org": None,
    }


async def test_a_malformed_language_tag_is_a_clear_422(client: TestClient[Any, Any]) -> None:
    for bad in ("en;q=1", "<script>", 7, "a" * 60):
        resp = await client.post(
            "/api/v1/subscriptions", json={"thread": THREAD, "email": "a@example.org", "lang": bad}
        )
        problem = await expect_problem(resp, 422)
        assert {e["field"] for e in problem["errors"]} == {"lang"}


async def test_the_link_pages_speak_the_subscriptions_language_else_the_browsers(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    """A subscription made in German opens German pages whatever the browser says; one
    made with no language follows Accept-Language; every page is escaped and whole."""
    de = shipped("de")
    ja = shipped("ja")
    resp = await client.post(
        "/api/v1/subscriptions",
        json={"thread": THREAD, "email": "leser@example.org", "lang": "de"},
    )
    assert resp.status == 202
    assert (await subscribe(client, "reader@example.org"))[0] == 202
    await notify(client)
    german = smtp.to("leser@example.org")[0].link("s")
    plain = smtp.to("reader@example.org")[0].link("s")

    page = await (await client.get(german, headers={"Accept-Language": "ja"})).text()
    assert '<html lang="de" dir="ltr">' in page and str(de["sub.yes"]) in page
    page = await (await client.get(plain, headers={"Accept-Language": "ja, en;q=0.5"})).text()
    assert '<html lang="ja" dir="ltr">' in page and str(ja["sub.yes"]) in page
    page = await (await client.get(plain, headers={"Accept-Language": "ar"})).text()
    assert '<html lang="ar" dir="rtl">' in page
    page = await (await client.get(plain)).text()
    assert '<html lang="en"' in page and "Yes, email me" in page and "{email}" not in page

    confirmed = await client.post(german)
    assert str(de["sub.title.confirmed"]) in await confirmed.text()
    unsubscribe = smtp.to("leser@example.org")[0].link("u")
    page = await (await client.get(unsubscribe)).text()
    assert str(de["sub.stop_all"]) in page and str(de["sub.unsubscribe"]) in page
    forged = await client.get(
        "/s/" + "x" * 40, headers={"Accept-Language": "de", "Accept": "text/html"}
    )
    assert forged.status == 404 and str(de["sub.invalid"]) in await forged.text()


async def test_a_comments_notify_choice_keeps_the_widgets_language(
    client: TestClient[Any, Any], smtp: SMTPServer
) -> None:
    await post(client, author_email="autor@example.org", notify="replies", lang="pl-PL")
    await notify(client)
    (mail,) = smtp.to("autor@example.org")
    assert '<html lang="pl"' in mail.html()
    rows = await table(client, subscriptions)
    assert [(r["email"], r["lang"]) for r in rows] == [("autor@example.org", "pl")]
    resp = await client.post(
        "/api/v1/comments", json={"thread": THREAD, "body": "Hello there.", "lang": ["pl"]}
    )
    problem = await expect_problem(resp, 422)
    assert {e["field"] for e in problem["errors"]} == {"lang"}
