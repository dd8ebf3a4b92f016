"""Emails: text + HTML from Jinja2 templates, with headers no user input can break.

Shipped templates live in `commentsvc/notify/templates/`; a site overrides
any of them by putting a file of the same name in
`<data dir>/templates/<site id>/`. Each email is three templates:
`NAME.subject.txt`, `NAME.txt` and `NAME.html` (HTML autoescaped).

Every message comes from the catalogue of the recipient's language
(`commentsvc.i18n`, `_()` / `_n()` in templates; a site overrides messages
in `<data dir>/i18n/<site id>/<lang>.json`).

Every header value that could carry user text (names, titles, site names)
goes through `header_text`, which turns line breaks and other control
characters into spaces, and is then written by `unstructured` or `phrase`:
plain printable ASCII as it is, anything else (non-ASCII, or text holding the
`=?` that opens an RFC 2047 encoded word) encoded whole by the email
package's `Header`. User text is never handed to the email package's header
*parser*, which would decode an encoded word the user typed
(`=?utf-8?q?=0D=0ABcc:_x@y?=`) back into CR LF and, before CPython 3.11.10 /
3.12.5 (CVE-2024-6923), write it out raw as a new header line. So a name like
"Eve\\r\\nBcc: x@y" stays one line of the Subject, and a name that spells an
encoded word reads back as the characters the reader typed.
"""

from __future__ import annotations

import binascii
import hashlib
import html
import io
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from commentsvc.config import Settings
from commentsvc.i18n import DEFAULT, Catalogues
from commentsvc.models import Comment, Site, Thread

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
SUBJECT_MAX_CHARS = 200
EXCERPT_CHARS = 280
# CRLF line ends; 7-bit safe bodies (quoted-printable or base64 where needed); headers
# fold only past RFC 5322's hard limit, so a List-Unsubscribe URL stays on one line for
# the simple parsers some mail providers use.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998, cte_type="7bit")
UTF8_POLICY = MAIL_POLICY.clone(utf8=True)  # only for an address that is not ASCII (SMTPUTF8)
MAX_7BIT_LINE = 998
ENCODED_LINE_CHARS = 78  # RFC 5322's recommended line length, for headers we encode
ENCODED_WORD_OPENER = "=?"
# Replaced by a space in header text: controls, format characters (zero-width, bidi),
# line and paragraph separators, and lone surrogates (they cannot be encoded).
_UNSAFE_IN_HEADER = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs"))
SHARED_HEADERS_CACHE = 4096
_SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SPACES = re.compile(r"\s+")


def as_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire, flattened with `MAIL_POLICY`."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=MAIL_POLICY).flatten(message)
    return buffer.getvalue()


def header_line(name: str, value: str) -> bytes:
    """One header line for a value we generated or validated (ids, dates, our URLs, an
    address); folded by the email package if it is not plain printable ASCII.

    Such a value never holds an encoded-word opener: addresses that do are refused
    when they are entered (`validation.Fields.email`), so one here is a bug.
    """
    if ENCODED_WORD_OPENER in value:
        raise ValueError(f"{name} value holds an RFC 2047 encoded-word opener")
    if not (value.isascii() and value.isprintable() and len(value) <= 990):
        value = header_text(value, 990)
    if value.isascii() and value.isprintable():
        return f"{name}: {value}\r\n".encode("ascii")
    folded: str = UTF8_POLICY.header_factory(name, value).fold(policy=UTF8_POLICY)
    return folded.encode("utf-8")


def _plain(text: str) -> bool:
    """Text a header can carry as it is: printable ASCII that no reader decodes."""
    return text.isascii() and text.isprintable() and ENCODED_WORD_OPENER not in text


def _encoded(text: str, header_name: str) -> str:
    """`text` as RFC 2047 encoded words (UTF-8), folded with CRLF; what a reader decodes
    is exactly `text`, whatever it holds."""
    return Header(text, "utf-8", header_name=header_name).encode(
        linesep="\r\n", maxlinelen=ENCODED_LINE_CHARS
    )


def unstructured(name: str, text: str) -> bytes:
    """A header line (Subject, say) whose value is user text, made safe by `header_text`."""
    text = header_text(text, 990)
    value = text if _plain(text) else _encoded(text, name)
    return f"{name}: {value}\r\n".encode("ascii")


def phrase(text: str, header_name: str) -> str:
    """A display name (RFC 5322 phrase) for user text: a quoted string when it is plain
    ASCII, else encoded words; never a bare word that a reader could re-read."""
    text = header_text(text, 990)
    if _plain(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _encoded(text, header_name)


def text_part(subtype: str, text: str) -> bytes:
    """A text/* MIME part: 7bit when it is short-lined ASCII, else quoted-printable."""
    data = text.replace("\r\n", "\n").replace("\r", "\n")
    raw = data.encode("utf-8")
    if raw.isascii() and all(len(line) <= MAX_7BIT_LINE for line in raw.split(b"\n")):
        cte, payload = "7bit", raw
    else:
        cte, payload = "quoted-printable", binascii.b2a_qp(raw, istext=True)
    payload = payload.replace(b"\n", b"\r\n")
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'
    )
    return head.encode("ascii") + payload


def header_text(value: str, max_chars: int = SUBJECT_MAX_CHARS) -> str:
    """One safe line for a header: control and line-separator characters become spaces."""
    cleaned = "".join(" " if unicodedata.category(ch) in _UNSAFE_IN_HEADER else ch for ch in value)
    cleaned = _SPACES.sub(" ", cleaned).strip()
    if len(cleaned) > max_chars:
        cleaned = cleaned[: max_chars - 1].rstrip() + "…"
    return cleaned


def html_to_text(body_html: str) -> str:
    """Plain text of a rendered comment (it only has p, br and a)."""
    text = re.sub(r"<br\s*/?>", "\n", body_html)
    text = re.sub(r"</p\s*>", "\n\n", text)
    text = re.sub(r"<[^>]*>", "", text)
    return html.unescape(text).strip()


def excerpt(text: str, max_chars: int = EXCERPT_CHARS) -> str:
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= max_chars else flat[: max_chars - 1].rstrip() + "…"


def article_url(thread: Thread, site: Site, public_url: str) -> str:
    """The article's URL if it is safe to link: on an origin the site allows, or ours.

    Thread URLs come from the first reader who posted, so an email never links
    to an origin the site did not list.
    """
    url = thread.url
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = {o.rstrip("/").lower() for o in site.allowed_origins}
    ours = urlsplit(public_url)
    if "*" in allowed or origin in allowed or origin == f"{ours.scheme}://{ours.netloc}".lower():
        return url
    return ""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


class Composer:
    """Renders templates and builds messages for one installation."""

    def __init__(self, settings: Settings) -> None:
        self.public_url = settings.resolved_public_url
        self.mail_from = settings.mail_from
        self.domain = settings.mail_from.rpartition("@")[2].strip("<> ") or "localhost"
        self.override_root = settings.data_dir / "templates"
        self._envs: dict[str, Environment] = {}
        self.catalogues = Catalogues(settings.data_dir)
        self._headers: dict[tuple[str, str, str], bytes] = {}

    def environment(self, site_id: str) -> Environment:
        env = self._envs.get(site_id)
        if env is None:
            loaders = [FileSystemLoader(str(PACKAGE_TEMPLATES))]
            if _SITE_ID.match(site_id):
                loaders.insert(0, FileSystemLoader(str(self.override_root / site_id)))
            env = Environment(
                loader=ChoiceLoader(loaders),
                autoescape=select_autoescape(enabled_extensions=("html",)),
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
            )
            self._envs[site_id] = env
        return env

    def render(
        self, site_id: str, name: str, context: dict[str, Any], lang: str = DEFAULT
    ) -> Rendered:
        """One email in `lang` (a shipped language, else English) with the site's
        template and message overrides; templates get `_`, `_n`, `lang` and `dir`."""
        env = self.environment(site_id)
        context = {**self.catalogues.get(site_id, lang).context(), **context}
        return Rendered(
            subject=header_text(env.get_template(f"{name}.subject.txt").render(context)),
            text=env.get_template(f"{name}.txt").render(context),
            html=env.get_template(f"{name}.html").render(context),
        )

    # ----- stable message ids ---------------------------------------------------------

    def _id(self, *parts: str) -> str:
        digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=10).hexdigest()
        return f"<{parts[0]}.{digest}@{self.domain}>"

    def comment_message_id(self, comment_id: str, recipient: str) -> str:
        """The same comment to the same recipient always has the same Message-ID."""
        return self._id("comment", comment_id, recipient)

    def thread_message_id(self, thread_id: int, recipient: str) -> str:
        """A message that is never sent: what a thread's top-level comments reply to."""
        return self._id("thread", str(thread_id), recipient)

    def other_message_id(self, kind: str, key: str, recipient: str) -> str:
        return self._id(kind, key, recipient)

    # ----- the message --------------------------------------------------------------

    def message(
        self,
        *,
        site: Site,
        recipient: str,
        rendered: Rendered,
        message_id: str,
        unsubscribe_url: str,
        now: datetime,
        references: Sequence[str] = (),
    ) -> bytes:
        """The whole email, as it goes on the wire (CRLF line ends, 7-bit clean).

        Headers that may carry user text are built by the email package once per
        (site, subject) and reused for every recipient; the per-recipient ones
        hold only what we generate (ids, dates, our URLs) or a validated address.
        """
        head = [self._shared_headers(site.id, site.name, rendered.subject)]
        head.append(header_line("To", recipient))
        head.append(header_line("Date", format_datetime(now)))
        head.append(header_line("Message-ID", message_id))
        if references:
            head.append(header_line("In-Reply-To", references[-1]))
            head.append(header_line("References", " ".join(references)))
        head.append(header_line("List-Unsubscribe", f"<{unsubscribe_url}>"))
        boundary = "=_" + secrets.token_hex(12)
        head.append(b"MIME-Version: 1.0\r\n")
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode())
        # Each part ends in CRLF; the CRLF before a delimiter belongs to the delimiter.
        return b"".join(
            [
                *head,
                f"\r\n--{boundary}\r\n".encode(),
                text_part("plain", rendered.text),
                f"\r\n--{boundary}\r\n".encode(),
                text_part("html", rendered.html),
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )

    def _shared_headers(self, site_id: str, site_name: str, subject: str) -> bytes:
        """From, Subject, List-Id and the fixed headers, encoded by the email package."""
        key = (site_id, site_name, subject)
        cached = self._headers.get(key)
        if cached is not None:
            return cached
        name = header_text(site_name, 100) or site_id
        list_id = f"{site_id}.comments.{self.domain}"
        block = b"".join(
            [
                f"From: {phrase(name, 'From')} <{self.mail_from}>\r\n".encode(),
                unstructured("Subject", subject),
                f"List-Id: {phrase(name, 'List-Id')} <{list_id}>\r\n".encode(),
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                b"Auto-Submitted: auto-generated\r\n",
                b"X-Auto-Response-Suppress: All\r\n",
            ]
        )
        if len(self._headers) >= SHARED_HEADERS_CACHE:
            self._headers.clear()
        self._headers[key] = block
        return block

    # ----- context pieces ------------------------------------------------------------

    def comment_context(self, comment: Comment, thread_url: str) -> dict[str, Any]:
        text = html_to_text(comment.body_html)
        return {
            "id": comment.id,
            "author_name": comment.author_name,
            "text": text,
            "excerpt": excerpt(text),
            "html": Markup(comment.body_html),  # noqa: S704 - sanitized by render_body (nh3)
            "url": f"{thread_url}#comment-{comment.id}" if thread_url else "",
            "created_at": comment.created_at,
            "is_reply": comment.parent_id is not None,
        }

    def base_context(
        self, site: Site, thread: Thread | None, unsubscribe_url: str
    ) -> dict[str, Any]:
        url = article_url(thread, site, self.public_url) if thread else ""
        return {
            "site": {"id": site.id, "name": site.name},
            "thread": {
                "title": (thread.title or thread.key) if thread else "",
                "url": url,
                "key": thread.key if thread else "",
            },
            "unsubscribe_url": unsubscribe_url,
            "public_url": self.public_url,
        }
