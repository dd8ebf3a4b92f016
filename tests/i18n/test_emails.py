"""Every email template renders in every shipped language: no key missing, no placeholder
left, right-to-left where it should be, and a valid MIME message (headers through compose's
RFC 2047 protections)."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from commentsvc.clock import now_utc
from commentsvc.i18n import LANGUAGES, RTL
from commentsvc.notify.compose import Composer, Rendered
from tests.notify.test_compose import SITE, THREAD, comment, settings

TEMPLATES = (
    "approved", "confirm", "digest", "mine", "moderators", "reply", "thread", "webhook_disabled"
)  # fmt: skip
LEFTOVER = re.compile(r"\{[a-z_]+\}|\{\{|\}\}|\{%")
# Hostile user text in every header-bearing field: it must stay one line of the Subject.
NAME = "Zoë =?utf-8?q?=0D=0ABcc:_x@y?= \u202eEve"
TITLE = "Fähre\r\nBcc: victim@example.com"


def contexts(composer: Composer, count: int) -> dict[str, dict[str, Any]]:
    c = comment(name=NAME)
    base = composer.base_context(SITE, THREAD, "https://comments.news.example/u/tok")
    base["thread"]["title"] = TITLE
    one = composer.comment_context(c, base["thread"]["url"])
    many = [composer.comment_context(c, base["thread"]["url"]) for _ in range(count)]
    parent = {"mine": count % 2 == 1, "author_name": "Bo", "excerpt": "Earlier words"}
    item = {"author_name": NAME, "site": "other", "thread_title": TITLE, "excerpt": "text"}
    return {
        "approved": {**base, "comment": one},
        "confirm": {
            **base,
            "kind": "thread" if count % 2 else "replies",
            "confirm_url": "https://c.example/s/t",
            "expires_days": count,
        },
        "digest": {**base, "comments": many, "window_minutes": count},
        "mine": {**base, "link_url": "https://c.example/m/t", "expires_hours": count},
        "moderators": {
            **base,
            "items": [item],
            "total": count + 1,
            "moderate_url": "https://c.example/moderate",
            "interval_minutes": count,
        },
        "reply": {**base, "comment": one, "parent": parent},
        "thread": {**base, "comment": one},
        "webhook_disabled": {
            **base,
            "url": "https://hooks.example/in?a=1&b=<2>",
            "failures": count,
            "reason": "HTTP 500 from <server> & co",
            "endpoint_id": count,
        },
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_renders_in_every_language(tmp_path: Path, lang: str) -> None:
    composer = Composer(settings(tmp_path))
    for count in (1, 2, 5, 21):
        for name, context in contexts(composer, count).items():
            rendered = composer.render(SITE.id, name, context, lang)
            for part in (rendered.subject, rendered.text, rendered.html):
                assert not LEFTOVER.search(part), (lang, name, part)
            assert f'<html lang="{lang}" dir="{"rtl" if lang in RTL else "ltr"}">' in rendered.html
            if lang != "en":
                english = composer.render(SITE.id, name, context, "en")
                assert rendered.subject != english.subject, (lang, name)
            check_message(composer, rendered)


def check_message(composer: Composer, rendered: Rendered) -> None:
    raw = composer.message(
        site=SITE,
        recipient="reader@example.org",
        rendered=rendered,
        message_id="<m.1@news.example>",
        unsubscribe_url="https://comments.news.example/u/tok",
        now=now_utc(),
    )
    assert raw.isascii()
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    assert not msg.defects
    assert sorted(k for k in msg if k in ("Subject", "Bcc", "Cc")) == ["Subject"]
    assert str(msg["Subject"]) == rendered.subject
    assert "\n" not in str(msg["Subject"])
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == rendered.text.replace("\r\n", "\n")
    assert html.get_content().replace("\r\n", "\n") == rendered.html.replace("\r\n", "\n")


def test_english_emails_read_as_before(tmp_path: Path) -> None:
    composer = Composer(settings(tmp_path))
    ctx = contexts(composer, 3)["digest"]
    ctx["thread"]["title"] = "Ferry returns"
    assert composer.render(SITE.id, "digest", ctx).subject == '3 new comments on "Ferry returns"'
    de = composer.render(SITE.id, "digest", ctx, "de")
    assert de.subject == "3 neue Kommentare zu „Ferry returns“"
    pl = composer.render(SITE.id, "digest", {**ctx, "comments": ctx["comments"][:1] * 5}, "pl")
    assert pl.subject.startswith("5 nowych komentarzy")
