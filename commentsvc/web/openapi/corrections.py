"""The corrections desk (issue 16): private reports of an error, and corrected passages."""

from __future__ import annotations

from commentsvc.corrections.reports import ACTION_NAMES, MAX_NOTE_CHARS, MAX_PUBLIC_NOTE_CHARS
from commentsvc.store.corrections import CorrectionStatus
from commentsvc.validation import MAX_KEY_CHARS, MAX_SITE_CHARS, MAX_TITLE_CHARS
from commentsvc.web.openapi.core import (
    HTML_PAGE,
    INT,
    OPERATIONS,
    SCHEMAS,
    STR,
    accepted,
    bad_link_response,
    describe,
    email_field,
    json_body,
    lang_field,
    one_click_form,
    problems,
    query,
    query_text,
    ref,
    site_field,
    text_field,
    url_field,
)

DATE = {"type": "string", "format": "date-time"}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
STATUSES = [s.value for s in CorrectionStatus if s is not CorrectionStatus.SPAM]


def corrections_operations() -> None:
    auth: list[dict[str, list[str]]] = [{"session": []}, {"apiToken": []}]
    SCHEMAS.update(
        {
            "CorrectedPassage": {
                "type": "object",
                "required": ["id", "anchor", "public_note", "corrected_at"],
                "properties": {
                    "id": INT,
                    "anchor": ref("Anchor"),
                    "public_note": STR,
                    "corrected_at": DATE,
                },
                "description": "A passage the newsroom corrected after a reader's report. "
                "Nothing about the report or its reporter is public.",
            },
            "ModCorrection": {
                "type": "object",
                "required": ["id", "site", "thread", "anchor", "note", "status", "created_at"],
                "properties": {
                    "id": INT,
                    "site": STR,
                    "thread": {
                        "type": "object",
                        "required": ["key", "title", "url"],
                        "properties": {"key": STR, "title": STR, "url": STR},
                    },
                    "anchor": ref("Anchor"),
                    "note": {**STR, "description": "What the reader says is wrong"},
                    "reporter_email": {"type": ["string", "null"]},
                    "email_confirmed": {"type": "boolean"},
                    "lang": STR,
                    "ip_hash": {"type": ["string", "null"]},
                    "status": {"enum": STATUSES},
                    "public_note": STR,
                    "decided_by": {"type": ["string", "null"]},
                    "decided_at": DATE_OR_NULL,
                    "reporter_notified": {"type": "boolean"},
                    "created_at": DATE,
                },
            },
        }
    )
    describe(
        "POST",
        "/api/v1/corrections",
        "Report an error in a passage of the article, privately to the newsroom. A report is "
        "never a comment: it is in no thread and no public answer. With an email, a "
        "confirmation link is sent; only a confirmed address is told when the passage is "
        "corrected (once).",
        tag="public",
        body={
            "type": "object",
            "required": ["thread", "anchor", "note"],
            "properties": {
                "site": site_field(),
                "thread": text_field(MAX_KEY_CHARS, required=True),
                "thread_url": url_field(),
                "thread_title": text_field(MAX_TITLE_CHARS),
                "anchor": {
                    "allOf": [ref("NewAnchor")],
                    "type": "object",
                    "description": "The passage: a quote (with its context) or a block id",
                },
                "note": text_field(MAX_NOTE_CHARS, min_chars=1, required=True, multiline=True),
                "email": email_field(),
                "lang": lang_field(),
                "website": {"description": "Honeypot: a filled value is kept as spam, unseen"},
            },
        },
        responses={
            "202": accepted(),
            **problems(400, 403, 404, 413, 415, 422, 429, 503),
        },
    )
    describe(
        "GET",
        "/api/v1/corrections",
        "A thread's corrected passages, with the date and the newsroom's public note (the "
        'widget marks them "Corrected"). An unknown thread has none (200).',
        tag="public",
        params=[
            query("site", query_text(MAX_SITE_CHARS), "site id (default: default)"),
            query("thread", query_text(MAX_KEY_CHARS, required=True), "the article's key", True),
        ],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "required": ["thread", "corrections"],
                    "properties": {
                        "thread": STR,
                        "corrections": {"type": "array", "items": ref("CorrectedPassage")},
                    },
                }
            ),
            **problems(400, 503),
        },
    )
    describe(
        "GET",
        "/api/v1/moderation/corrections",
        "A site's reports of an error, oldest first (50 a page)",
        tag="moderation",
        security=auth,
        params=[
            query("site", query_text(MAX_SITE_CHARS), "site id (default: default)"),
            query("status", {"enum": [*STATUSES, "all", ""]}, "empty: open"),
            query("cursor", query_text(12), "next_cursor of the previous page"),
        ],
        responses={
            "200": json_body(
                {
                    "type": "object",
                    "required": ["items", "next_cursor", "open_count"],
                    "properties": {
                        "items": {"type": "array", "items": ref("ModCorrection")},
                        "next_cursor": {"type": ["string", "null"]},
                        "open_count": INT,
                    },
                }
            ),
            **problems(400, 401, 403),
        },
    )
    describe(
        "POST",
        "/api/v1/moderation/corrections/{id}/decision",
        "Decide a report: correct (the passage shows a public Corrected marker with "
        "public_note; a confirmed reporter is told once), not_an_error, duplicate, or reopen",
        tag="moderation",
        security=auth,
        body={
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {"enum": list(ACTION_NAMES)},
                "public_note": text_field(MAX_PUBLIC_NOTE_CHARS, multiline=True),
            },
        },
        responses={
            "200": json_body(ref("ModCorrection")),
            **problems(400, 401, 403, 404, 413, 415, 422),
        },
    )
    html = HTML_PAGE
    bad_link = bad_link_response()
    describe(
        "GET",
        "/c/{token}",
        "A reporter's confirm page (changes nothing; its buttons POST to the same URL)",
        tag="corrections",
        responses={"200": html, "404": bad_link},
    )
    describe(
        "POST",
        "/c/{token}",
        "Confirm the reporter's address (then told once if the passage is corrected); "
        "scope=all, or RFC 8058 List-Unsubscribe=One-Click, stops all email to it",
        tag="corrections",
        responses={"200": html, "404": bad_link, **problems(400)},
    )
    OPERATIONS[("POST", "/c/{token}")]["requestBody"] = one_click_form("all")
    describe(
        "GET",
        "/moderate/corrections.js",
        "The moderation page's Corrections tab",
        tag="pages",
        responses={
            "200": {"description": "Script", "content": {"text/javascript": {"schema": STR}}}
        },
    )
