"""Field rules for what readers send. Every broken field is reported at once (422)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from commentsvc.errors import FieldError, Invalid
from commentsvc.models import Anchor, NotifyChoice, SubscriptionKind

_LANG_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}$")
"""What `Fields.lang_tag` accepts: a language, then up to four subtags (at most 44 chars)."""

MAX_BODY_CHARS = 10_000
MAX_NAME_CHARS = 64
MAX_EMAIL_CHARS = 254
MAX_KEY_CHARS = 512
MAX_URL_CHARS = 2048
MAX_TITLE_CHARS = 512
MAX_QUOTE_CHARS = 1000
MAX_CONTEXT_CHARS = 200
MAX_SITE_CHARS = 64
MAX_READER_ID_CHARS = 128
MIN_READER_ID_CHARS = 8
MAX_FLAG_NOTE_CHARS = 1000
DEFAULT_NAME = "Guest"

_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_SITE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


class Fields:
    """Collects field errors while reading a JSON object."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise Invalid(
                "the request body must be a JSON object",
                errors=[FieldError("body", "must be a JSON object")],
            )
        self.data: dict[str, Any] = data
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def text(
        self,
        field: str,
        *,
        required: bool = False,
        max_chars: int,
        min_chars: int = 0,
        default: str = "",
        multiline: bool = False,
        strip: bool = True,
    ) -> str:
        raw = self.data.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip() and not required):
            if required:
                self.fail(field, "is required")
            return default
        if not isinstance(raw, str):
            self.fail(field, "must be a string")
            return default
        value = raw.strip() if strip else raw
        if required and not value.strip():
            self.fail(field, "must not be empty")
            return default
        if has_control_chars(value, allow_newlines=multiline):
            self.fail(field, "must not contain control characters")
            return default
        length = len(value)
        if length < min_chars:
            self.fail(field, f"must be at least {min_chars} characters")
        if length > max_chars:
            self.fail(field, f"must be at most {max_chars} characters (got {length})")
        return value

    def choice(self, field: str, choices: tuple[str, ...], default: str) -> str:
        raw = self.data.get(field, default)
        if raw is None:
            return default
        if raw not in choices:
            self.fail(field, "must be one of " + ", ".join(choices))
            return default
        return str(raw)

    def lang_tag(self, field: str) -> str | None:
        """A BCP 47-looking language tag ("de", "pt-BR"), or None when left out or blank."""
        raw = self.data.get(field)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if not isinstance(raw, str) or not _LANG_TAG.match(raw.strip()):
            self.fail(field, "must be a language tag such as de or pt-BR")
            return None
        return raw.strip()

    def email(self, field: str, *, required: bool = False) -> str | None:
        value = self.text(field, required=required, max_chars=MAX_EMAIL_CHARS)
        if not value:
            return None
        # "=?" would open an RFC 2047 encoded word in the To header a reader decodes.
        if not _EMAIL.match(value) or "=?" in value:
            self.fail(field, "is not an email address")
            return None
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"

    def url(self, field: str) -> str:
        value = self.text(field, max_chars=MAX_URL_CHARS)
        if value and not _URL.match(value):
            self.fail(field, "must be an http or https URL")
            return ""
        return value

    def site(self) -> str:
        value = self.text("site", max_chars=MAX_SITE_CHARS, default="default") or "default"
        if not _SITE.match(value):
            self.fail("site", "must be a site id (lower-case letters, digits, - and _)")
        return value

    def done(self) -> None:
        if self.errors:
            raise Invalid(
                "; ".join(f"{e.field} {e.message}" for e in self.errors), errors=self.errors
            )


def json_int(raw: Any) -> int | None:
    """An integer as JSON means one: 3, or 3.0 (the same number); never true or false."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return None


def is_site_id(text: str) -> bool:
    """Whether `text` can name a site: lower-case letters, digits, - and _, at most 64."""
    return _SITE.fullmatch(text) is not None


def is_plain_int(text: str) -> bool:
    """Only the ASCII digits 0-9 (str.isdigit also accepts "²", which int() refuses)."""
    return text.isascii() and text.isdigit()


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Direction embeddings, overrides and isolates: in a one-line field (a name, a title)
they can make text display as something else; comment bodies keep them for RTL text."""


def has_control_chars(text: str, *, allow_newlines: bool) -> bool:
    """Whether `text` holds control characters (and, without `allow_newlines`, any
    line break or direction control); tabs always pass."""
    if text.isprintable():  # in C: no Cc, Cf, Zl or Zp character at all, the usual case
        return False
    for ch in text:
        if ch in "\n\r\t" and allow_newlines:
            continue
        if ch == "\t":
            continue
        if unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029":
            return True
        if not allow_newlines and ch in BIDI_CONTROLS:
            return True
    return False


@dataclass(frozen=True, slots=True)
class NewComment:
    site: str
    thread: str
    thread_url: str
    thread_title: str
    parent_id: str | None
    body: str
    author_name: str
    author_email: str | None
    notify: NotifyChoice
    anchor: Anchor | None
    honeypot: bool
    thread_published: str = ""  # the embed's article date, a hint (commentsvc/review/desk.py)
    lang_tag: str | None = None  # the widget's language: the "notify" subscription's emails


def parse_new_comment(data: Any) -> NewComment:
    """Read a POST /api/v1/comments body; raise Invalid listing every broken field."""
    f = Fields(data)
    site = f.site()
    thread = f.text("thread", required=True, max_chars=MAX_KEY_CHARS)
    thread_url = f.url("thread_url")
    thread_title = f.text("thread_title", max_chars=MAX_TITLE_CHARS)
    parent_raw = f.data.get("parent_id")
    parent_id: str | None = None
    if parent_raw is not None and parent_raw != "":
        if isinstance(parent_raw, str) and len(parent_raw) <= 64:
            parent_id = parent_raw
        else:
            f.fail("parent_id", "must be a comment id")
    body = f.text("body", required=True, max_chars=MAX_BODY_CHARS, min_chars=1, multiline=True)
    author_name = (
        f.text("author_name", max_chars=MAX_NAME_CHARS, default=DEFAULT_NAME) or DEFAULT_NAME
    )
    author_email = f.email("author_email")
    notify = NotifyChoice(f.choice("notify", tuple(c.value for c in NotifyChoice), "none"))
    if (
        notify is not NotifyChoice.NONE
        and author_email is None
        and "author_email" not in {e.field for e in f.errors}
    ):
        f.fail("author_email", "is required to be notified")
    anchor = _anchor(f)
    honeypot_raw = f.data.get("website", "")
    honeypot = bool(honeypot_raw) if isinstance(honeypot_raw, str | int | float | bool) else True
    published = f.data.get("thread_published")
    if published is not None and (not isinstance(published, str) or len(published) > 64):
        f.fail("thread_published", "must be a date (YYYY-MM-DD or RFC 3339), at most 64 characters")
    lang_tag = f.lang_tag("lang")
    f.done()
    return NewComment(
        site=site,
        thread=thread,
        thread_url=thread_url,
        thread_title=thread_title,
        parent_id=parent_id,
        body=body,
        author_name=author_name,
        author_email=author_email,
        notify=notify,
        anchor=anchor,
        honeypot=honeypot,
        thread_published=published if isinstance(published, str) else "",
        lang_tag=lang_tag,
    )


def _anchor(f: Fields) -> Anchor | None:
    raw = f.data.get("anchor")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        f.fail("anchor", "must be an object with quote, prefix, suffix and block")
        return None
    sub = Fields(raw)
    quote = sub.text("quote", max_chars=MAX_QUOTE_CHARS, multiline=True)
    block = sub.text("block", max_chars=MAX_CONTEXT_CHARS)
    prefix = sub.text("prefix", max_chars=MAX_CONTEXT_CHARS, multiline=True, strip=False)
    suffix = sub.text("suffix", max_chars=MAX_CONTEXT_CHARS, multiline=True, strip=False)
    if not quote and not block:
        sub.fail("quote", "is required (or a block id)")
    for error in sub.errors:
        f.fail(f"anchor.{error.field}", error.message)
    return (
        Anchor(quote=quote, prefix=prefix, suffix=suffix, block=block) if not sub.errors else None
    )


def parse_edit(data: Any) -> str:
    f = Fields(data)
    body = f.text("body", required=True, max_chars=MAX_BODY_CHARS, min_chars=1, multiline=True)
    f.done()
    return body


def parse_vote(data: Any) -> tuple[int, str]:
    f = Fields(data)
    value = f.data.get("value")
    if isinstance(value, bool) or value not in (-1, 0, 1):
        f.fail("value", "must be 1, -1 or 0")
        value = 0
    voter = _reader_id(f, "voter")
    f.done()
    return int(value), voter


FLAG_REASONS = ("spam", "abuse", "off_topic", "other")


def parse_flag(data: Any) -> tuple[str, str, str]:
    f = Fields(data)
    reason = f.choice("reason", FLAG_REASONS, "other")
    if f.data.get("reason") is None:
        f.fail("reason", "is required: one of " + ", ".join(FLAG_REASONS))
    note = f.text("note", max_chars=MAX_FLAG_NOTE_CHARS, multiline=True)
    reporter = _reader_id(f, "reporter")
    f.done()
    return reason, note, reporter


def _reader_id(f: Fields, field: str) -> str:
    """An id the widget keeps for its reader: opaque, so taken as sent (not stripped)."""
    return f.text(
        field,
        required=True,
        max_chars=MAX_READER_ID_CHARS,
        min_chars=MIN_READER_ID_CHARS,
        strip=False,
    )


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    site_id: str
    thread: str
    email: str
    kind: SubscriptionKind
    lang_tag: str | None  # as the reader sent it; a language we don't ship means the default


def parse_subscription(data: Any) -> SubscriptionRequest:
    f = Fields(data)
    site = f.site()
    thread = f.text("thread", required=True, max_chars=MAX_KEY_CHARS)
    email = f.email("email", required=True)
    kind = SubscriptionKind(f.choice("kind", tuple(k.value for k in SubscriptionKind), "thread"))
    lang = f.lang_tag("lang")
    f.done()
    return SubscriptionRequest(site, thread, email or "", kind, lang)
