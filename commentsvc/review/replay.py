"""Policy replay ("what if"): a site's recent comments judged again under a proposed policy.

The replay reads and never writes. It takes the site's comments of the last
`days` days (not deleted; the newest `MAX_COMMENTS` when there are more),
gathers the facts the stages need and runs the pipeline through the worker's
own code (`AutoModerator.items` and `AutoModerator.verdicts`: the same pure stages,
the same desk hours) twice: under the site's policy as saved (the baseline)
and under the proposed one. The difference between the two is what the change
would do, so a comment a moderator has since decided by hand counts only if
the policy itself would judge it differently.

The stateful stages see the site as it stands now: the bans in force now,
duplicates and floods among the comments stored before each one (their
windows from the policy being judged), and for `hold_first_time` the author's
approved comments outside the replayed ones, as if the replayed comments had
arrived again together. That is what the worker does when the policy is saved
and the same comments are moderated again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from commentsvc.auth.principal import Principal
from commentsvc.clock import now_utc
from commentsvc.comments.automod import AutoModerator
from commentsvc.comments.service import CommentService
from commentsvc.errors import NotFound
from commentsvc.models import Comment, Status, Verdict
from commentsvc.policy import Policy, policy_of
from commentsvc.review.modviews import highlights
from commentsvc.store.review import ReviewItem
from commentsvc.views import rfc3339

DEFAULT_DAYS = 7
MAX_DAYS = 365
MAX_COMMENTS = 100_000
CHUNK = 1000
"""Comments judged per round of fact queries (keeps every IN list far below the limits)."""
EXAMPLES_PER_CHANGE = 5
CHANGES = ("hold", "release", "reject", "other")
REMOVED = frozenset({Status.SPAM, Status.REJECTED})


def change_of(was: Status, would: Status) -> str | None:
    """How a comment's verdict moves: newly held, released (approved), rejected, or other."""
    if was is would:
        return None
    if would is Status.PENDING:
        return "hold"
    if would is Status.APPROVED:
        return "release"
    if would in REMOVED and was not in REMOVED:
        return "reject"
    return "other"  # spam <-> rejected


def rules_behind(change: str, was: Verdict, would: Verdict) -> list[str]:
    """The rules that explain a change: those that appear (or, for a release, disappear)."""
    before, after = [r.rule for r in was.reasons], [r.rule for r in would.reasons]
    if change == "release":
        gone = [r for r in dict.fromkeys(before) if r not in after]
        return gone or ["policy"]
    new = [r.rule for r in would.reasons if r.action.severity == would.action.severity]
    found = [r for r in dict.fromkeys(new) if r not in before] or [
        r for r in dict.fromkeys(after) if r not in before
    ]
    return found or ["policy"]  # the same rules, asking for more (e.g. ban_action)


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    site: str
    policy: Policy
    days: int = DEFAULT_DAYS


class Replayer:
    """Runs replays for admins; the pipeline (word list, model) is built on the first one."""

    def __init__(self, service: CommentService, moderator: AutoModerator | None = None) -> None:
        self.service = service
        self._moderator = moderator

    def _judge(self) -> AutoModerator:
        if self._moderator is None:
            from commentsvc.comments.automod import standard_pipeline

            # A chunk's bodies are judged under both policies: the word stage keeps them.
            self._moderator = AutoModerator(self.service, standard_pipeline(2 * CHUNK))
        return self._moderator

    async def replay(self, who: Principal, request: ReplayRequest) -> dict[str, Any]:
        """What the proposed policy would change on the site's last `days` days."""
        who.require_admin(request.site)
        site = await self.service.store.sites.get(request.site)
        if site is None:
            raise NotFound(f"no site {request.site!r}")
        proposed, current = request.policy, policy_of(site)
        started = time.perf_counter()
        until = now_utc()
        since = until - timedelta(days=request.days)
        found = await self.service.store.review.recent(request.site, since, MAX_COMMENTS + 1)
        truncated = len(found) > MAX_COMMENTS
        rows = found[-MAX_COMMENTS:]
        was, would = await self.verdicts(rows, current, proposed)
        report = summarize(rows, was, would)
        return {
            "site": request.site,
            "days": request.days,
            "since": rfc3339(since),
            "until": rfc3339(until),
            "comments": len(rows),
            "truncated": truncated,
            **report,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }

    async def verdicts(
        self, rows: Sequence[ReviewItem], current: Policy, proposed: Policy
    ) -> tuple[list[Verdict], list[Verdict]]:
        """Baseline and proposed verdicts for `rows`, chunk by chunk, stages off the loop."""
        judge = self._judge()
        comments = [r.comment for r in rows]
        was: list[Verdict] = []
        would: list[Verdict] = []
        approved_by: dict[tuple[str, str | None, str | None], int] = {}  # each author once
        for start in range(0, len(comments), CHUNK):
            chunk = comments[start : start + CHUNK]
            sets = [{c.site_id: policy for c in chunk} for policy in (current, proposed)]
            both = await judge.items_under(chunk, sets, arriving=comments, approved_by=approved_by)
            for items, out in zip(both, (was, would), strict=True):
                out.extend(await asyncio.to_thread(judge.verdicts, chunk, items))
        return was, would


def summarize(
    rows: Sequence[ReviewItem], was: Sequence[Verdict], would: Sequence[Verdict]
) -> dict[str, Any]:
    """Counts by change and by rule, moves between statuses, and a few examples of each."""
    counts = dict.fromkeys(CHANGES, 0)
    by_rule: dict[tuple[str, str], int] = {}
    moves: dict[tuple[str, str], int] = {}
    examples: list[dict[str, Any]] = []
    shown = dict.fromkeys(CHANGES, 0)
    for row, before, after in zip(rows, was, would, strict=True):
        change = change_of(before.status, after.status)
        if change is None:
            continue
        counts[change] += 1
        move = (before.status.value, after.status.value)
        moves[move] = moves.get(move, 0) + 1
        rules = rules_behind(change, before, after)
        for rule in rules:
            by_rule[(change, rule)] = by_rule.get((change, rule), 0) + 1
        if shown[change] < EXAMPLES_PER_CHANGE:
            shown[change] += 1
            examples.append(_example(row, change, rules, before, after))
    return {
        "changed": sum(counts.values()),
        "counts": counts,
        "by_rule": [
            {"change": change, "rule": rule, "count": n}
            for (change, rule), n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "moves": [
            {"from": a, "to": b, "count": n}
            for (a, b), n in sorted(moves.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "examples": examples,
    }


def _example(
    row: ReviewItem, change: str, rules: list[str], was: Verdict, would: Verdict
) -> dict[str, Any]:
    comment = row.comment
    shown = would if change != "release" else was  # a release shows what no longer fires
    judged: Comment = dataclasses.replace(
        comment, moderation={"reasons": [r.to_json() for r in shown.reasons]}
    )
    return {
        "change": change,
        "rules": rules,
        "id": comment.id,
        "author_name": comment.author_name,
        "created_at": rfc3339(comment.created_at),
        "thread": {"key": row.thread.key, "title": row.thread.title, "url": row.thread.url},
        "status": comment.status.value,
        "was": was.status.value,
        "would_be": would.status.value,
        "body": comment.body,
        "reasons": [
            {"rule": r.rule, "detail": r.detail, "action": r.action.value} for r in shown.reasons
        ],
        "highlights": highlights(judged),
    }
