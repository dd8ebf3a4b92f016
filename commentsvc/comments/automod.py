"""Moderating a batch of received comments: gather facts, run the pipeline, apply verdicts."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from commentsvc.clock import now_utc
from commentsvc.comments.lifecycle import Act, step
from commentsvc.comments.service import CommentService
from commentsvc.models import Comment, Reason, Status, Verdict
from commentsvc.moderation.pipeline import Pipeline, default_stages
from commentsvc.moderation.toxicity import load_toxicity_stage
from commentsvc.moderation.types import BanRule, Facts, Item
from commentsvc.moderation.word_stage import WordStage
from commentsvc.policy import Policy
from commentsvc.queue.constants import STATS_DECISIONS
from commentsvc.queue.entries import Job
from commentsvc.queue.jobs import by_comment as jobs_by_comment
from commentsvc.render import render_body
from commentsvc.review.stats import count
from commentsvc.schedule import with_schedule
from commentsvc.store.records import Transition
from commentsvc.views import rfc3339

log = logging.getLogger(__name__)


def standard_pipeline(remember_bodies: int = 0) -> Pipeline:
    """The stage pipeline of DESIGN.md §5 with every stage available here.

    The toxicity stage needs the optional extra `commentsvc[toxicity]`; without
    it a warning says so and every other stage runs. The worker and a policy
    replay (`commentsvc/review/replay.py`) both judge with this pipeline; a replay
    has the word stage remember `remember_bodies` bodies' matches (`WordStage`).
    """
    words = WordStage(remember=remember_bodies)
    return Pipeline(default_stages(words=words, toxicity=load_toxicity_stage()))


def summarize(verdict: Verdict) -> str:
    if not verdict.reasons:
        return "clean"
    return "; ".join(f"{r.rule}: {r.detail}" for r in verdict.reasons)


class AutoModerator:
    """The moderation worker's handler: one call per batch of jobs."""

    def __init__(self, service: CommentService, pipeline: Pipeline) -> None:
        self.service = service
        self.pipeline = pipeline

    async def handle(self, jobs: Sequence[Job]) -> Collection[str]:
        """Moderate the comments behind `jobs`; return the job ids that are finished."""
        by_comment, done = jobs_by_comment(jobs)
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
        verdicts = self.verdicts(comments, await self.items(comments))
        transitions = [self._transition(c, v) for c, v in zip(comments, verdicts, strict=True)]
        try:
            results = await self.service.transition_many(transitions)
        except Exception:
            log.exception("moderating a batch of %d failed; it will be retried", len(comments))
            return []
        rules = [
            rule
            for result, verdict in zip(results, verdicts, strict=True)
            if result is not None
            for rule in ([r.rule for r in verdict.reasons] or ["clean"])
        ]
        await count(self.service.redis, STATS_DECISIONS, rules)
        return [c.id for c in comments]

    def verdicts(self, comments: Sequence[Comment], items: Sequence[Item]) -> list[Verdict]:
        """The pure part: the stages, then desk hours (no I/O; a replay runs it in a thread)."""
        return [
            # Desk hours (issue 14): held when received inside one of the site's windows.
            with_schedule(v, i.policy.timezone, i.policy.hold_schedule, c.created_at)
            for c, i, v in zip(comments, items, self.pipeline.run_safely(items), strict=True)
        ]

    async def items(
        self,
        comments: Sequence[Comment],
        policies: Mapping[str, Policy] | None = None,
        arriving: Collection[Comment] = (),
        approved_by: dict[tuple[str, str | None, str | None], int] | None = None,
    ) -> list[Item]:
        """Each comment with its site's policy and the facts the stages need, in a few queries.

        `policies` (site -> policy) stands in for the stored ones, and `arriving` names
        comments judged as if they arrived again (a replay: their own approvals do not
        count as their authors' history). For the worker both are empty: its comments
        are `received`, so none of them counts as approved anyway. `approved_by` (author →
        approved comments, less the discount) may be shared by calls over the same
        `arriving` comments, so each author is counted once (a replay's chunks).
        """
        (items,) = await self.items_under(comments, [policies or {}], arriving, approved_by)
        return items

    async def items_under(
        self,
        comments: Sequence[Comment],
        policy_sets: Sequence[Mapping[str, Policy]],
        arriving: Collection[Comment] = (),
        approved_by: dict[tuple[str, str | None, str | None], int] | None = None,
    ) -> list[list[Item]]:
        """`items` under each of several policy sets, from one set of queries (a replay
        judges each comment under the saved policy and the proposed one)."""
        service = self.service
        store = service.store
        sets = [dict(p) for p in policy_sets]
        for policies in sets:
            for site_id in {c.site_id for c in comments} - set(policies):
                policies[site_id] = await service.policy(site_id)
        every = [p for policies in sets for p in policies.values()]
        first_time = any(p.hold_first_time for p in every)
        discount: dict[tuple[str, str | None, str | None], int] = {}
        for c in (arriving or comments) if first_time else ():
            if c.status is Status.APPROVED:
                key = _trust_key(c)
                discount[key] = discount.get(key, 0) + 1
        if approved_by is None:
            approved_by = {}
        bans = {
            s: tuple(BanRule(b.kind, b.value, b.reason) for b in await store.bans.active(s))
            for s in sets[0]
        }
        oldest = min(c.created_at for c in comments)
        newest = max(c.created_at for c in comments)  # later comments never count
        dup_window_s = max(p.duplicate_window_s for p in every)
        same_body = (
            await store.comments.recent_by_body(
                [c.body_hash for c in comments], oldest - timedelta(seconds=dup_window_s), newest
            )
            if dup_window_s
            else []
        )
        flood_window_s = max(p.flood_window_s for p in every)
        same_ip = await store.comments.recent_by_ip(
            [c.ip_hash for c in comments if c.ip_hash],
            oldest - timedelta(seconds=flood_window_s),
            newest,
        )
        by_body: dict[tuple[str, str], list[tuple[str, datetime]]] = {}
        for other_id, site, body_hash, at in same_body:
            by_body.setdefault((site, body_hash), []).append((other_id, at))
        by_ip: dict[str | None, list[tuple[str, datetime]]] = {}
        for other_id, ip_hash, at in same_ip:
            by_ip.setdefault(ip_hash, []).append((other_id, at))
        if first_time:
            # One grouped query for every author not counted yet (not one per author).
            wanted = {_trust_key(c) for c in comments}
            counted = await store.comments.count_approved_by_authors(wanted - set(approved_by))
            for key, n in counted.items():
                approved_by[key] = max(0, n - discount.get(key, 0))
        return [
            [
                _item(c, policies[c.site_id], by_body, by_ip, approved_by, bans[c.site_id])
                for c in comments
            ]
            for policies in sets
        ]

    def _transition(self, comment: Comment, verdict: Verdict) -> Transition:
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
        return step(Act.MODERATE).transition(
            comment.id,
            comment.status,
            "system",
            to=verdict.status,
            note=summarize(verdict),
            changes=changes,
            # The verdict is about the text read: an edit since (still `received`) must
            # not inherit it. The edit rang its own doorbell; the sweeper backs that up.
            expected_version=comment.version,
        )


def _trust_key(c: Comment) -> tuple[str, str | None, str | None]:
    """Whom `count_approved_by_authors` counts as one author (email and name, else address)."""
    if c.author_email:
        return (c.author_name, c.author_email.lower(), None)
    return (c.author_name, None, c.ip_hash)


def _censored_spans(reasons: Sequence[Reason]) -> list[list[int]]:
    return [[s.start, s.end] for r in reasons if r.action.value == "censor" for s in r.spans]


def _item(
    c: Comment,
    policy: Policy,
    by_body: Mapping[tuple[str, str], list[tuple[str, datetime]]],
    by_ip: Mapping[str | None, list[tuple[str, datetime]]],
    approved_by: Mapping[tuple[str, str | None, str | None], int],
    bans: tuple[BanRule, ...],
) -> Item:
    """One comment with its policy and the facts read for its batch."""
    duplicates = 0
    if policy.duplicate_window_s:
        dup_since = c.created_at - timedelta(seconds=policy.duplicate_window_s)
        duplicates = sum(
            1
            for other_id, at in by_body.get((c.site_id, c.body_hash), ())
            if other_id < c.id and at >= dup_since
        )
    flood_since = c.created_at - timedelta(seconds=policy.flood_window_s)
    same_address = by_ip.get(c.ip_hash, []) if c.ip_hash else []
    recent = sum(1 for other_id, at in same_address if other_id < c.id and at >= flood_since)
    return Item(
        body=c.body,
        author_name=c.author_name,
        site_id=c.site_id,
        author_email=c.author_email,
        ip_hash=c.ip_hash,
        honeypot=c.honeypot,
        policy=policy,
        facts=Facts(
            approved_by_author=approved_by[_trust_key(c)] if policy.hold_first_time else 0,
            duplicates_on_site=duplicates,
            recent_by_ip=recent,
            bans=bans,
        ),
    )
