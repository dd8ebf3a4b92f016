"""The JSON shapes of API.md: public Comment, the author's view, a thread page.

Public shapes are built field by field from an allowlist, so an email, an IP
hash or a token can never leak by a new column appearing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from commentsvc.models import Comment, Reason, Status, Thread

# What the author is told about each rule that holds a comment.
AUTHOR_MESSAGES = {
    "links": "it contains several links",
    "moderation_key": "it contains a term this site reviews by hand",
    "first_time": "first comments are reviewed by a moderator",
    "premoderate": "every comment on this site is reviewed before it appears",
    "schedule": "comments that arrive outside the moderators' hours are reviewed first",
    "flood": "several comments arrived from your connection in a short time",
    "all_caps": "it is written mostly in capital letters",
    "words": "it contains language this site reviews by hand",
    "toxicity": "it may break this site's rules on tone",
    "flagged": "readers reported it",
    "moderator": "a moderator is reviewing it",
}


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def avatar(comment: Comment) -> dict[str, Any]:
    """Initials and a hue: no third-party image, nothing derived from the email."""
    name = comment.author_name.strip() or "Guest"
    initials = "".join(part[0] for part in name.split()[:2]).upper() or "?"
    hue = int(hashlib.blake2b(name.casefold().encode(), digest_size=2).hexdigest(), 16) % 360
    return {"initials": initials, "hue": hue}


def public_comment(comment: Comment, replies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Comment as anyone may see it; a deleted one is a placeholder."""
    if comment.status is Status.DELETED:
        return {
            "id": comment.id,
            "parent_id": comment.parent_id,
            "kind": comment.kind.value,
            "anchor": None,
            "author_name": "",
            "avatar": None,
            "body_html": "",
            "status": Status.DELETED.value,
            "created_at": rfc3339(comment.created_at),
            "edited_at": None,
            "votes": {"up": 0, "down": 0},
            "replies": replies or [],
            "featured": False,
            "staff": False,
        }
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "kind": comment.kind.value,
        "anchor": comment.anchor.to_json() if comment.anchor else None,
        "author_name": comment.author_name,
        "avatar": avatar(comment),
        "body_html": comment.body_html,
        "status": comment.status.value,
        "created_at": rfc3339(comment.created_at),
        "edited_at": rfc3339(comment.edited_at),
        "votes": {"up": comment.votes_up, "down": comment.votes_down},
        "replies": replies or [],
        "featured": comment.featured_at is not None,  # issue 14: in the Featured strip too
        "staff": comment.staff,  # a staff reply: the widget shows a Staff badge
    }


def author_reasons(reasons: list[Reason]) -> list[dict[str, str]]:
    """Why a comment waits, in words fit for its author (never a key, ban or score)."""
    out = []
    seen = set()
    for reason in reasons:
        message = AUTHOR_MESSAGES.get(reason.rule)
        if message is None or reason.rule in seen:
            continue
        seen.add(reason.rule)
        out.append({"rule": reason.rule, "message": message})
    return out


def author_comment(comment: Comment) -> dict[str, Any]:
    """What the author holding the edit token sees of their own comment, in any state."""
    data = public_comment(comment)
    data["status"] = comment.status.value
    if comment.status is not Status.DELETED:
        data["body"] = comment.body
    if comment.status is Status.PENDING:
        data["waiting_because"] = author_reasons(comment.reasons) or [
            {"rule": "moderator", "message": AUTHOR_MESSAGES["moderator"]}
        ]
    return data


def thread_header(thread: Thread | None, key: str) -> dict[str, Any]:
    if thread is None:
        return {
            "key": key,
            "title": "",
            "url": "",
            "closed": False,
            "count": 0,
            "feedback_count": 0,
        }
    return {
        "key": thread.key,
        "title": thread.title,
        "url": thread.url,
        "closed": thread.closed,
        "count": thread.count,
        "feedback_count": thread.feedback_count,
    }


def nest(top: list[Comment], replies: list[Comment]) -> list[dict[str, Any]]:
    """Nest replies under their parents; drop deleted comments left with no visible reply."""
    children: dict[str, list[Comment]] = {}
    for reply in replies:
        if reply.parent_id is not None:
            children.setdefault(reply.parent_id, []).append(reply)

    def build(comment: Comment) -> dict[str, Any] | None:
        built = [b for child in children.get(comment.id, []) if (b := build(child)) is not None]
        if comment.status is Status.DELETED and not built:
            return None
        return public_comment(comment, built)

    return [b for c in top if (b := build(c)) is not None]
