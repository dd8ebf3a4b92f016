"""Desk rules (issue 14): auto-close, featured comments and staff replies, over the service.

Everything public goes through the usual paths: featuring is a compare-and-set transition
of an approved comment onto itself (version, audit event, thread version, live event, page
cache), a staff reply is inserted and approved in one transaction, auto-close closes a
thread by compare-and-set and publishes `thread.changed` like a manual close.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from commentsvc import ids, schedule
from commentsvc.clock import now_utc
from commentsvc.comments.events import ThreadEvent
from commentsvc.comments.lifecycle import Act, step
from commentsvc.comments.posting import NEW_COMMENT_DEFAULTS, body_fingerprint
from commentsvc.comments.service import CommentService
from commentsvc.errors import Conflict, NotFound
from commentsvc.models import Comment, Kind, Status, Thread
from commentsvc.render import render_body
from commentsvc.security import new_token
from commentsvc.store.records import TransitionResult
from commentsvc.validation import MAX_NAME_CHARS
from commentsvc.webhooks.events import thread_closed_payload

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
FEATURE, UNFEATURE, STAFF_REPLY = "feature", "unfeature", "staff_reply"


async def close_due_threads(service: CommentService, now: datetime | None = None) -> list[Thread]:
    """Auto-close every thread whose time has come (idempotent); returns the ones closed."""
    now = now or now_utc()
    closed: list[Thread] = []
    for site in await service.store.sites.all():
        policy = await service.policy(site.id)
        if policy.auto_close_days <= 0:
            continue
        # A day of slack each way for the time zone and DST; the exact check is below.
        bound = now - timedelta(days=policy.auto_close_days - 1)
        for thread, opened in await service.store.desk.open_threads(site.id, bound):
            if not schedule.is_closed_by_age(policy.timezone, policy.auto_close_days, opened, now):
                continue
            after = await service.store.desk.auto_close(thread.id)
            if after is None:
                continue
            closed.append(after)
            await service.bus.publish(
                ThreadEvent("thread.changed", site.id, after.key, after.version, "", after.count)
            )
            await service.store.webhooks.thread_closed(
                after, thread_closed_payload(after, "auto", now), now
            )
    return closed


# ----- featured comments ------------------------------------------------------------------


async def set_featured(
    service: CommentService, comment_id: str, featured: bool, actor: str
) -> TransitionResult:
    """Feature (or unfeature) a comment; a no-op answers the comment as it is.

    Any status may carry the mark, but the Featured strip shows approved comments only: a
    featured comment that is rejected later leaves it (and comes back if approved again).
    """
    comment = await service.get_comment(comment_id)
    if (comment.featured_at is not None) == featured:
        thread = await service.store.threads.get_by_id(comment.thread_id)
        if thread is None:  # pragma: no cover - a comment always has its thread
            raise NotFound("no such comment")
        return TransitionResult(comment, comment.status, False, thread)
    result = await service.transition(
        step(Act.FEATURE if featured else Act.UNFEATURE).transition(
            comment.id,
            comment.status,
            actor,
            changes={"featured_at": now_utc() if featured else None},
            expected_version=comment.version,
        )
    )
    if result is None:
        raise Conflict("the comment changed meanwhile; reload it and try again")
    return result


# ----- staff replies ----------------------------------------------------------------------


async def staff_reply(
    service: CommentService, parent: Comment, body: str, author_name: str, actor: str
) -> Comment:
    """A moderator's reply from /moderate: approved at once (no moderation), marked staff.

    Readers see it once its parent is public; a closed thread still takes it (the desk may
    speak where readers no longer can). The handler has validated `body` and `author_name`.
    """
    site = await service.require_site(parent.site_id)
    text = body.strip()
    name = (author_name.strip() or site.name.strip() or "Staff")[:MAX_NAME_CHARS]
    now = now_utc()
    comment_id = ids.new_id()
    row = {
        **NEW_COMMENT_DEFAULTS,
        "id": comment_id,
        "site_id": parent.site_id,
        "thread_id": parent.thread_id,
        "parent_id": parent.id,
        "root_id": parent.root_id,
        "depth": parent.depth + 1,
        "kind": Kind.COMMENT.value,
        "anchor": None,
        "author_name": name,
        "author_email": None,
        "ip_hash": None,
        "user_agent": "",
        "body": text,
        "body_html": render_body(text),
        "body_hash": body_fingerprint(text),
        "honeypot": False,
        "status": Status.RECEIVED.value,
        "moderation": {"decided_by": actor, "reasons": [], "staff": True},
        "created_at": now,
        "edit_token_hash": service.keys.token_hash(new_token()),  # no author can edit it
        "staff": True,
    }
    move = step(Act.STAFF_REPLY).transition(comment_id, Status.RECEIVED, actor, note="staff reply")
    result = await service.store.desk.insert_and_move(row, actor, move)
    await service.after_transition(result)
    return result.comment
