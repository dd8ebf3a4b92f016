"""Moderating a batch of received comments: gather facts, run the pipeline, apply verdicts."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import timedelta

from commentsvc.models import Comment, Reason, Status, Verdict
from commentsvc.moderation.pipeline import Pipeline
from commentsvc.moderation.types import BanRule, Facts, Item
from commentsvc.queue.constants import STATS_DECISIONS
from commentsvc.queue.streams import Job
from commentsvc.render import render_body
from commentsvc.service import CommentService
from commentsvc.stats import count
from commentsvc.store.records import Transition
from commentsvc.store.tables import now_utc
from commentsvc.views import rfc3339

log = logging.getLogger(__name__)


def summarize(verdict: Verdict) -> str:
    if not verdict.reasons:
        return "clean"
    return "; ".join(f"{r.rule}: {r.detail}" for r in verdict.reasons)


class Moderator:
    """The moderation worker's handler: one call per batch of jobs."""

    def __init__(self, service: CommentService, pipeline: Pipeline) -> None:
        self.service = service
        self.pipeline = pipeline

    async def handle(self, jobs: Sequence[Job]) -> Collection[str]:
        """Moderate the comments behind `jobs`; return the job ids that are finished."""
        by_comment: dict[str, list[str]] = {}
        done: set[str] = set()
        for job in jobs:
            comment_id = job.payload.get("comment_id", "")
            if comment_id:
                by_comment.setdefault(comment_id, []).append(job.id)
            else:
                log.warning("job %s has no comment_id; dropping it", job.id)
                done.add(job.id)
        comments = await self.service.store.comments.get_many(list(by_comment))
        found = {c.id for c in comments}
        for missing in set(by_comment) - found:
            log.warning("comment %s does not exist; dropping its job", missing)
            done.update(by_comment[missing])
        todo = [c for c in comments if c.status is Status.RECEIVED]
        for c in comments:
            if c.status is not Status.RECEIVED:  # already moderated: a redelivery
                done.update(by_comment[c.id])
        if todo:
            finished = await self.moderate(todo)
            for comment_id in finished:
                done.update(by_comment[comment_id])
        return done

    async def moderate(self, comments: Sequence[Comment]) -> list[str]:
        """Moderate received comments; return the ids handled (moderated, or moved on meanwhile)."""
        items = [await self._item(c) for c in comments]
        verdicts = self.pipeline.run(items)
        finished = []
        for comment, verdict in zip(comments, verdicts, strict=True):
            try:
                await self._apply(comment, verdict)
            except Exception:
                log.exception("moderating %s failed; it will be retried", comment.id)
                continue
            finished.append(comment.id)
        return finished

    async def _item(self, comment: Comment) -> Item:
        service = self.service
        store = service.store
        policy = await service.policy(comment.site_id)
        now = now_utc()
        approved = await store.comments.count_approved_by_author(
            comment.author_name, comment.author_email, comment.ip_hash
        )
        duplicates = 0
        if policy.duplicate_window_s:
            duplicates = await store.comments.count_same_body(
                comment.site_id,
                comment.body_hash,
                now - timedelta(seconds=policy.duplicate_window_s),
                comment.id,
            )
        recent = await store.comments.count_recent_by_ip(
            comment.ip_hash, now - timedelta(seconds=policy.flood_window_s), comment.id
        )
        bans = tuple(
            BanRule(b.kind, b.value, b.reason) for b in await store.bans.active(comment.site_id)
        )
        return Item(
            body=comment.body,
            author_name=comment.author_name,
            author_email=comment.author_email,
            ip_hash=comment.ip_hash,
            honeypot=comment.honeypot,
            policy=policy,
            facts=Facts(
                approved_by_author=approved,
                duplicates_on_site=duplicates,
                recent_by_ip=recent,
                bans=bans,
            ),
        )

    async def _apply(self, comment: Comment, verdict: Verdict) -> None:
        status = verdict.status
        moderation = {
            "action": verdict.action.value,
            "reasons": [r.to_json() for r in verdict.reasons],
            "score": verdict.score,
            "censored": _censored_spans(verdict.reasons),
            "decided_by": "system",
            "decided_at": rfc3339(now_utc()),
        }
        changes: dict[str, object] = {"moderation": moderation}
        if verdict.censored_body is not None:
            changes["body_html"] = render_body(verdict.censored_body)
        result = await self.service.transition(
            Transition(
                comment_id=comment.id,
                from_statuses=frozenset({Status.RECEIVED.value}),
                to_status=status,
                actor="system",
                action="moderate",
                note=summarize(verdict),
                changes=changes,
            )
        )
        if result is not None:
            rules = [r.rule for r in verdict.reasons] or ["clean"]
            await count(self.service.redis, STATS_DECISIONS, rules)


def _censored_spans(reasons: Sequence[Reason]) -> list[list[int]]:
    return [[s.start, s.end] for r in reasons if r.action.value == "censor" for s in r.spans]
