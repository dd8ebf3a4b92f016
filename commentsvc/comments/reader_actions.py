"""What readers do to comments: authors edit and delete their own, anyone votes and flags.

Every status change still goes through `CommentService.transition`.
"""

from __future__ import annotations

from datetime import timedelta

from commentsvc.clock import now_utc
from commentsvc.comments.lifecycle import Act, edit_changes, step
from commentsvc.comments.posting import Client
from commentsvc.comments.service import CommentService
from commentsvc.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from commentsvc.models import Action, Comment, Reason, Status
from commentsvc.policy import Policy
from commentsvc.store.reactions import TooManyVoters

MAX_VOTERS_PER_ADDRESS = 5
"""Voter ids one address may vote a comment with: a household or an office, not a
script minting ids to push a comment up the "top" sort."""


class ReaderActions:
    """Edits, deletions, votes and flags, each checked against the caller's rights."""

    def __init__(self, service: CommentService) -> None:
        self.service = service

    async def own(self, comment_id: str, token: str | None) -> tuple[Comment, Policy]:
        """The comment, if `token` is its edit token and its edit window is open (else 403)."""
        comment = await self.service.get_comment(comment_id)
        if not token:
            raise Forbidden("send your edit token as Authorization: Bearer <token>")
        if not self.service.token_matches(comment, token):
            raise Forbidden("that edit token does not belong to this comment")
        policy = await self.service.policy(comment.site_id)
        if now_utc() > comment.created_at + timedelta(seconds=policy.edit_window_s):
            raise Forbidden("the edit window for this comment has closed")
        return comment, policy

    async def edit_own(self, comment_id: str, token: str | None, body: str) -> Comment:
        comment, policy = await self.own(comment_id, token)
        if len(body) > policy.max_body_chars:
            raise Invalid(
                "body too long",
                errors=[FieldError("body", f"must be at most {policy.max_body_chars} characters")],
            )
        editing = step(Act.EDIT_OWN)
        if not editing.allows(comment.status):
            raise Conflict(f"a {comment.status.value} comment can't be edited")
        if await self.service.store.comments.has_replies(comment.id):
            raise Conflict("a comment with replies can't be edited")
        result = await self.service.transition(
            editing.transition(
                comment.id,
                comment.status,
                "author",
                changes=edit_changes(body, {}, now_utc()),
                require_no_replies=True,
                expected_version=comment.version,
            )
        )
        if result is None:
            raise Conflict(
                "the comment changed meanwhile (a reply, or a moderator); reload and retry"
            )
        await self.service.ring(self.service.moderate_queue, [{"comment_id": comment.id}])
        return result.comment

    async def delete_own(self, comment_id: str, token: str | None) -> None:
        comment, _ = await self.own(comment_id, token)
        deleting = step(Act.DELETE_OWN)
        if not deleting.allows(comment.status):
            return  # already deleted: deleting again changes nothing
        result = await self.service.transition(
            deleting.transition(comment.id, comment.status, "author")
        )
        if result is None:
            raise Conflict("the comment changed meanwhile; reload and retry")

    async def vote(
        self, comment_id: str, voter: str, value: int, client: Client, token: str | None
    ) -> tuple[int, int]:
        comment = await self.service.get_comment(comment_id)
        if comment.status is not Status.APPROVED:
            raise NotFound("no such comment")
        # Only the edit token tells an author: refusing a vote because it comes from
        # the author's address would tell anyone whether a comment came from theirs.
        if self.service.token_matches(comment, token):
            raise Forbidden("you can't vote on your own comment")
        try:
            up, down = await self.service.store.reactions.set_vote(
                comment.id,
                comment.thread_id,
                self.service.keys.voter_hash(voter),
                value,
                ip_hash=client.ip_hash or "",
                max_voters_per_address=MAX_VOTERS_PER_ADDRESS,
            )
        except TooManyVoters:
            raise Forbidden(
                f"{MAX_VOTERS_PER_ADDRESS} readers from your address already voted on this comment"
            ) from None
        thread = await self.service.store.threads.get_by_id(comment.thread_id)
        if thread is not None:
            await self.service.announce(thread.site_id, thread.key, thread.version, comment.id)
        return up, down

    async def flag(
        self, comment_id: str, reporter: str, reason: str, note: str, client: Client
    ) -> int:
        """Record a flag; enough distinct flags send an approved comment back to review.

        Flags are distinct by the reporter's address, not by the `reporter` id the
        client chooses: otherwise one client could unpublish any comment alone.
        """
        comment = await self.service.get_comment(comment_id)
        if comment.status is not Status.APPROVED:
            raise NotFound("no such comment")
        who = f"ip:{client.ip_hash}" if client.ip_hash else f"reporter:{reporter}"
        new, count = await self.service.store.reactions.add_flag(
            comment.id, self.service.keys.voter_hash(who), reason, note
        )
        policy = await self.service.policy(comment.site_id)
        unreviewed = count - comment.flags_reviewed
        if new and unreviewed >= policy.flag_threshold:
            reasons = [
                *comment.moderation.get("reasons", []),
                Reason("flagged", f"{count} reader reports", Action.HOLD).to_json(),
            ]
            await self.service.transition(
                step(Act.FLAGGED).transition(
                    comment.id,
                    comment.status,
                    "readers",
                    note=f"{count} distinct flags (threshold {policy.flag_threshold})",
                    changes={"moderation": {**comment.moderation, "reasons": reasons}},
                )
            )
        return count
