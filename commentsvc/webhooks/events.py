"""Which audit events are webhook events, and what a delivery carries.

A payload never holds an email address, an address hash or a token: the author's name,
the comment's text (an excerpt), its status, the reasons it is held and links.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from commentsvc.models import Comment, Status, Thread
from commentsvc.notify.compose import excerpt, html_to_text
from commentsvc.store.records import EventRecord
from commentsvc.views import rfc3339

RECEIVED = "comment.received"
HELD = "comment.held"
APPROVED = "comment.approved"
REJECTED = "comment.rejected"
FLAGGED = "comment.flagged"
FEATURED = "comment.featured"
CLOSED = "thread.closed"
EVENT_TYPES = (RECEIVED, HELD, APPROVED, REJECTED, FLAGGED, FEATURED, CLOSED)
FORMATS = ("json", "slack")
MAX_ENDPOINTS_PER_SITE = 50  # each event of a site is a delivery to every one of them
EXCERPT_CHARS = 280
_GONE = (Status.REJECTED.value, Status.SPAM.value)
# A key or ban that matched the author's email, or a ban's reason, can name an address in
# a reason's detail: the moderation API shows it, a payload says "[address]".
_ADDRESS = re.compile(r"[^\s@\"'()<>\[\],;:]+@[^\s@\"'()<>\[\],;:]+")


def event_type(e: EventRecord) -> str | None:
    """The webhook event an audit event is, if any."""
    if e.action == "post":
        return RECEIVED
    if e.action == "feature":
        return FEATURED
    if e.action == "flagged":
        return FLAGGED
    if e.from_status == e.to_status:
        return None  # an edit, an unfeature, a flag below the threshold
    if e.to_status == Status.PENDING.value:
        return HELD
    if e.to_status == Status.APPROVED.value:
        return APPROVED
    if e.to_status in _GONE and e.from_status not in _GONE:
        return REJECTED
    return None


def moderate_url(public_url: str, comment_id: str) -> str:
    return f"{public_url}/moderate#comment={comment_id}"


def comment_payload(
    kind: str,
    e: EventRecord,
    comment: Comment,
    thread: Thread | None,
    public_url: str,
    pending: int,
) -> dict[str, Any]:
    reasons = [
        {"rule": r.rule, "detail": _ADDRESS.sub("[address]", r.detail)}
        for r in comment.reasons
        if kind in (HELD, FLAGGED, REJECTED)
    ]
    return {
        "id": f"e{e.id}",
        "type": kind,
        "created_at": rfc3339(e.at),
        "site": comment.site_id,
        "by": _who(e.actor),
        "thread": _thread(thread),
        "comment": {
            "id": comment.id,
            "parent_id": comment.parent_id,
            "status": e.to_status or comment.status.value,
            "author_name": comment.author_name,
            "excerpt": excerpt(html_to_text(comment.body_html), EXCERPT_CHARS),
            "created_at": rfc3339(comment.created_at),
            "staff": comment.staff,
            "featured": comment.featured_at is not None,
        },
        "reasons": reasons,
        "pending": pending,
        "moderate_url": moderate_url(public_url, comment.id),
    }


def thread_closed_payload(thread: Thread, by: str, now: datetime) -> dict[str, Any]:
    return {
        "id": f"t{thread.id}.{thread.version}",
        "type": CLOSED,
        "created_at": rfc3339(now),
        "site": thread.site_id,
        "by": by,
        "thread": _thread(thread),
    }


def _thread(thread: Thread | None) -> dict[str, str]:
    if thread is None:
        return {"key": "", "title": "", "url": ""}
    return {"key": thread.key, "title": thread.title, "url": thread.url}


def _who(actor: str) -> str:
    """Who did it, without a moderator's address: system, author, readers or moderator."""
    if actor in ("system", "author", "readers"):
        return actor
    return "moderator"


_VERB = {
    RECEIVED: "New comment",
    HELD: "Comment held for review",
    APPROVED: "Comment approved",
    REJECTED: "Comment rejected",
    FLAGGED: "Comment reported by readers",
    FEATURED: "Comment featured",
}


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(payload: dict[str, Any], site_name: str) -> dict[str, Any]:
    """Incoming-webhook JSON (Slack, Mattermost, Rocket.Chat, Discord's /slack): a text."""
    kind = str(payload.get("type", ""))
    site = _slack_escape(site_name or str(payload.get("site", "")))
    thread = payload.get("thread") or {}
    title = _slack_escape(str(thread.get("title") or thread.get("key") or ""))
    if kind == CLOSED:
        return {"text": f"Thread closed on *{site}*: {title}"}
    comment = payload.get("comment") or {}
    lines = [
        f"{_VERB.get(kind, kind)} on *{site}* — {title}",
        f"> *{_slack_escape(str(comment.get('author_name', '')))}*: "
        + _slack_escape(str(comment.get("excerpt", ""))).replace("\n", " "),
    ]
    reasons = payload.get("reasons") or []
    if reasons:
        lines.append("Why: " + ", ".join(_slack_escape(str(r.get("rule", ""))) for r in reasons))
    pending = int(payload.get("pending", 0) or 0)
    waiting = f"{pending} comment{'s' if pending != 1 else ''} {'is' if pending == 1 else 'are'}"
    lines.append(f"{waiting} waiting · <{payload.get('moderate_url', '')}|Open in /moderate>")
    return {"text": "\n".join(lines)}
