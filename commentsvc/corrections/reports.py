"""What a reader sends to report an error, read and checked (every broken field at once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from commentsvc.i18n import negotiate
from commentsvc.models import Anchor
from commentsvc.validation import MAX_KEY_CHARS, Fields, _anchor

MAX_NOTE_CHARS = 2000
MAX_PUBLIC_NOTE_CHARS = 1000
ACTIONS = {"correct": "corrected", "not_an_error": "not_an_error", "duplicate": "duplicate"}
ACTION_NAMES = ("correct", "not_an_error", "duplicate", "reopen")


@dataclass(frozen=True, slots=True)
class NewReport:
    site: str
    thread: str
    thread_url: str
    thread_title: str
    anchor: Anchor
    note: str
    email: str | None
    lang: str
    honeypot: bool


def parse_report(data: Any) -> NewReport:
    """Read a POST /api/v1/corrections body; raise Invalid listing every broken field."""
    f = Fields(data)
    site = f.site()
    thread = f.text("thread", required=True, max_chars=MAX_KEY_CHARS)
    thread_url = f.url("thread_url")
    thread_title = f.text("thread_title", max_chars=512)
    if f.data.get("anchor") is None:
        f.fail("anchor", "is required: the passage {quote, prefix, suffix, block}")
    anchor = _anchor(f)
    note = f.text("note", required=True, max_chars=MAX_NOTE_CHARS, min_chars=1, multiline=True)
    email = f.email("email")
    lang_tag = f.lang_tag("lang")
    honeypot_raw = f.data.get("website", "")
    honeypot = bool(honeypot_raw) if isinstance(honeypot_raw, str | int | float | bool) else True
    f.done()
    return NewReport(
        site=site,
        thread=thread,
        thread_url=thread_url,
        thread_title=thread_title,
        anchor=cast(Anchor, anchor),  # done() raised for a missing or broken one
        note=note,
        email=email,
        lang=negotiate([lang_tag or ""]),
        honeypot=honeypot,
    )


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    public_note: str


def parse_decision(data: Any) -> Decision:
    f = Fields(data)
    action = f.choice("action", ACTION_NAMES, "correct")
    if f.data.get("action") is None:
        f.fail("action", "is required: one of " + ", ".join(ACTION_NAMES))
    public_note = f.text("public_note", max_chars=MAX_PUBLIC_NOTE_CHARS, multiline=True)
    f.done()
    return Decision(action, public_note)
