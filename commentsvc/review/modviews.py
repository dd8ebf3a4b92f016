"""The JSON shapes of the moderation API: ModComment, audit events, bans.

Unlike `views`, these carry private fields (email, address hash, reasons):
only the moderation API may send them.
"""

from __future__ import annotations

import re
from typing import Any

from commentsvc.comments.lifecycle import DECISIONS, STEPS, Act
from commentsvc.models import Comment, Status
from commentsvc.store.bans import Ban
from commentsvc.store.records import EventRecord
from commentsvc.store.review import FlagSummary, ReviewItem
from commentsvc.views import avatar, rfc3339

_QUOTED = re.compile(r'"([^"]{1,200})"')
HISTORY_STATUSES = tuple(s.value for s in Status)


def highlights(comment: Comment) -> list[dict[str, Any]]:
    """Where each reason matched in the body as written: [start, end) in code points.

    Reasons carry their spans from the worker; a reason without spans (or whose
    spans a moderator edit made stale) is found by the quoted text it names.
    """
    body = comment.body
    found: list[tuple[int, int, str, str]] = []
    for reason in comment.moderation.get("reasons", []):
        if not isinstance(reason, dict):
            continue
        rule, detail = str(reason.get("rule", "")), str(reason.get("detail", ""))
        spans = [
            (int(s[0]), int(s[1]))
            for s in reason.get("spans", ())
            if isinstance(s, list | tuple) and len(s) == 2
        ]
        if not spans:
            folded = body.casefold()
            for needle in (m.group(1).casefold() for m in _QUOTED.finditer(detail)):
                start = folded.find(needle)
                while start >= 0 and needle:
                    spans.append((start, start + len(needle)))
                    start = folded.find(needle, start + len(needle))
        for start, end in spans:
            if 0 <= start < end <= len(body):
                found.append((start, end, rule, detail))
    found.sort()
    out: list[dict[str, Any]] = []
    last_end = -1
    for start, end, rule, detail in found:
        if start < last_end:  # overlapping: the earlier mark wins
            continue
        out.append({"start": start, "end": end, "rule": rule, "detail": detail})
        last_end = end
    return out


def reasons_of(comment: Comment) -> list[dict[str, Any]]:
    out = []
    for reason in comment.moderation.get("reasons", []):
        if isinstance(reason, dict):
            out.append(
                {
                    "rule": str(reason.get("rule", "")),
                    "detail": str(reason.get("detail", "")),
                    "action": str(reason.get("action", "")),
                }
            )
    return out


MOD_ACTIONS: tuple[Act, ...] = (*DECISIONS, Act.EDIT)
"""The steps a ModComment's `actions` may list: the decisions, then an edit."""


def actions_of(status: Status) -> list[str]:
    """What a moderator may do to a comment in `status` now, from the lifecycle table."""
    return [act.value for act in MOD_ACTIONS if STEPS[act].allows(status)]


def history_of(counts: dict[str, int] | None) -> dict[str, int]:
    counts = counts or {}
    out = {status: counts.get(status, 0) for status in HISTORY_STATUSES}
    out["total"] = sum(counts.values())
    return out


def mod_comment(
    item: ReviewItem,
    flag_summary: FlagSummary | None = None,
    history: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A ModComment: the public Comment fields plus everything a moderator needs."""
    c = item.comment
    moderation = c.moderation
    summary = flag_summary or FlagSummary(c.flag_count, {}, [])
    return {
        "id": c.id,
        "parent_id": c.parent_id,
        "kind": c.kind.value,
        "anchor": c.anchor.to_json() if c.anchor else None,
        "author_name": c.author_name,
        "avatar": avatar(c),
        "body_html": c.body_html,
        "status": c.status.value,
        "actions": actions_of(c.status),
        "created_at": rfc3339(c.created_at),
        "edited_at": rfc3339(c.edited_at),
        "votes": {"up": c.votes_up, "down": c.votes_down},
        "replies": [],
        "featured": c.featured_at is not None,
        "staff": c.staff,
        "site": c.site_id,
        "version": c.version,
        "author_email": c.author_email,
        "ip_hash": c.ip_hash,
        "user_agent": c.user_agent,
        "thread": {"key": item.thread.key, "title": item.thread.title, "url": item.thread.url},
        "reasons": reasons_of(c),
        "highlights": highlights(c),
        "score": moderation.get("score"),
        "flags": {
            "count": c.flag_count,
            "unreviewed": max(0, c.flag_count - item.flags_reviewed),
            "reasons": summary.reasons,
            "notes": summary.notes,
        },
        "body": c.body,
        "decided_by": moderation.get("decided_by"),
        "decided_at": moderation.get("decided_at"),
        "note": moderation.get("note", ""),
        "author_history": history_of(history),
    }


def event_json(event: EventRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "actor": event.actor,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "at": rfc3339(event.at),
    }


def ban_json(ban: Ban, now_active: bool = True) -> dict[str, Any]:
    return {
        "id": ban.id,
        "site": ban.site_id,
        "kind": ban.kind,
        "value": ban.value,
        "reason": ban.reason,
        "expires_at": rfc3339(ban.expires_at),
        "created_by": ban.created_by,
        "created_at": rfc3339(ban.created_at),
        "active": now_active,
    }
