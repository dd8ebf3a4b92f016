"""Composing emails: templates, escaping, overrides, and headers no input can break."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from commentsvc.clock import now_utc
from commentsvc.config import Settings, parse_settings
from commentsvc.models import Comment, Kind, Site, Status, Thread
from commentsvc.notify.compose import (
    Composer,
    article_url,
    header_line,
    header_text,
    html_to_text,
    phrase,
    unstructured,
)
from commentsvc.notify.sender import SMTPConfig, SMTPDestination
from commentsvc.render import render_body
from commentsvc.validation import Fields
from tests.notify.conftest import SMTPServer
from tests.support import TEST_SECRET


def settings(tmp_path: Path) -> Settings:
    return parse_settings(
        {
            "COMMENTSVC_DATA_DIR": str(tmp_path / "data"),
            "COMMENTSVC_SECRET_KEY": TEST_SECRET,
            "COMMENTSVC_PUBLIC_URL": "https://comments.news.example",
            "COMMENTSVC_MAIL_FROM": "comments@news.example",
        }
    )


SITE = Site("default", "The Daily Example", ("https://www.news.example",))
THREAD = Thread(
    7,
    "default",
    "world/ferry",
    "https://www.news.example/world/ferry",
    "Ferry returns",
    False,
    3,
    0,
    5,
)


def comment(body: str = "A fair point, well made.", name: str = "Ann", **extra: Any) -> Comment:
    values: dict[str, Any] = {
        "id": "01jabcdefghjkmnpqrstvwxyz0",
        "site_id": "default",
        "thread_id": 7,
        "parent_id": None,
        "root_id": "01jabcdefghjkmnpqrstvwxyz0",
        "depth": 0,
        "kind": Kind.COMMENT,
        "anchor": None,
        "author_name": name,
        "author_email": "ann@example.org",
        "ip_hash": None,
        "user_agent": "",
        "body": body,
        "body_html": render_body(body),
        "body_hash": "h",
        "status": Status.APPROVED,
        "moderation": {},
        "votes_up": 0,
        "votes_down": 0,
        "flag_count": 0,
        "created_at": now_utc(),
        "edited_at": None,
        "first_approved_at": now_utc(),
        "notified_at": None,
        "edit_token_hash": "t",
        "version": 1,
    }
    values.update(extra)
    return Comment(**values)


def build(
    composer: Composer,
    c: Comment,
    recipient: str = "reader@example.org",
    site: Site = SITE,
    thread: Thread = THREAD,
) -> bytes:
    unsubscribe = "https://comments.news.example/u/s1-abc.def.ghi"
    context = composer.base_context(site, thread, unsubscribe)
    context["comment"] = composer.comment_context(c, context["thread"]["url"])
    rendered = composer.render(site.id, "thread", context)
    return composer.message(
        site=site,
        recipient=recipient,
        rendered=rendered,
        message_id=composer.comment_message_id(c.id, recipient),
        unsubscribe_url=unsubscribe,
        now=now_utc(),
        references=[composer.thread_message_id(thread.id, recipient)],
    )


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def test_headers_and_both_parts(tmp_path: Path) -> None:
    composer = Composer(settings(tmp_path))
    raw = build(composer, comment())
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["From"] == "The Daily Example <comments@news.example>"
    assert msg["To"] == "reader@example.org"
    assert msg["Subject"] == 'New comment on "Ferry returns" by Ann'
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Id"] == '"The Daily Example" <default.comments.news.example>'
    assert re.search(
        rb"\r\nList-Unsubscribe: <https://comments\.news\.example/u/s1-abc\.def\.ghi>\r\n", raw
    )
    assert msg["In-Reply-To"] == composer.thread_message_id(7, "reader@example.org")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "A fair point, well made." in text and "A fair point, well made." in html
    assert "https://www.news.example/world/ferry#comment-01jabcdefghjkmnpqrstvwxyz0" in text
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_message_id_is_stable_per_comment_and_recipient(tmp_path: Path) -> None:
    composer = Composer(settings(tmp_path))
    first = composer.comment_message_id("01jabcdefghjkmnpqrstvwxyz0", "a@example.org")
    assert first == Composer(settings(tmp_path)).comment_message_id(
        "01jabcdefghjkmnpqrstvwxyz0", "a@example.org"
    )
    assert first != composer.comment_message_id("01jabcdefghjkmnpqrstvwxyz0", "b@example.org")
    assert first != composer.comment_message_id("01jabcdefghjkmnpqrstvwxyz1", "a@example.org")
    assert re.fullmatch(r"<comment\.[0-9a-f]{20}@news\.example>", first)
    assert "a@example.org" not in first


def test_user_text_is_escaped_in_html_and_never_breaks_a_header(tmp_path: Path) -> None:
    composer = Composer(settings(tmp_path))
    name = "<script>alert(1)</script>\r\nBcc: victim@example.com"
    site = Site("default", "Evil\r\nX-Site: 1", ())
    thread = Thread(7, "default", "k", "", "Title\u2028Cc: x@example.com\x85more", False, 0, 0, 1)
    msg = parse(build(composer, comment(name=name), site=site, thread=thread))
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert msg["Bcc"] is None and msg["Cc"] is None and msg["X-Site"] is None
    assert msg["Subject"] == (
        'New comment on "Title Cc: x@example.com more" by '
        "<script>alert(1)</script> Bcc: victim@example.com"
    )
    assert msg["From"].addresses[0].display_name == "Evil X-Site: 1"  # type: ignore[attr-defined]


def test_non_ascii_text_is_encoded_and_reads_back(tmp_path: Path) -> None:
    composer = Composer(settings(tmp_path))
    raw = build(composer, comment(body="Très bien — ça marche.", name="Zoë Ångström"))
    assert raw.isascii()
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert "Zoë Ångström" in msg["Subject"]
    assert "Très bien — ça marche." in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_site_overrides_a_template(tmp_path: Path) -> None:
    s = settings(tmp_path)
    override = s.data_dir / "templates" / "default"
    override.mkdir(parents=True)
    (override / "thread.subject.txt").write_text(
        "[{{ site.name }}] {{ comment.author_name }} wrote\n"
    )
    msg = parse(build(Composer(s), comment()))
    assert msg["Subject"] == "[The Daily Example] Ann wrote"
    assert "A fair point" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    other = Site("other", "Other", ())
    assert parse(build(Composer(s), comment(), site=other))["Subject"].startswith("New comment on")


def test_links_only_to_origins_the_site_allows(tmp_path: Path) -> None:
    public = "https://comments.news.example"
    assert article_url(THREAD, SITE, public) == THREAD.url
    phishing = Thread(7, "default", "k", "https://evil.example/login", "t", False, 0, 0, 1)
    assert article_url(phishing, SITE, public) == ""
    ours = Thread(7, "default", "k", "https://comments.news.example/demo", "t", False, 0, 0, 1)
    assert article_url(ours, Site("default", "d", ()), public) == ours.url
    anywhere = Site("default", "d", ("*",))
    assert article_url(phishing, anywhere, public) == phishing.url
    composer = Composer(settings(tmp_path))
    text = parse(build(composer, comment(), thread=phishing)).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "evil.example" not in text


def test_header_text_and_html_to_text() -> None:
    assert header_text("a\r\nb\tc\u2028d\u2029e\x85f\x00g\u200bh") == "a b c d e f g h"
    assert header_text("x" * 300, 10) == "xxxxxxxxx…"
    assert html_to_text(render_body("one & <two>\n\nthree https://a.example/x")) == (
        "one & <two>\n\nthree https://a.example/x"
    )


# ----- hostile review: RFC 2047 encoded words can't smuggle a header (CVE-2024-6923) -----

BREAKS = ("\r", "\n", "\r\n", "\x85", "\u2028", "\u2029", "\x0b", "\x0c")
INJECTED = "Bcc: victim@example.com"
ENCODED_WORDS = (
    "=?utf-8?q?=0D=0ABcc:_victim@example.com?=",
    "=?UTF-8?Q?=0d=0aBcc:_victim@example.com?=",
    "=?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLmNvbQ==?=",
    "=?UTF-8?B?DQpCY2M6IHZpY3RpbUBleGFtcGxlLmNvbQ==?=",
    "=?iso-8859-1?q?=0A=0AX-Forged:_body?=",
    "=?utf-8?q?=E2=80=A8Cc:_x@example.com?=",
)


def hostile_texts() -> list[str]:
    """Names, titles and site names an attacker might choose."""
    texts = [f"Eve {word} end" for word in ENCODED_WORDS]
    texts += [f"Eve{br}{INJECTED}" for br in BREAKS]
    texts += [f"Zoë {ENCODED_WORDS[0]} Ångström", "=?utf-8?q?" + "A" * 300 + "?="]
    texts.append("Pneumonoultramicroscopic" * 12 + " " + ENCODED_WORDS[2])  # forces folding
    texts.append("Ünïcödé" * 40 + "\r\n" + INJECTED)
    return texts


def every_template(composer: Composer, name: str, title: str, site_name: str) -> dict[str, bytes]:
    """Each shipped template, with the context the notifier gives it, as it goes on the wire."""
    site = Site("default", site_name, ("https://www.news.example",))
    thread = Thread(7, "default", "k", "https://www.news.example/k", title, False, 1, 0, 2)
    unsubscribe = "https://comments.news.example/u/s1-abc.def.ghi"
    recipient = "reader@example.org"
    parent = comment(name=name, id="01jabcdefghjkmnpqrstvwxyz1")
    child = comment(name=name, parent_id=parent.id)
    contexts: dict[str, dict[str, Any]] = {}
    for template in ("thread", "reply", "approved", "digest", "confirm", "moderators"):
        context = composer.base_context(
            site, None if template == "moderators" else thread, unsubscribe
        )
        context["comment"] = composer.comment_context(child, context["thread"]["url"])
        context["parent"] = {"mine": True, "author_name": name, "excerpt": "An earlier point."}
        context["comments"] = [context["comment"], composer.comment_context(parent, "")]
        context["window_minutes"] = 10
        context["kind"] = "replies"
        context["confirm_url"] = "https://comments.news.example/s/token"
        context["expires_days"] = 7
        context["items"] = [
            {"author_name": name, "site": "default", "thread_title": title, "excerpt": "x"}
        ]
        context["total"] = 3
        context["moderate_url"] = "https://comments.news.example/moderate"
        context["interval_minutes"] = 15
        contexts[template] = context
    return {
        template: composer.message(
            site=site,
            recipient=recipient,
            rendered=composer.render(site.id, template, context),
            message_id=composer.other_message_id(template, "1", recipient),
            unsubscribe_url=unsubscribe,
            now=now_utc(),
            references=[composer.thread_message_id(7, recipient)] if template != "confirm" else [],
        )
        for template, context in contexts.items()
    }


EXPECTED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "auto-submitted",
    "x-auto-response-suppress",
    "mime-version",
    "content-type",
}


def test_an_encoded_word_in_user_text_reads_back_as_the_text_typed() -> None:
    """The one-line reproduction from the review, through our header builders."""
    for word in ENCODED_WORDS:
        text = f"x {word}"
        raw = (
            unstructured("Subject", text)
            + f"From: {phrase(text, 'From')} <a@b.example>\r\n".encode()
        )
        message = email.message_from_bytes(raw + b"\r\n", policy=policy.default)
        assert sorted(message.keys()) == ["From", "Subject"]
        assert str(message["Subject"]) == text
        assert "\n" not in str(message["From"]) and "\r" not in str(message["From"])


async def test_hostile_names_titles_and_site_names_never_add_or_break_a_header(
    tmp_path: Path, smtp: SMTPServer
) -> None:
    composer = Composer(settings(tmp_path))
    dest = SMTPDestination(SMTPConfig.from_url(smtp.url), "comments@news.example")
    texts = hostile_texts()
    sent: list[tuple[str, str]] = []
    try:
        for i, text in enumerate(texts):
            # Each text in turn as the name, the title and the site name, the others plain.
            for where, (name, title, site_name) in {
                "name": (text, "Ferry returns", "The Daily Example"),
                "title": ("Ann", text, "The Daily Example"),
                "site": ("Ann", "Ferry returns", text),
            }.items():
                for template, raw in every_template(composer, name, title, site_name).items():
                    assert raw.isascii()
                    recipient = f"r{i}.{where}.{template}@example.org"
                    await dest.send(raw, recipient)
                    sent.append((recipient, text))
    finally:
        await dest.close()
    assert len(smtp.messages) == len(sent) == len(texts) * 3 * 6
    for received, (recipient, text) in zip(smtp.messages, sent, strict=True):
        assert received.rcpt_tos == [recipient]
        head = received.raw.split(b"\r\n\r\n", 1)[0]
        assert not re.search(rb"^(bcc|cc|x-forged):", head, re.IGNORECASE | re.MULTILINE)
        message = received.message
        expected = set(EXPECTED_HEADERS)
        if ".confirm@" not in recipient:
            expected |= {"in-reply-to", "references"}
        assert {k.lower() for k in message} == expected, recipient
        for key, value in message.items():
            assert not any(br in str(value) for br in BREAKS), (key, value)
        # What the reader sees is what was typed, on one line: encoded words stay text.
        where, template = recipient.split("@")[0].split(".")[1:]
        if where == "site":
            # Python's address parser keeps the folding space between two encoded words of
            # a long display name (RFC 2047 says to drop it), so compare without spaces.
            shown = "".join(header_text(text, 100).split())
            display = message["From"].addresses[0].display_name  # type: ignore[attr-defined]
            assert "".join(display.split()) == shown
        elif (where, template) in {("name", "thread"), ("name", "reply")} or (
            where == "title" and template != "moderators"
        ):
            shown = header_text(text, 990)[:40]
            assert shown in message["Subject"], (recipient, message["Subject"])
        for line in head.split(b"\r\n"):
            assert len(line) <= 998


def test_an_address_that_spells_an_encoded_word_is_refused() -> None:
    fields = Fields({"email": "=?utf-8?b?DQpCY2M6IHZAZS5jb20=?=@example.com"})
    assert fields.email("email") is None
    assert fields.errors
    composer_value = "=?utf-8?q?x?=@example.com"
    with pytest.raises(ValueError, match="encoded-word"):
        header_line("To", composer_value)
