"""What moderators taught the toxicity stage, read from the audit trail for the worker.

`refresh` reads every site whose policy scores toxicity and has
`learn_from_moderators` on, and hands the examples to the stage's
`moderation.learning.ModeratorMemory`; `keep_fresh` does that every
`REFRESH_S` in the background. The memory itself (the vectors, the scoring)
knows nothing of the database: it lives in `moderation/`, which imports
nothing of the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import sqlalchemy as sa

from commentsvc.comments.service import CommentService
from commentsvc.moderation.learning import LABELS, MAX_EXAMPLES, Example, ModeratorMemory
from commentsvc.store.tables import comments, events

log = logging.getLogger(__name__)

REFRESH_S = 60.0


async def refresh(memory: ModeratorMemory, service: CommentService) -> None:
    """Read every learning site's examples again and give them to `memory`."""
    wanted: dict[str, list[Example]] = {}
    for site in await service.store.sites.all():
        policy = await service.policy(site.id)
        if policy.toxicity_threshold is not None and policy.learn_from_moderators:
            wanted[site.id] = await load_examples(service, site.id)
    await memory.update(wanted)


async def keep_fresh(
    memory: ModeratorMemory,
    service: CommentService,
    stop: asyncio.Event,
    every_s: float = REFRESH_S,
) -> None:
    """Refresh until `stop` is set; a failed refresh is logged and tried again later."""
    while not stop.is_set():
        try:
            await refresh(memory, service)
        except Exception:
            log.exception("refreshing what moderators taught the toxicity model failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def load_examples(
    service: CommentService, site_id: str, limit: int = MAX_EXAMPLES
) -> list[Example]:
    """A site's newest moderator approvals and rejections, one per comment, oldest first.

    A comment's latest such decision counts, and only while the comment still
    has the status that decision gave it (a later restore or delete drops it).
    """
    query = (
        sa.select(events.c.id, events.c.comment_id, events.c.action, comments.c.body)
        .join(comments, comments.c.id == events.c.comment_id)
        .where(
            comments.c.site_id == site_id,
            events.c.action.in_(list(LABELS)),
            events.c.actor != "system",
            comments.c.status.in_(["approved", "rejected"]),
        )
        .order_by(events.c.id.desc())
        .limit(limit * 2)
    )
    async with service.store.db.read() as conn:
        rows = (await conn.execute(query)).all()
    statuses = {"approve": "approved", "reject": "rejected"}
    current = await _statuses(service, list({r.comment_id for r in rows}))
    seen: set[str] = set()
    out: list[Example] = []
    for row in rows:
        if row.comment_id in seen:
            continue
        seen.add(row.comment_id)
        if current.get(row.comment_id) != statuses[row.action]:
            continue
        out.append(Example(row.comment_id, row.body, LABELS[row.action], row.id))
        if len(out) >= limit:
            break
    out.reverse()
    return out


async def _statuses(service: CommentService, ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        async with service.store.db.read() as conn:
            rows = (
                await conn.execute(
                    sa.select(comments.c.id, comments.c.status).where(comments.c.id.in_(part))
                )
            ).all()
        found.update({r.id: r.status for r in rows})
    return found
