"""The document of everything held under one address (Art. 15 and 20): JSON, for the reader's
download, the admin API and `commentsvc person export`.

Built field by field, like the public shapes in `views`: the address itself,
the comments as written with their status and (while held) why in the author's
words, the public replies to them, subscriptions, the emails sent and any
suppression. Other people's addresses never appear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from commentsvc.models import Comment, Status, Thread
from commentsvc.store.people import PersonRecords
from commentsvc.views import AUTHOR_MESSAGES, author_reasons, rfc3339

FORMAT = "commentsvc.person/1"
HELD = (Status.PENDING, Status.RECEIVED)


def _thread(thread: Thread | None) -> dict[str, Any]:
    if thread is None:
        return {"site": "", "key": "", "title": "", "url": ""}
    return {"site": thread.site_id, "key": thread.key, "title": thread.title, "url": thread.url}


def held_because(comment: Comment) -> list[dict[str, str]]:
    """Why a held comment waits, as its author is told (never a matched key or score)."""
    if comment.status is Status.RECEIVED:
        return [{"rule": "checking", "message": "it is being checked; this takes moments"}]
    if comment.status is not Status.PENDING:
        return []
    return author_reasons(comment.reasons) or [
        {"rule": "moderator", "message": AUTHOR_MESSAGES["moderator"]}
    ]


def _reply(reply: Comment) -> dict[str, Any]:
    return {
        "id": reply.id,
        "parent_id": reply.parent_id,
        "author_name": reply.author_name,
        "body_html": reply.body_html,
        "created_at": rfc3339(reply.created_at),
    }


def _comment(comment: Comment, thread: Thread | None, replies: list[Comment]) -> dict[str, Any]:
    return {
        "id": comment.id,
        "site": comment.site_id,
        "thread": _thread(thread),
        "parent_id": comment.parent_id,
        "kind": comment.kind.value,
        "anchor": comment.anchor.to_json() if comment.anchor else None,
        "author_name": comment.author_name,
        "author_email": comment.author_email,
        "body": comment.body,
        "body_html": comment.body_html,
        "status": comment.status.value,
        "held_because": held_because(comment),
        "created_at": rfc3339(comment.created_at),
        "edited_at": rfc3339(comment.edited_at),
        "votes": {"up": comment.votes_up, "down": comment.votes_down},
        "ip_hash": comment.ip_hash,
        "user_agent": comment.user_agent,
        "replies": [_reply(r) for r in replies],
    }


def person_document(records: PersonRecords, now: datetime) -> dict[str, Any]:
    """Everything tied to `records.email`, as one JSON-ready dict."""
    replies: dict[str, list[Comment]] = {}
    for reply in records.replies:
        replies.setdefault(reply.parent_id or "", []).append(reply)
    return {
        "format": FORMAT,
        "email": records.email,
        "exported_at": rfc3339(now),
        "comments": [
            _comment(c, records.threads.get(c.thread_id), replies.get(c.id, []))
            for c in records.comments
        ],
        "subscriptions": [
            {
                "id": s.id,
                "site": s.site_id,
                "thread": _thread(records.threads.get(s.thread_id)),
                "kind": s.kind.value,
                "confirmed_at": rfc3339(s.confirmed_at),
                "created_at": rfc3339(s.created_at),
                "lang": s.lang,
            }
            for s in records.subscriptions
        ],
        "emails": [
            {
                "template": d.template,
                "status": d.status,
                "comment_id": d.comment_id,
                "created_at": rfc3339(d.created_at),
                "sent_at": rfc3339(d.sent_at),
            }
            for d in records.deliveries
        ],
        "suppression": (
            {"reason": records.suppression[0], "since": rfc3339(records.suppression[1])}
            if records.suppression
            else None
        ),
        "error_reports": [
            {
                "id": r.id,
                "site": r.site_id,
                "thread": {"key": r.thread_key, "title": r.thread_title, "url": r.thread_url},
                "passage": r.anchor.to_json(),
                "note": r.note,
                "status": r.status.value,
                "public_note": r.public_note,
                "lang": r.lang,
                "email_confirmed_at": rfc3339(r.email_confirmed_at),
                "created_at": rfc3339(r.created_at),
            }
            for r in records.corrections
        ],
    }
