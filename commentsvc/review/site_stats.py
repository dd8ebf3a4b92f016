"""The moderation stats of a site (GET /api/v1/moderation/stats): counts per status, the
oldest pending comment, and the decisions of the last 24 hours by rule, status and
moderator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from commentsvc.clock import now_utc
from commentsvc.comments.lifecycle import DECISIONS
from commentsvc.models import Status
from commentsvc.store import Store
from commentsvc.views import rfc3339

STATS_WINDOW = timedelta(hours=24)
STATS_ACTIONS = ("moderate", "flagged", *(a.value for a in DECISIONS))


async def site_stats(store: Store, site_id: str) -> dict[str, Any]:
    now = now_utc()
    counts = {s.value: 0 for s in Status}
    counts.update(await store.review.status_counts(site_id))
    oldest = await store.review.oldest_created(site_id, Status.PENDING)
    rows = await store.review.decisions_since(site_id, now - STATS_WINDOW, STATS_ACTIONS)
    by_rule: dict[str, int] = {}
    by_status: dict[str, int] = {}
    by_moderator: dict[str, int] = {}
    for row in rows:
        if row.action == "moderate":
            reasons = row.moderation.get("reasons") or []
            rules = {str(r.get("rule")) for r in reasons if isinstance(r, dict)} or {"clean"}
        elif row.action == "flagged":
            rules = {"flagged"}
        elif row.actor in ("author", "system"):
            continue  # an author deleting their own comment is not a decision
        else:
            rules = {"moderator"}
            by_moderator[row.actor] = by_moderator.get(row.actor, 0) + 1
        for rule in rules:
            by_rule[rule] = by_rule.get(rule, 0) + 1
        by_status[row.to_status] = by_status.get(row.to_status, 0) + 1
    return {
        "site": site_id,
        "counts": counts,
        "oldest_pending_at": rfc3339(oldest),
        "oldest_pending_age_s": round((now - oldest).total_seconds(), 1) if oldest else None,
        "decisions_24h": {
            "total": sum(by_status.values()),
            "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_status": by_status,
            "by_moderator": by_moderator,
        },
    }
