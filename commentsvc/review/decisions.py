"""The moderator side: the review queue, decisions, edits, stats, site policy (bans: `bans`).

Every status change goes through `CommentService.transition`, the same path
the worker takes, so compare-and-set, the audit event, thread counts, live
events and the notify doorbell (first approval only) live in one place.

Decisions (what each action accepts, and where it leads):

| action  | from                                | to       |
| ------- | ----------------------------------- | -------- |
| approve | received, pending, spam, rejected   | approved |
| reject  | received, pending, approved, spam   | rejected |
| spam    | received, pending, approved, rejected | spam   |
| delete  | any but deleted                     | deleted  |
| restore | deleted, rejected, spam             | pending  |

`restore` never publishes: it puts a comment back in the review queue, where
a moderator approves it (or not). A decision on a comment already in the
target state, or one sent with a `version` the comment no longer has, is a
409: the moderator decided on something that is not there any more.
Every decision also marks the comment's reader flags as reviewed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from commentsvc import ids
from commentsvc.auth.principal import Principal
from commentsvc.clock import now_utc
from commentsvc.comments.lifecycle import DECISIONS, Act, Step, decision, edit_changes, step
from commentsvc.comments.service import CommentService
from commentsvc.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Invalid,
    NotFound,
    ServiceError,
)
from commentsvc.models import Comment, Status
from commentsvc.policy import policy_of
from commentsvc.review.bans import Banning
from commentsvc.review.modviews import event_json, mod_comment
from commentsvc.review.policies import save_policy
from commentsvc.review.replay import Replayer
from commentsvc.review.site_stats import site_stats
from commentsvc.store.cursors import CursorError
from commentsvc.store.review import ReviewItem, author_key
from commentsvc.views import rfc3339

log = logging.getLogger(__name__)

S = Status


ACTIONS: tuple[str, ...] = tuple(a.value for a in DECISIONS)
"""The decisions' names; what each may do is `comments.lifecycle.STEPS`."""
MAX_CAS_ATTEMPTS = 3
MAX_TREE = 500  # comments read for one thread view


@dataclass(frozen=True, slots=True)
class QueueQuery:
    site: str
    status: str = "pending"
    thread: str = ""
    q: str = ""
    limit: int = 50
    cursor: str = ""


class Decisions:
    """What moderators do, each call checked against who is asking."""

    def __init__(self, service: CommentService) -> None:
        self.service = service
        self.store = service.store
        self.bans = Banning(service, self._reject_for_ban, self._site)
        self.replays = Replayer(service)

    async def close(self) -> None:
        await self.bans.close()

    # ----- reading ------------------------------------------------------------------

    async def _site(self, who: Principal, site_id: str) -> None:
        who.require_site(site_id)
        if await self.service.site(site_id) is None:
            raise NotFound(f"no site {site_id!r}")

    async def _load(self, who: Principal, comment_id: str) -> Comment:
        comment = (
            await self.store.comments.get(comment_id) if ids.looks_like_id(comment_id) else None
        )
        if comment is None:
            raise NotFound("no such comment")
        who.require_site(comment.site_id)
        return comment

    async def _views(self, items: Sequence[ReviewItem]) -> list[dict[str, Any]]:
        flagged = [i.comment.id for i in items if i.comment.flag_count]
        flag_summaries = await self.store.review.flags(flagged)
        histories: dict[str, dict[str, int]] = {}
        for site_id in {i.comment.site_id for i in items}:
            authored = [i.comment for i in items if i.comment.site_id == site_id]
            found = await self.store.review.author_history(site_id, authored)
            histories.update({f"{site_id}|{k}": v for k, v in found.items()})
        out = []
        for item in items:
            key = author_key(item.comment)
            history = histories.get(f"{item.comment.site_id}|{key}") if key else None
            out.append(mod_comment(item, flag_summaries.get(item.comment.id), history))
        return out

    async def queue(self, who: Principal, query: QueueQuery) -> dict[str, Any]:
        """One page of the review queue: `{"items": [ModComment], "next_cursor"}`."""
        await self._site(who, query.site)
        try:
            page = await self.store.review.queue(
                query.site,
                query.status,
                thread_key=query.thread,
                q=query.q,
                limit=query.limit,
                cursor=query.cursor,
            )
        except CursorError as exc:
            raise BadRequest(str(exc)) from None
        return {"items": await self._views(page.items), "next_cursor": page.next_cursor}

    async def comment(self, who: Principal, comment_id: str) -> dict[str, Any]:
        comment = await self._load(who, comment_id)
        items = await self.store.review.items([comment.id])
        if not items:
            raise NotFound("no such comment")
        return (await self._views(items))[0]

    async def thread(self, who: Principal, comment_id: str) -> dict[str, Any]:
        """A comment in its thread: the parents above it and every reply below it."""
        comment = await self._load(who, comment_id)
        tree = await self.store.review.tree(comment.root_id, MAX_TREE + 1)
        truncated = len(tree) > MAX_TREE
        by_id = {i.comment.id: i for i in tree[:MAX_TREE]}
        if comment.id not in by_id:  # past the cap: the comment itself and its parents
            by_id.update({i.comment.id: i for i in await self.store.review.items([comment.id])})
        chain: list[ReviewItem] = []
        parent = comment.parent_id
        while parent is not None and parent in by_id and len(chain) <= MAX_TREE:
            chain.insert(0, by_id[parent])
            parent = by_id[parent].comment.parent_id
        children: dict[str, list[ReviewItem]] = {}
        for item in tree[:MAX_TREE]:  # oldest first
            if item.comment.parent_id is not None:
                children.setdefault(item.comment.parent_id, []).append(item)
        replies: list[ReviewItem] = []
        stack = list(reversed(children.get(comment.id, [])))
        while stack:  # depth first, so each reply follows the one it answers
            item = stack.pop()
            replies.append(item)
            stack.extend(reversed(children.get(item.comment.id, [])))
        views = await self._views([*chain, by_id[comment.id], *replies])
        focus = by_id[comment.id]
        return {
            "thread": {
                "key": focus.thread.key,
                "title": focus.thread.title,
                "url": focus.thread.url,
            },
            "ancestors": views[: len(chain)],
            "comment": views[len(chain)],
            "replies": views[len(chain) + 1 :],
            "truncated": truncated,
        }

    async def events(self, who: Principal, comment_id: str) -> list[dict[str, Any]]:
        comment = await self._load(who, comment_id)
        return [event_json(e) for e in await self.store.comments.events(comment.id)]

    # ----- deciding -----------------------------------------------------------------

    async def decide(
        self,
        who: Principal,
        comment_id: str,
        action: str,
        note: str = "",
        version: int | None = None,
    ) -> dict[str, Any]:
        """Apply one decision; 409 if the comment is not where the moderator saw it."""
        comment = await self._load(who, comment_id)
        await self._apply(who, comment, action, note, version)
        return await self.comment(who, comment.id)

    async def decide_many(
        self,
        who: Principal,
        comment_ids: Sequence[str],
        action: str,
        note: str = "",
        versions: Mapping[str, int] | None = None,
    ) -> dict[str, Comment | ServiceError]:
        """Apply one decision to many comments; each id gets its own outcome (a 409 for
        one whose version is not the one in `versions`, as with single decisions).

        Refused as a whole (403) if any of the comments is on a site this
        moderator does not work on.
        """
        wanted = list(dict.fromkeys(comment_ids))
        found = {
            c.id: c
            for c in await self.store.comments.get_many([i for i in wanted if ids.looks_like_id(i)])
        }
        for site_id in {c.site_id for c in found.values()}:
            who.require_site(site_id)
        results: dict[str, Comment | ServiceError] = {}
        for comment_id in wanted:
            target = found.get(comment_id)
            if target is None:
                results[comment_id] = NotFound("no such comment")
                continue
            try:
                version = (versions or {}).get(comment_id)
                results[comment_id] = await self._apply(who, target, action, note, version)
            except ServiceError as exc:
                results[comment_id] = exc
        return results

    async def _apply(
        self, who: Principal, comment: Comment, action: str, note: str, version: int | None
    ) -> Comment:
        rule = decision(action)
        if rule is None:
            raise Invalid(
                "unknown action",
                errors=[FieldError("action", "must be one of " + ", ".join(ACTIONS))],
            )
        for _ in range(MAX_CAS_ATTEMPTS):
            if version is not None and comment.version != version:
                raise Conflict(_stale(comment))
            if not rule.allows(comment.status):
                raise Conflict(_refused(comment, action, rule))
            moderation = {
                **comment.moderation,
                "decision": action,
                "decided_by": who.actor,
                "decided_at": rfc3339(now_utc()),
                "note": note,
            }
            result = await self.service.transition(
                rule.transition(
                    comment.id,
                    comment.status,
                    who.actor,
                    note=note,
                    changes={"moderation": moderation, "flags_reviewed": comment.flag_count},
                    expected_version=comment.version,
                )
            )
            if result is not None:
                return result.comment
            fresh = await self.store.comments.get(comment.id)
            if fresh is None:
                raise NotFound("no such comment")
            if fresh.status is not comment.status and rule.allows(fresh.status):
                # Someone decided otherwise first: theirs stands, and this moderator hears
                # of it. (The same decision is "already approved" on the next turn; a vote
                # or a flag meanwhile only changed the version: try again.)
                raise Conflict(_stale(fresh))
            comment = fresh
        raise Conflict("the comment kept changing while you decided; reload and retry")

    async def _reject_for_ban(self, who: Principal, comment: Comment, note: str) -> bool:
        try:
            await self._apply(who, comment, "reject", note, None)
        except Conflict:
            return False  # decided meanwhile
        return True

    async def edit(
        self, who: Principal, comment_id: str, body: str, note: str = "", version: int | None = None
    ) -> dict[str, Any]:
        """A moderator rewrites a comment's body; audited with the previous text."""
        comment = await self._load(who, comment_id)
        if not step(Act.EDIT).allows(comment.status):
            raise Conflict(f"a {comment.status} comment can't be edited; restore it first")
        if version is not None and comment.version != version:
            raise Conflict(_stale(comment))
        now = now_utc()
        moderation = {
            **comment.moderation,
            # Spans point into the old text; highlights fall back to the quoted match.
            "reasons": [
                {k: v for k, v in r.items() if k != "spans"}
                for r in comment.moderation.get("reasons", [])
                if isinstance(r, dict)
            ],
            "censored": [],
            "edited_by": who.actor,
            "edited_at": rfc3339(now),
        }
        audit_note = (note + "\n\n" if note else "") + "previous text:\n" + comment.body
        result = await self.service.transition(
            step(Act.EDIT).transition(
                comment.id,
                comment.status,
                who.actor,
                note=audit_note,
                changes=edit_changes(body, moderation, now),
                expected_version=comment.version,
            )
        )
        if result is None:
            raise Conflict("the comment changed while you edited it; reload and retry")
        return await self.comment(who, comment.id)

    # ----- stats and policy -------------------------------------------------------

    async def stats(self, who: Principal, site_id: str) -> dict[str, Any]:
        """Counts per status, the oldest pending comment, decisions of the last 24 h by rule."""
        await self._site(who, site_id)
        return await site_stats(self.store, site_id)

    async def policy(self, who: Principal, site_id: str) -> dict[str, Any]:
        who.require_admin(site_id)
        site = await self.store.sites.get(site_id)
        if site is None:
            raise NotFound(f"no site {site_id!r}")
        return policy_of(site).to_json()

    async def set_policy(
        self, who: Principal, site_id: str, data: Any, *, merge: bool = False
    ) -> dict[str, Any]:
        """Replace a site's policy (PUT: fields left out take their defaults), or with
        `merge` set only the fields sent and keep the rest (PATCH); 422 lists every error."""
        who.require_admin(site_id)
        if await self.store.sites.get(site_id) is None:
            raise NotFound(f"no site {site_id!r}")
        if not isinstance(data, dict):
            raise Invalid(
                "send the policy as a JSON object",
                errors=[FieldError("policy", "must be an object")],
            )
        full = await save_policy(self.store, site_id, data, merge=merge)
        self.service.forget_site(site_id)
        log.info("policy of site %s changed by moderator %d", site_id, who.moderator_id)
        return full


def _stale(comment: Comment) -> str:
    by = comment.moderation.get("decided_by")
    return (
        f"the comment changed since you loaded it: it is now {comment.status.value}"
        + (f" (by {by})" if by else "")
        + "; reload and decide again"
    )


def _refused(comment: Comment, action: str, rule: Step) -> str:
    status = comment.status.value
    if comment.status in rule.targets:
        by = comment.moderation.get("decided_by")
        return f"the comment is already {rule.done}" + (f" by {by}" if by else "")
    return f"a {status} comment can't be {rule.done} (action {action!r})"
